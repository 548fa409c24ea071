/**
 * Lab for the sniff tests: `labUp` (src/lab) hosts lb1/lb2 (netns + sshd) under the prefix "hsn" on
 * 10.201.0.0/24 (+ fd00:201::/64 added here), or the hosts, prefix and subnet given to
 * `startSniffLab(opts)`, real keepalived with configs written by hand, real
 * tcpdump in the root namespace on the lab bridge as the oracle. Everything started here is
 * stopped by pid in stop()/down(); labDown removes namespaces, links and /etc/netns dirs.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {labDown, labUp, type LabUpResult} from '../../../src/lab/lab.js'
import {execInHost, findHost, startInHost, type LabHost} from '../../../src/lab/netns.js'

export const PREFIX = 'hsn'
export const SUBNET = '10.201.0.0/24'
export const BRIDGE = 'hsn-br'
export const PASS = 'hsnpass1'

export type LabNode = 'lb1' | 'lb2' | 'lb3'

export interface SniffLab {
  up: LabUpResult
  dir: string
  prefix: string
  bridge: string
  hosts: Record<'lb1' | 'lb2', LabHost> & Partial<Record<'lb3', LabHost>>
  addr: Record<'lb1' | 'lb2', string> & Partial<Record<'lb3', string>>
  startKeepalived(node: LabNode, conf: string): Promise<void>
  /** SIGKILL keepalived and its VRRP child at once (no priority 0 advert) */
  killKeepalived(node: LabNode): Promise<void>
  stopKeepalived(node: LabNode): Promise<void>
  exec(node: LabNode, argv: string[]): Promise<string>
  /** real tcpdump on the bridge writing a pcap; returns a stop function */
  tcpdump(file: string): Promise<() => Promise<void>>
  down(): Promise<void>
}

export function keepalivedConf(node: LabNode, addr: unknown, instances: string[]): string {
  return [`global_defs {\n  router_id ${node}\n  enable_script_security\n  script_user root\n}`, ...instances].join('\n') + '\n'
}

export function instance(o: {name: string; vrid: number; priority: number; advertInt: string; vips: string[]; version?: 2 | 3; auth?: boolean; unicast?: {src: string; peer: string}}): string {
  const lines = [
    `vrrp_instance ${o.name} {`,
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${o.vrid}`,
    `  priority ${o.priority}`,
    `  advert_int ${o.advertInt}`,
  ]
  if (o.version === 3) lines.push('  version 3')
  if (o.auth) lines.push('  authentication {', '    auth_type PASS', `    auth_pass ${PASS}`, '  }')
  if (o.unicast) lines.push(`  unicast_src_ip ${o.unicast.src}`, '  unicast_peer {', `    ${o.unicast.peer}`, '  }')
  lines.push('  virtual_ipaddress {', ...o.vips.map((v) => `    ${v}`), '  }', '}')
  return lines.join('\n')
}

export async function startSniffLab(opts: {prefix?: string; subnet?: string; hosts?: 2 | 3; ipv6?: boolean} = {}): Promise<SniffLab> {
  const prefix = opts.prefix ?? PREFIX
  await labDown({name: prefix}).catch(() => undefined)
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-lab-`))
  const tcpdumps = new Set<ChildProcess>()
  const n = opts.hosts ?? 2
  const names = (['lb1', 'lb2', 'lb3'] as const).slice(0, n)
  let up: LabUpResult
  try {
    up = await labUp({name: prefix, hosts: n, subnet: opts.subnet ?? SUBNET, engine: 'keepalived', stateDir: join(dir, 'lab')})
  } catch (e) {
    rmSync(dir, {recursive: true, force: true})
    throw e
  }
  const hosts = {lb1: (await findHost(prefix, 'lb1'))!, lb2: (await findHost(prefix, 'lb2'))!} as SniffLab['hosts']
  const addr = {lb1: up.hosts[0].address, lb2: up.hosts[1].address} as SniffLab['addr']
  if (n === 3) {
    hosts.lb3 = (await findHost(prefix, 'lb3'))!
    addr.lb3 = up.hosts[2].address
  }
  if (opts.ipv6 ?? true) {
    await execInHost(hosts.lb1, ['ip', 'addr', 'add', 'fd00:201::11/64', 'dev', 'eth0', 'nodad'])
    await execInHost(hosts.lb2, ['ip', 'addr', 'add', 'fd00:201::12/64', 'dev', 'eth0', 'nodad'])
  }
  const bridge = `${prefix}-br`
  const lab: SniffLab = {
    up,
    dir,
    prefix,
    bridge,
    hosts,
    addr,
    async startKeepalived(node, conf) {
      writeFileSync(`/etc/netns/${prefix}-${node}/keepalived/keepalived.conf`, conf)
      await startInHost(hosts[node]!, ['keepalived', '-n', '-l', '-D', '-f', '/etc/keepalived/keepalived.conf', '-p', '/run/keepalived.pid', '-r', '/run/keepalived-vrrp.pid'], {
        pidFile: '/run/hsn-keepalived.pid',
        logFile: '/run/keepalived.log',
      })
      // bounded wait for the VRRP child
      for (let i = 0; i < 50; i++) {
        if ((await execInHost(hosts[node]!, ['test', '-s', '/run/keepalived-vrrp.pid'], {reject: false})).exitCode === 0) return
        await sleep(100)
      }
      throw new Error(`keepalived did not start on ${node}: ${await lab.exec(node, ['cat', '/run/keepalived.log'])}`)
    },
    async killKeepalived(node) {
      await execInHost(hosts[node]!, ['sh', '-c', 'kill -9 $(cat /run/keepalived-vrrp.pid) $(cat /run/hsn-keepalived.pid)'], {reject: false})
      await execInHost(hosts[node]!, ['rm', '-f', '/run/keepalived-vrrp.pid', '/run/keepalived.pid', '/run/hsn-keepalived.pid'], {reject: false})
    },
    async stopKeepalived(node) {
      await execInHost(hosts[node]!, ['sh', '-c', 'p=$(cat /run/hsn-keepalived.pid 2>/dev/null) && kill -TERM "$p"; for i in $(seq 50); do kill -0 "$p" 2>/dev/null || exit 0; sleep 0.1; done; kill -9 "$p"'], {reject: false})
      await execInHost(hosts[node]!, ['rm', '-f', '/run/keepalived-vrrp.pid', '/run/keepalived.pid', '/run/hsn-keepalived.pid'], {reject: false})
    },
    async exec(node, argv) {
      return (await execInHost(hosts[node]!, argv, {reject: false})).stdout
    },
    async tcpdump(file) {
      const child = spawn('tcpdump', ['-i', bridge, '-U', '-n', '-w', file, 'ip proto 112 or ip6 proto 112'], {stdio: ['ignore', 'ignore', 'pipe']})
      tcpdumps.add(child)
      let err = ''
      child.stderr!.on('data', (d) => (err += String(d)))
      for (let i = 0; i < 50 && !err.includes('listening'); i++) await sleep(100)
      return async () => {
        if (child.exitCode === null) {
          child.kill('SIGINT')
          await Promise.race([new Promise((r) => child.once('exit', r)), sleep(3000)])
          if (child.exitCode === null) child.kill('SIGKILL')
        }
        tcpdumps.delete(child)
      }
    },
    async down() {
      for (const c of tcpdumps) if (c.exitCode === null) c.kill('SIGKILL')
      for (const h of names) await lab.stopKeepalived(h).catch(() => undefined)
      await labDown({name: prefix, stateDir: join(dir, 'lab')}).catch(() => undefined)
      rmSync(dir, {recursive: true, force: true})
    },
  }
  return lab
}
