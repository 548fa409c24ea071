/**
 * The speaker wired to a fake link and a fake host (no root): what it sends,
 * which addresses it adds and removes, notify scripts in keepalived's order
 * with its arguments, SIGHUP-style reload keeping the VIPs that stay.
 */
import {chmod, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parseFrame} from '../../../src/capture/frame.js'
import {engineConfig, type EngineConfig} from '../../../src/engine/config.js'
import {VrrpEngine} from '../../../src/engine/engine.js'
import {advertFrames} from '../../../src/engine/frames.js'
import type {HostOps} from '../../../src/engine/host.js'
import type {FrameLink} from '../../../src/engine/link.js'
import {parseKeepalivedConfig} from '../../../src/keepalived/parse/index.js'
import type {VirtualAddress} from '../../../src/keepalived/model.js'

class FakeLink implements FrameLink {
  sent: Buffer[] = []
  closed = false
  private cb?: (f: Uint8Array) => void
  constructor(readonly iface: string) {}
  send(f: Buffer) {
    this.sent.push(Buffer.from(f))
  }
  onFrame(cb: (f: Uint8Array) => void) {
    this.cb = cb
  }
  deliver(f: Buffer) {
    this.cb?.(f)
  }
  close() {
    this.closed = true
  }
  adverts(): Array<{priority: number; addresses: string[]}> {
    return this.sent.flatMap((f) => {
      const p = parseFrame(f, 1)
      return p.kind === 'vrrp' && p.vrrp?.packet ? [{priority: p.vrrp.packet.priority, addresses: p.vrrp.packet.addresses}] : []
    })
  }
  garps(): number {
    return this.sent.filter((f) => f.readUInt16BE(12) === 0x0806).length
  }
}

class FakeHost implements HostOps {
  ops: string[] = []
  private isUp = true
  private watcher?: (name: string, up: boolean | undefined) => void
  watching = false
  get up() {
    return this.isUp
  }
  /** a kernel link event */
  set up(v: boolean) {
    this.isUp = v
    this.watcher?.('eth0', v)
  }
  watchLinks(cb: (name: string, up: boolean | undefined) => void) {
    this.watcher = cb
    this.watching = true
    return () => {
      this.watcher = undefined
      this.watching = false
    }
  }
  async link(name: string) {
    return name === 'eth0' ? {name, mac: '02:00:00:00:00:01', up: true, ipv4: '192.0.2.1', ipv6LinkLocal: 'fe80::1'} : undefined
  }
  async linkStates() {
    return new Map([['eth0', this.up]])
  }
  async addAddress(v: VirtualAddress, dev: string) {
    this.ops.push(`add ${v.address} ${v.dev ?? dev}`)
  }
  async delAddress(v: VirtualAddress, dev: string) {
    this.ops.push(`del ${v.address} ${v.dev ?? dev}`)
  }
  async routeOrRule(kind: 'route' | 'rule', op: 'add' | 'del', args: readonly string[]) {
    this.ops.push(`${kind} ${op} ${args.join(' ')}`)
  }
  async addVmac(name: string, base: string, mac: string) {
    this.ops.push(`vmac add ${name} ${base} ${mac}`)
  }
  async delVmac(name: string) {
    this.ops.push(`vmac del ${name}`)
  }
  async neighbourMac() {
    return undefined
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function until(fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(5)
  }
}

let dir: string
let link: FakeLink
let host: FakeHost
let engine: VrrpEngine | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-unit-'))
  host = new FakeHost()
})
afterEach(async () => {
  await engine?.stop()
  engine = undefined
  await rm(dir, {recursive: true, force: true})
})

function config(body: string): EngineConfig {
  return engineConfig(parseKeepalivedConfig(body, {file: join(dir, 'keepalived.conf'), configId: 'x'}).config)
}

function conf(vips: string[], extra = ''): string {
  return `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  priority 100
  version 3
  advert_int 0.05
  ${extra}
  virtual_ipaddress {
${vips.map((v) => `    ${v}`).join('\n')}
  }
}
global_defs { vrrp_garp_master_delay 0 }
`
}

function start(cfg: EngineConfig): VrrpEngine {
  engine = new VrrpEngine(cfg, {host, openLink: (i) => (link = new FakeLink(i))})
  return engine
}

describe('VrrpEngine with a fake link and host', () => {
  it('alone on the link: MASTER after Master_Down_Interval, VIPs added, adverts and GARPs sent; stop sends priority 0 and removes them', async () => {
    const e = start(config(conf(['192.0.2.10/24', '192.0.2.11/24 dev eth0 label eth0:vip'])))
    await e.start()
    expect(e.status().instances[0].state).toBe('BACKUP')
    await until(() => e.status().instances[0].state === 'MASTER')
    await until(() => link.garps() >= 10)
    await until(() => (e.status().instances[0].advertGaps?.count ?? 0) >= 3)
    // 50 ms adverts: no gap shorter than the interval (timers never fire early)
    expect(e.status().instances[0].advertGaps!.p50).toBeGreaterThanOrEqual(49)
    expect(host.ops).toEqual(['add 192.0.2.10/24 eth0', 'add 192.0.2.11/24 eth0'])
    expect(link.adverts()[0]).toEqual({priority: 100, addresses: ['192.0.2.10', '192.0.2.11']})
    const final = await e.stop()
    engine = undefined
    expect(link.adverts().at(-1)!.priority).toBe(0)
    expect(host.ops.slice(2)).toEqual(['del 192.0.2.10/24 eth0', 'del 192.0.2.11/24 eth0'])
    expect(link.closed).toBe(true)
    expect(final.instances[0]).toMatchObject({state: 'INIT', counters: {becameMaster: 1, releasedMaster: 1}})
    expect(final.instances[0].lastTransition).toMatchObject({from: 'MASTER', to: 'INIT', reason: 'shutdown'})
  })

  it('use_vmac: the macvlan made at start, the VIPs without dev on it, removed at stop after them', async () => {
    const e = start(config(conf(['192.0.2.10/24', '192.0.2.11/24 dev eth0'], 'use_vmac')))
    await e.start()
    expect(host.ops).toEqual(['vmac add vrrp.9 eth0 00:00:5e:00:01:09'])
    await until(() => e.status().instances[0].state === 'MASTER')
    await until(() => host.ops.length >= 3)
    expect(host.ops.slice(1)).toEqual(['add 192.0.2.10/24 vrrp.9', 'add 192.0.2.11/24 eth0'])
    await e.stop()
    engine = undefined
    expect(host.ops.slice(3)).toEqual(['del 192.0.2.10/24 vrrp.9', 'del 192.0.2.11/24 eth0', 'vmac del vrrp.9'])
  })

  it('a higher priority advert sends it back to BACKUP and removes the VIPs; notify scripts run in order with their arguments', async () => {
    const log = join(dir, 'notify.log')
    const script = join(dir, 'notify.sh')
    await writeFile(script, `#!/bin/sh\necho "$*" >> ${log}\n`)
    await chmod(script, 0o755)
    const cfg = config(conf(['192.0.2.10/24'], `notify_master "${script} master"\n  notify_backup "${script} backup"\n  notify_stop "${script} stop"\n  notify ${script}`))
    const e = start(cfg)
    await e.start()
    await until(() => e.status().instances[0].state === 'MASTER')
    const peer = advertFrames(cfg.instances[0], {mac: '02:00:00:00:00:09', srcIp: '192.0.2.9'}, 200, new Map())[0]
    link.deliver(peer)
    expect(e.status().instances[0]).toMatchObject({state: 'BACKUP', masterIp: '192.0.2.9', masterPriority: 200})
    await until(() => host.ops.length === 2)
    expect(host.ops).toEqual(['add 192.0.2.10/24 eth0', 'del 192.0.2.10/24 eth0'])
    await e.stop()
    engine = undefined
    const lines = (await readFile(log, 'utf8')).trim().split('\n')
    expect(lines).toEqual([
      'backup',
      'INSTANCE VI_1 BACKUP 100',
      'master',
      'INSTANCE VI_1 MASTER 100',
      'backup',
      'INSTANCE VI_1 BACKUP 100',
      'stop',
      'INSTANCE VI_1 STOP 100',
    ])
  })

  it('a tracked interface that does not exist: refused at start, as keepalived does', async () => {
    const e = start(config(conf(['192.0.2.10/24'], 'track_interface {\n    eth9\n  }')))
    await expect(e.start()).rejects.toMatchObject({code: 'ENGINE_NO_INTERFACE', message: 'VI_1: track_interface eth9 does not exist'})
  })

  it('the interface going down is a FAULT (priority 0 if master); coming back returns to BACKUP', async () => {
    const e = start(config(conf(['192.0.2.10/24'])))
    await e.start()
    await until(() => e.status().instances[0].state === 'MASTER')
    host.up = false
    await until(() => e.status().instances[0].state === 'FAULT')
    expect(link.adverts().at(-1)!.priority).toBe(0)
    host.up = true
    await until(() => e.status().instances[0].state !== 'FAULT')
    expect(e.status().instances[0].lastTransition).toMatchObject({from: 'FAULT', to: 'BACKUP'})
  })

  it('reload keeps the state and the VIPs that stay, adds the new ones, removes the dropped ones', async () => {
    const e = start(config(conf(['192.0.2.10/24', '192.0.2.11/24'])))
    await e.start()
    await until(() => e.status().instances[0].state === 'MASTER')
    await until(() => host.ops.length === 2)
    host.ops = []
    await e.reload(config(conf(['192.0.2.11/24', '192.0.2.12/24'])))
    await until(() => host.ops.length === 2)
    expect(host.ops).toEqual(['del 192.0.2.10/24 eth0', 'add 192.0.2.12/24 eth0'])
    expect(e.status().instances[0]).toMatchObject({state: 'MASTER', virtualIps: ['192.0.2.11/24', '192.0.2.12/24']})
    expect(link.adverts().at(-1)!.addresses).toEqual(['192.0.2.11', '192.0.2.12'])
  })
})

describe('garp timing and group notifies', () => {
  it('garp_master_repeat per burst, a second burst after garp_master_delay, refresh while master', async () => {
    const cfg = config(conf(['192.0.2.10/24'], 'garp_master_delay 1\n  garp_master_repeat 3\n  garp_master_refresh 2\n  garp_master_refresh_repeat 2').replace('global_defs { vrrp_garp_master_delay 0 }', ''))
    const e = start(cfg)
    await e.start()
    await until(() => e.status().instances[0].state === 'MASTER')
    await until(() => link.garps() >= 3)
    const t0 = Date.now()
    expect(link.garps()).toBe(3)
    await sleep(1200 - (Date.now() - t0))
    expect(link.garps()).toBe(6)
    await sleep(2200 - (Date.now() - t0))
    expect(link.garps()).toBe(8)
  })

  it('a sync group runs its GROUP notify once per group state', async () => {
    const log = join(dir, 'group.log')
    const script = join(dir, 'g.sh')
    await writeFile(script, `#!/bin/sh\necho "$*" >> ${log}\n`)
    await chmod(script, 0o755)
    const two = conf(['192.0.2.10/24']) + conf(['192.0.2.20/24']).replace('VI_1', 'VI_2').replace('virtual_router_id 9', 'virtual_router_id 10')
    const e = start(config(`${two}\nvrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n  notify ${script}\n}\n`))
    await e.start()
    await until(() => e.status().instances.every((i) => i.state === 'MASTER'))
    await e.stop()
    engine = undefined
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['GROUP G BACKUP 0', 'GROUP G MASTER 0', 'GROUP G STOP 0'])
  })
})
