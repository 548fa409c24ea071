import {execa, type ResultPromise} from 'execa'
import {randomBytes} from 'node:crypto'
import {isIP} from 'node:net'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parseKeepalivedOutput} from '../../../src/keepalived/check.js'
import type {KeepalivedConfig, VrrpInstance} from '../../../src/keepalived/model.js'
import {maxVips} from '../../../src/keepalived/limits.js'
import {renderKeepalivedConfig} from '../../../src/keepalived/render.js'
import {FIELDS, hostileValue, rng, tryValue, type Field} from '../../unit/spec/hostile-values.js'

/**
 * The real keepalived 2.2.7 as the oracle for hostile spec values (the unit
 * test uses halctl's parser). Every value the spec accepts is rendered; then
 * 1. `keepalived -t` reads each config (several hundred, 4 at a time, in one
 *    scratch namespace whose interfaces the configs name): no diagnostic but
 *    host-specific ones, and no keyword the spec did not ask for; then the
 *    instance-level fields again with thousands of values, batched one
 *    vrrp_instance per value into configs of up to 150 instances (each
 *    diagnostic traced to its value by line);
 * 2. for the values keepalived shows in its configuration dump (VRRP password,
 *    VIP label, notify_master argv) one config per field carries up to 100 of
 *    them, one instance each; a real keepalived started on it (in the
 *    namespace, -d, killed once the dump is out) reads back exactly each value.
 */
const PER_FIELD = Number(process.env.HAL_HOSTILE_LAB_PER_FIELD ?? 16)
/** values per instance-level field for the batched keepalived -t (one config carries up to 150 of them) */
const BATCH_PER_FIELD = Number(process.env.HAL_HOSTILE_LAB_BATCH_PER_FIELD ?? 250)
const SEED = Number(process.env.HAL_HOSTILE_SEED ?? 13)
const IFACES = ['x13d0', 'eth0', 'eth1', 'x13d1', 'ens3', 'bond0.12', 'veth-a.1']

interface Accepted {
  field: Field
  value: string
  config: KeepalivedConfig
  text: string
}

function acceptedValues(perField: number, only?: string): Accepted[] {
  const out: Accepted[] = []
  for (const [fi, f] of FIELDS.entries()) {
    if (only !== undefined && f.path !== only) continue
    const r = rng(SEED * 7919 + fi)
    for (let n = 0; n < perField; n++) {
      const v = hostileValue(r, f.valid)
      if (f.secret && v.includes('\0')) continue
      const o = tryValue(f, v)
      if (o.kind === 'ok') out.push({field: f, value: v, config: o.rendered.nodes[0].config, text: o.rendered.nodes[0].text})
    }
  }
  return out
}

const run = (ns: string, argv: string[], timeout = 20_000) => execa('ip', ['netns', 'exec', ns, ...argv], {reject: false, all: true, timeout})

describe('the real keepalived reads hostile spec values exactly', () => {
  const ns = `x112h${randomBytes(3).toString('hex')}`
  let scratch: string
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'halctl-x13-'))
    await execa('ip', ['netns', 'add', ns])
    await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    for (const [i, name] of IFACES.entries()) {
      await execa('ip', ['-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `x13p${i}`])
      await execa('ip', ['-n', ns, 'link', 'set', name, 'up'])
      await execa('ip', ['-n', ns, 'link', 'set', `x13p${i}`, 'up'])
    }
    await execa('ip', ['-n', ns, 'addr', 'add', '10.113.1.11/24', 'dev', 'x13d0'])
  })
  afterAll(async () => {
    await execa('ip', ['netns', 'del', ns], {reject: false})
    rmSync(scratch, {recursive: true, force: true})
  })

  it('keepalived -t: only host-specific diagnostics and the raw keywords the spec asked for', async () => {
    const all = acceptedValues(PER_FIELD)
    expect(all.length).toBeGreaterThan(100)
    console.log(`keepalived -t on ${all.length} configs`)
    const failures: string[] = []
    let next = 0
    const worker = async () => {
      while (next < all.length) {
        const a = all[next++]
        const file = join(scratch, `t${next}.conf`)
        writeFileSync(file, a.text)
        const r = await run(ns, ['keepalived', '-t', '-f', file])
        const asked = a.field.rawKeyword?.(a.value)
        const bad = parseKeepalivedOutput(r.all ?? '').filter(
          (d) =>
            !d.hostSpecific &&
            !(asked && d.message.includes(`'${asked}'`)) &&
            // keepalived resolves a smtp_server name when it reads the config: this namespace has no DNS
            !(a.field.path === 'globalDefs.smtpServer' && isIP(a.value) === 0 && d.message.startsWith('Invalid smtp server')),
        )
        // keepalived -t exits 0, or non-zero for host-specific reasons only (a script or interface this host lacks)
        if (bad.length > 0) failures.push(`${a.field.path} = ${JSON.stringify(a.value)}: exit ${r.exitCode}: ${bad.map((d) => d.message).join(' | ')}`)
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    expect(failures).toEqual([])
  })

  it('keepalived -t on thousands of instance values, batched (one vrrp_instance per value, up to 150 per config): the same verdicts', async () => {
    // every instance-level field but the instance name (renamed here, so that the batch's instances differ)
    const batchable = (a: Accepted): boolean => a.field.path.startsWith('instances[0].') && a.field.path !== 'instances[0].name'
    const all = acceptedValues(BATCH_PER_FIELD).filter(batchable)
    // up to 150 values a config; two instances of one config never share a VMAC interface name (keepalived refuses that)
    const batches: Accepted[][] = []
    const vmac = (a: Accepted): string | undefined => (typeof a.config.instances[0].useVmac === 'string' ? a.config.instances[0].useVmac : undefined)
    for (const a of all) {
      const b = batches.find((x) => x.length < 150 && !(vmac(a) && x.some((y) => vmac(y) === vmac(a))))
      if (b) b.push(a)
      else batches.push([a])
    }
    console.log(`keepalived -t on ${all.length} instance values in ${batches.length} configs`)
    const failures: string[] = []
    let next = 0
    const worker = async () => {
      while (next < batches.length) {
        const b = next++
        const batch = batches[b]
        const scripts = new Map(batch.flatMap((a) => a.config.scripts).map((x) => [x.name, x]))
        // own name, VRID and VIP addresses per value (labels, devs, scopes and brds stay the value's)
        const instances = batch.map((a, k): VrrpInstance => ({
          ...a.config.instances[0],
          name: `VI_b${k}`,
          virtualRouterId: k + 1,
          virtualIpaddress: a.config.instances[0].virtualIpaddress.map((v, j) => ({...v, address: v.address.includes(':') ? `fd00:113::${k + 1}:${j + 1}/64` : `10.113.${3 + j}.${k + 1}/24`})),
        }))
        const text = renderKeepalivedConfig({...batch[0].config, scripts: [...scripts.values()], syncGroups: [], virtualServers: [], instances})
        // which value each line belongs to: its vrrp_instance block
        const lines = text.split('\n')
        const starts = instances.map((i) => lines.findIndex((l) => l === `vrrp_instance ${i.name} {`) + 1)
        const owner = (line?: number): Accepted | undefined => {
          if (!line) return undefined
          let k = -1
          for (const [j, st] of starts.entries()) if (st > 0 && st <= line) k = j
          return k >= 0 ? batch[k] : undefined
        }
        const file = join(scratch, `batch${b}.conf`)
        writeFileSync(file, text)
        const r = await run(ns, ['keepalived', '-t', '-f', file], 60_000)
        for (const d of parseKeepalivedOutput(r.all ?? '')) {
          if (d.hostSpecific) continue
          const a = owner(d.line)
          const asked = a?.field.rawKeyword?.(a.value)
          if (asked && d.message.includes(`'${asked}'`)) continue
          failures.push(`${a ? `${a.field.path} = ${JSON.stringify(a.value)}` : `batch ${b}`}: exit ${r.exitCode}: line ${d.line ?? '?'}: ${d.message}`)
        }
      }
    }
    await Promise.all([worker(), worker()])
    expect(failures).toEqual([])
    expect(all.length).toBeGreaterThan(BATCH_PER_FIELD >= 250 ? 1000 : 50)
  }, 600_000)

  it("the VIP limit halctl enforces is keepalived -t's own: at the limit accepted, one more refused", async () => {
    for (const fam of [4, 6] as const) {
      for (const extra of [0, 1]) {
        const n = maxVips(fam) + extra
        const vips = Array.from({length: n}, (_, i) => ({address: fam === 4 ? `10.113.${4 + Math.floor(i / 250)}.${1 + (i % 250)}/16` : `fd00:113::${(i + 1).toString(16)}/64`}))
        const config: KeepalivedConfig = {
          scripts: [],
          syncGroups: [],
          virtualServers: [],
          instances: [{name: 'VI_lim', state: 'BACKUP', interface: 'x13d0', virtualRouterId: 9, priority: 100, advertInt: 1, version: fam === 6 ? 3 : undefined, virtualIpaddress: vips}],
        }
        const file = join(scratch, `limit-${fam}-${extra}.conf`)
        writeFileSync(file, renderKeepalivedConfig(config))
        const r = await run(ns, ['keepalived', '-t', '-f', file])
        expect(r.exitCode, `IPv${fam} x${n}: ${r.all}`).toBe(extra ? 5 : 0)
        if (extra) expect(r.all).toContain(`max ${maxVips(fam)} addresses`)
      }
    }
  })

  /** keepalived -d's configuration dump, one block of lines per VRRP instance. */
  async function dumpInstances(config: KeepalivedConfig, tag: string): Promise<Map<string, string[]>> {
    const file = join(scratch, `${tag}.conf`)
    writeFileSync(file, renderKeepalivedConfig(config))
    const pids = ['-p', join(scratch, `${tag}.pid`), '-r', join(scratch, `${tag}-vrrp.pid`), '-c', join(scratch, `${tag}-check.pid`)]
    const child: ResultPromise = execa('ip', ['netns', 'exec', ns, 'keepalived', '-f', file, '-n', '-l', '-D', '-d', '-P', '--no-syslog', ...pids], {
      reject: false,
      all: true,
      timeout: 30_000,
    })
    let out = ''
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 20_000)
      child.all?.on('data', (b: Buffer) => {
        out += b.toString()
        if (out.includes('------< Interfaces >------')) {
          clearTimeout(t)
          resolve()
        }
      })
      void child.then(() => resolve())
    })
    child.kill('SIGTERM')
    await child
    const map = new Map<string, string[]>()
    let cur: string[] | undefined
    for (const raw of out.split('\n')) {
      const line = raw.replace(/^\w{3} \w{3} +\d+ [\d:]+ \d{4}: /, '')
      const m = /^ VRRP Instance = (.*)$/.exec(line)
      if (m) map.set(m[1], (cur = []))
      else if (/^ ?------</.test(line)) cur = undefined
      else cur?.push(line)
    }
    return map
  }

  const CHECKS: {path: string; line: (i: VrrpInstance) => string}[] = [
    {path: 'instances[0].auth.pass', line: (i) => `   Password = ${i.authentication!.pass}`},
    {path: 'instances[0].vips[0].label', line: (i) => `     ${i.virtualIpaddress[0].address} dev x13d0 scope global label ${i.virtualIpaddress[0].label}`},
    {path: 'instances[0].notify.master', line: (i) => `   Master state transition script = ${i.notifyMaster!.split(' ').map((w) => `'${w}'`).join(' ')}, uid:gid 0:0`},
  ]
  for (const c of CHECKS) {
    it(`keepalived's own dump shows each ${c.path} exactly`, async () => {
      const mine = acceptedValues(PER_FIELD * 8, c.path)
        .filter((a) => c.path !== 'instances[0].notify.master' || /^\/usr\/bin\/(true|echo|logger)( |$)/.test(a.value))
        .filter((a) => c.path !== 'instances[0].vips[0].label' || a.value.startsWith('x13d0'))
        .slice(0, 100)
      expect(mine.length, `${c.path}: accepted values`).toBeGreaterThan(5)
      const base = mine[0].config
      const instances = mine.map((a, k): VrrpInstance => ({
        ...a.config.instances[0],
        name: `VI_${k}`,
        virtualRouterId: k + 1,
        state: 'BACKUP',
        priority: 100,
        advertInt: 60,
        interface: 'x13d0',
        virtualIpaddress: a.config.instances[0].virtualIpaddress.map((v) => ({...v, address: `10.113.2.${k + 1}/24`, dev: 'x13d0'})),
      }))
      const config: KeepalivedConfig = {...base, scripts: [], virtualServers: [], syncGroups: [], instances}
      const dump = await dumpInstances(config, c.path.replace(/\W+/g, '_'))
      for (const [k, inst] of instances.entries()) {
        expect(dump.get(`VI_${k}`), `${c.path} = ${JSON.stringify(mine[k].value)}`).toContain(c.line(inst))
      }
    })
  }
})
