import {execFileSync} from 'node:child_process'
import type {Checker, RealServer, VirtualServer} from '../../../keepalived/model.js'
import {HalError} from '../../../lib/errors.js'
import {httpProbe, miscProbe, tcpProbe, type ProbeResult} from './probes.js'
import {checkerTiming} from './timing.js'

export * from './checker-loop.js'
export * from './probes.js'
export * from './status-codes.js'
export * from './timing.js'

/** Host header keepalived sends without a virtualhost: the address, with the port unless it is the scheme's default. */
export function defaultHostHeader(ip: string, port: number, tls: boolean): string {
  const host = ip.includes(':') ? `[${ip}]` : ip
  return port === (tls ? 443 : 80) ? host : `${host}:${port}`
}

/**
 * One check attempt for a checker block: where to connect (connect_ip/port,
 * else the real server), from where (bindto/bind_port), with what timeout.
 * HTTP_GET/SSL_GET check every url and pass when all of them pass.
 */
export function createProbe(checker: Checker, rs: RealServer, vs: VirtualServer): () => Promise<ProbeResult> {
  const timing = checkerTiming(checker, rs, vs)
  const timeoutMs = Math.max(1, Math.round(timing.connectTimeout * 1000))
  if (checker.type === 'MISC_CHECK') {
    const ids = checker.user ? resolveUser(checker.user.user, checker.user.group) : {}
    return () => miscProbe({command: checker.miscPath, timeoutMs, dynamic: checker.miscDynamic ?? false, ...ids})
  }
  const target = {
    host: checker.connectIp ?? rs.ip,
    port: checker.connectPort ?? rs.port ?? vs.port ?? 0,
    localAddress: checker.bindto,
    localPort: checker.bindPort,
    timeoutMs,
  }
  if (checker.type === 'TCP_CHECK') return () => tcpProbe(target)
  const isTls = checker.type === 'SSL_GET'
  const virtualhost = checker.virtualhost ?? vs.virtualhost
  const hostHeader = virtualhost ?? defaultHostHeader(target.host, target.port, isTls)
  const urls = checker.urls.length ? checker.urls : [{path: '/'}]
  return async () => {
    for (const url of urls) {
      const r = await httpProbe({
        ...target,
        tls: isTls,
        path: url.path,
        hostHeader,
        statusCode: url.statusCode,
        digest: url.digest,
        servername: isTls ? virtualhost : undefined,
      })
      if (!r.ok) return {...r, error: `${url.path}: ${r.error}`}
    }
    return {ok: true}
  }
}

/** uid/gid for MISC_CHECK's `user USER [GROUP]`, looked up with id(1) once. */
export function resolveUser(user: string, group?: string): {uid: number; gid: number} {
  const id = (args: string[]): number => Number(execFileSync('id', args, {encoding: 'utf8'}).trim())
  try {
    const uid = id(['-u', user])
    const gid = group ? Number(execFileSync('getent', ['group', group], {encoding: 'utf8'}).split(':')[2]) : id(['-g', user])
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('no such user or group')
    return {uid, gid}
  } catch (e) {
    throw new HalError('ipvs.misc-user', `MISC_CHECK user ${user}${group ? ` ${group}` : ''} does not exist on this host`, {
      hint: 'create the user, or drop the `user` line to run the script as halctl\'s own user',
      cause: e,
    })
  }
}
