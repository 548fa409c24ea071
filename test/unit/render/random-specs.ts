/**
 * Seeded random cluster specs for property tests: valid by construction
 * (the rules semantics.ts enforces are respected), varied in every option.
 */
export function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function randomSpec(seed: number): Record<string, unknown> {
  const r = rng(seed)
  const int = (a: number, b: number) => a + Math.floor(r() * (b - a + 1))
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]
  const maybe = <T>(v: () => T, p = 0.5): T | undefined => (r() < p ? v() : undefined)
  const strict = r() < 0.15
  const nodeCount = int(1, 4)
  const nodes = Array.from({length: nodeCount}, (_, i) => ({
    name: `n${i + 1}`,
    address: `10.${seed % 200}.0.${11 + i}`,
    interface: maybe(() => pick(['eth0', 'eth1']), 0.2),
    routerId: maybe(() => `rid-${i}`, 0.2),
  }))
  const scripts: Record<string, unknown> = {}
  for (let i = 0; i < int(0, 3); i++) {
    scripts[`chk_${i}`] = {
      script: pick(['/bin/true', '/usr/bin/pgrep nginx', '/sbin/ip route get 192.0.2.1']),
      interval: maybe(() => int(1, 10)),
      timeout: maybe(() => int(1, 5)),
      weight: maybe(() => int(-100, 100)),
      rise: maybe(() => int(1, 5)),
      fall: maybe(() => int(1, 5)),
    }
  }
  const scriptNames = Object.keys(scripts)
  const instanceCount = int(1, 3)
  const instances = Array.from({length: instanceCount}, (_, i) => {
    const v6 = r() < 0.3
    const preempt = strict ? true : r() < 0.8
    const version = v6 ? 3 : pick([2, 3, undefined])
    const vips = v6
      ? [strict ? `fe80::${i + 1}:100/64` : `fd00:${i}::100/64`, ...(r() < 0.5 ? [{address: `fd00:${i}::101/64`, dev: 'eth0'}] : [])]
      : [`10.${seed % 200}.${i + 1}.100/24`, ...(r() < 0.5 ? [{address: `10.${seed % 200}.${i + 1}.101/24`, dev: 'eth0', label: 'eth0:1'}] : []), ...(r() < 0.2 ? [`fd00:99::${i + 1}/64`] : [])]
    return {
      name: `VI_${i}`,
      vrid: r() < 0.7 ? 'auto' : 200 + i,
      vips,
      version,
      advertInt: version === 3 ? pick([1, 0.5, 2]) : pick([1, 2, 3]),
      auth: !strict && version !== 3 && !v6 && r() < 0.5 ? {type: pick(['PASS', 'AH'] as const), pass: 'pw12'} : undefined,
      unicast: !strict && !v6 && nodeCount > 1 && r() < 0.4,
      preempt,
      preemptDelay: !strict && preempt && r() < 0.2 ? int(1, 60) : undefined,
      master: nodeCount > 1 && r() < 0.3 ? pick(nodes).name : undefined,
      trackScripts: scriptNames.length && r() < 0.6 ? [pick(scriptNames)] : undefined,
      trackInterfaces: r() < 0.2 ? ['eth2'] : undefined,
      garp: r() < 0.2 ? {masterDelay: int(0, 5), masterRefresh: int(0, 60)} : undefined,
      notify: r() < 0.3 ? {notify: {template: 'notify'}} : undefined,
    }
  })
  const syncGroups = instanceCount > 1 && r() < 0.3 ? [{name: 'SG', instances: instances.map((i) => i.name)}] : undefined
  // keepalived ignores track weights in a sync group: grouped instances track only unweighted scripts
  if (syncGroups) for (const i of instances) i.trackScripts = i.trackScripts?.filter((n) => (scripts[n] as {weight?: number}).weight === undefined)
  const virtualServers =
    r() < 0.4
      ? Array.from({length: int(1, 3)}, (_, v) => ({
          address: `10.${seed % 200}.1.100`,
          port: 80 + v,
          lbAlgo: pick(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'mh', 'dh', 'sed', 'nq', 'fo', 'ovf'] as const),
          lbKind: pick(['NAT', 'DR', 'TUN'] as const),
          delayLoop: maybe(() => int(1, 10)),
          realServers: Array.from({length: int(1, 3)}, (_, k) => ({
            ip: `10.${seed % 200}.2.${20 + k}`,
            port: 80 + v,
            weight: maybe(() => int(1, 5)),
            check: pick([
              undefined,
              {type: 'TCP_CHECK', connectTimeout: int(1, 5)},
              {type: 'HTTP_GET', urls: [{path: '/health', statusCode: 200}], retry: int(0, 3)},
              {type: 'SSL_GET', urls: [{path: '/'}]},
              {type: 'MISC_CHECK', path: '/bin/true', timeout: int(1, 5)},
            ]),
          })),
        }))
      : undefined
  const globalDefs = {
    vrrpStrict: strict || undefined,
    vrrpSkipCheckAdvAddr: maybe(() => true, 0.3),
    vrrpGarpInterval: maybe(() => 0.01, 0.2),
    notificationEmail: maybe(() => ['ops@example.net'], 0.2),
  }
  return JSON.parse(JSON.stringify({cluster: `c${seed}`, nodes, instances, scripts, syncGroups, virtualServers, globalDefs}))
}
