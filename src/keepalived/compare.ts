import {DEFAULT_LB_ALGO, DEFAULT_LB_KIND} from './keywords.js'
import {MAX_AUTH_PASS_BYTES} from './limits.js'
import {stripLocations, type KeepalivedConfig, type VirtualServer, type VrrpInstance} from './model.js'

/**
 * When two parsed keepalived configs mean the same to keepalived: keyword by
 * keyword, with keepalived's defaults filled in (state BACKUP, priority 100,
 * advert_int 1, preempt_delay 0, virtual_server lb_algo wlc / lb_kind NAT /
 * protocol TCP), auth_pass as the 8 bytes keepalived keeps, what keepalived
 * ignores left out, and blocks in a stable order. Used by import (the round
 * trip) and deploy (a hand-written config that differs in form only). Pure.
 */

/** JSON with sorted keys and no locations: equal models give equal strings. */
export const json = (v: unknown): string =>
  JSON.stringify(stripLocations(v), (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x,
  )

/** keepalived's defaults, so that "absent" and "the default written out" compare equal; auth_pass as keepalived keeps it. */
export function withDefaults(vi: VrrpInstance): VrrpInstance {
  return {
    ...vi,
    state: vi.state ?? 'BACKUP',
    priority: vi.priority ?? 100,
    advertInt: vi.advertInt ?? 1,
    preemptDelay: vi.nopreempt ? vi.preemptDelay : (vi.preemptDelay ?? 0),
    ...(vi.authentication ? {authentication: {...vi.authentication, pass: effectivePass(vi.authentication.pass)}} : {}),
  }
}

export const vsDefaults = (v: VirtualServer): VirtualServer => ({
  ...v,
  lbAlgo: v.lbAlgo ?? DEFAULT_LB_ALGO,
  lbKind: v.lbKind ?? DEFAULT_LB_KIND,
  protocol: v.protocol ?? (v.fwmark === undefined && v.group === undefined ? 'TCP' : undefined),
})

/** What keepalived ignores of an instance: auth under vrrp_strict ("Strict mode does not support authentication. Ignoring."), tracking its own interface. */
export function ignoredByKeepalived(vi: VrrpInstance, strict: boolean): {authentication: boolean; trackInterface: string[]} {
  return {authentication: strict && vi.authentication !== undefined, trackInterface: (vi.trackInterface ?? []).filter((t) => t.name === vi.interface).map((t) => t.name)}
}

/** The instance as keepalived runs it (see ignoredByKeepalived). */
export function effectiveInstance(vi: VrrpInstance, strict: boolean): VrrpInstance {
  const ign = ignoredByKeepalived(vi, strict)
  const out = {...vi}
  if (ign.authentication) delete out.authentication
  if (ign.trackInterface.length) {
    const left = (vi.trackInterface ?? []).filter((t) => !ign.trackInterface.includes(t.name))
    if (left.length) out.trackInterface = left
    else delete out.trackInterface
  }
  return out
}

/** The parsed model with keepalived's defaults filled and blocks in a stable order (block order means nothing to keepalived). */
export function comparable(cfg: KeepalivedConfig, opts: {ignoreRouterId?: boolean} = {}): unknown {
  const byName = <T extends {name: string}>(xs: T[]) => [...xs].sort((a, b) => a.name.localeCompare(b.name))
  const g = cfg.globalDefs ? {...cfg.globalDefs} : undefined
  if (g && opts.ignoreRouterId) delete g.routerId
  const gd = g && Object.values(stripLocations(g)).some((x) => x !== undefined) ? g : undefined
  return stripLocations({
    globalDefs: gd && Object.keys(stripLocations(gd)).length ? gd : undefined,
    staticIpaddress: cfg.staticIpaddress,
    scripts: byName(cfg.scripts),
    syncGroups: byName(cfg.syncGroups),
    instances: byName(cfg.instances.map((vi) => withDefaults(effectiveInstance(vi, cfg.globalDefs?.vrrpStrict === true)))),
    virtualServers: cfg.virtualServers.map(vsDefaults).sort((a, b) => json(a).localeCompare(json(b))),
    extra: cfg.extra,
  })
}

/** auth_pass as keepalived keeps it: its first 8 bytes (a cut inside a UTF-8 character keeps the whole value, for the spec to refuse). */
export function effectivePass(pass: string): string {
  const b = Buffer.from(pass)
  if (b.length <= MAX_AUTH_PASS_BYTES) return pass
  const cut = b.subarray(0, MAX_AUTH_PASS_BYTES).toString()
  return Buffer.byteLength(cut) === MAX_AUTH_PASS_BYTES ? cut : pass
}
/** Do two configs mean the same to keepalived (see comparable)? */
export function sameMeaning(a: KeepalivedConfig, b: KeepalivedConfig, opts: {ignoreRouterId?: boolean} = {}): boolean {
  return json(comparable(a, opts)) === json(comparable(b, opts))
}
