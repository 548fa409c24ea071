import {lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {PcapWriter} from '../../../src/capture/pcap-writer.js'
import {applyOutput, planOutput} from '../../../src/init/output.js'
import {writeStarterSpec} from '../../../src/init/starter.js'
import {writeFileSafe} from '../../../src/lib/safe-write.js'
import {loadSpecText, renderCluster} from '../../../src/spec/index.js'

/** A symlink planted at any path halctl writes is never followed; modes are set before content. */
let dir: string
let victim: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'halctl-sw-'))
  victim = join(dir, 'victim')
  writeFileSync(victim, 'precious\n', {mode: 0o644})
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

const untouched = () => expect(readFileSync(victim, 'utf8')).toBe('precious\n')
const noTemp = (d: string) => expect(readdirSync(d).filter((f) => f.endsWith('.tmp'))).toEqual([])

describe('writeFileSafe', () => {
  it('writes atomically with the mode asked for, leaving no temp file', () => {
    const p = join(dir, 'a.conf')
    writeFileSafe(p, 'x\n', {mode: 0o600})
    expect(readFileSync(p, 'utf8')).toBe('x\n')
    expect(statSync(p).mode & 0o777).toBe(0o600)
    writeFileSafe(p, 'y\n', {mode: 0o755})
    expect(statSync(p).mode & 0o777).toBe(0o755)
    noTemp(dir)
  })

  it('refuses a symlink at the target, and a symlinked directory below its root', () => {
    const p = join(dir, 'link')
    symlinkSync(victim, p)
    expect(() => writeFileSafe(p, 'evil')).toThrow(/symbolic link/)
    untouched()
    expect(lstatSync(p).isSymbolicLink()).toBe(true)
    const root = join(dir, 'out')
    mkdirSync(root)
    symlinkSync(dir, join(root, 'lb1'))
    expect(() => writeFileSafe(join(root, 'lb1', 'victim'), 'evil', {root})).toThrow(/lb1: it is a symbolic link/)
    untouched()
    noTemp(dir)
  })
})

describe('init output, pcaps and starter specs go through it', () => {
  const spec = `cluster: c\nnodes: [{name: lb1, address: 10.0.0.1}, {name: lb2, address: 10.0.0.2}]\ninstances: [{name: V, vips: [10.0.0.9/24], auth: {type: PASS, pass: 'env:HAL_SW_PASS'}}]\n`
  /** The rendered spec and an output directory with <out>/lb1 and a link planted at `plant` inside it. */
  const setup = (plant: string, target: string) => {
    process.env.HAL_SW_PASS = 'sw-pw'
    const rendered = renderCluster(loadSpecText(spec, 'spec.yaml'))
    delete process.env.HAL_SW_PASS
    const out = join(dir, 'out')
    mkdirSync(join(out, 'lb1'), {recursive: true})
    symlinkSync(target, join(out, plant))
    return {rendered, out}
  }
  it('a link planted at <out>/lb1/keepalived.conf or <out>/lb2 is refused, nothing is written through it', () => {
    const {rendered, out} = setup('lb1/keepalived.conf', victim)
    expect(() => planOutput(rendered, out)).toThrow(/symbolic link/)
    rmSync(join(out, 'lb1', 'keepalived.conf'))
    symlinkSync(dir, join(out, 'lb2'))
    // lb2/keepalived.conf resolves to <dir>/keepalived.conf: the directory link is refused when writing
    const plan = planOutput(rendered, out)
    expect(() => applyOutput(plan, out)).toThrow(/lb2: it is a symbolic link/)
    expect(readdirSync(dir).sort()).toEqual(['out', 'victim'])
    untouched()
  })

  it('the old predictable temp name is not used: a link planted there is left alone', () => {
    const {rendered, out} = setup('lb1/keepalived.conf.halctl-tmp', victim)
    applyOutput(planOutput(rendered, out), out)
    untouched()
    expect(readFileSync(join(out, 'lb1', 'keepalived.conf'), 'utf8')).toContain('auth_pass')
    expect(statSync(join(out, 'lb1', 'keepalived.conf')).mode & 0o777).toBe(0o600)
  })

  it('sniff --write: a pcap path that is a link is refused; a pcap appears whole at close', async () => {
    const link = join(dir, 'cap.pcap')
    symlinkSync(victim, link)
    await expect(PcapWriter.open(link, 1)).rejects.toThrow(/symbolic link/)
    untouched()
    const p = join(dir, 'ok.pcap')
    const w = await PcapWriter.open(p, 1)
    w.write({tsSec: 1, tsNsec: 0, data: new Uint8Array(60)})
    expect(() => statSync(p)).toThrow()
    await w.close()
    expect(statSync(p).size).toBe(24 + 16 + 60)
    noTemp(dir)
  })

  it('init --preset -o: a link at the output path is refused even with --force', () => {
    const link = join(dir, 'web.yaml')
    symlinkSync(victim, link)
    expect(() => writeStarterSpec('active-passive', {cluster: 'web', nodes: [{name: 'a', address: '10.0.0.1'}, {name: 'b', address: '10.0.0.2'}], vips: ['10.0.0.9/24']}, link, {force: true})).toThrow(/symbolic link/)
    untouched()
  })
})
