/**
 * use_vmac beside a real keepalived 2.2.7 on the same config: both make a
 * private macvlan vrrp.VRID with 00:00:5e:00:01:VRID on eth0 at start, hold the
 * VIP on it as MASTER, and remove it at stop; a client resolves the VIP to the
 * vMAC and keeps reaching it across takeovers between the two. vrrp_strict:
 * the engine ignores, resets and warns about what keepalived does on the same
 * config.
 */
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {EngineLab, sleep, useEngineLab, vrrpConf, waitFor} from './lab.js'

const NET = '10.116.4'
const VIP = `${NET}.100`
const VMAC = '00:00:5e:00:01:33' // vrid 51
let lab: EngineLab

useEngineLab(['e', 'k', 'c'], (l) => (lab = l), {prefix: 'x116d', net: NET, killAfterEach: true})

interface LinkJson {
  address?: string
  link?: string
  linkinfo?: {info_kind?: string; info_data?: {mode?: string}}
}

/** vrrp.51 on a host: its MAC, kind, mode, parent, and whether it holds the VIP */
async function vmacLink(host: string) {
  const ns = lab.host(host).netns
  const r = await execa('ip', ['-n', ns, '-d', '-j', 'link', 'show', 'dev', 'vrrp.51'], {reject: false})
  if (r.exitCode !== 0) return undefined
  const [l] = JSON.parse(r.stdout) as LinkJson[]
  const a = await execa('ip', ['-n', ns, '-br', 'addr', 'show', 'dev', 'vrrp.51'])
  return {mac: l.address, kind: l.linkinfo?.info_kind, mode: l.linkinfo?.info_data?.mode, parent: l.link, holdsVip: a.stdout.includes(`${VIP}/24`)}
}

const holdsVip = async (host: string) => (await vmacLink(host))?.holdsVip === true

/** Give the client a stale neighbour entry for the VIP (a takeover's gratuitous ARP must replace it). */
async function staleNeighbour(): Promise<void> {
  await execa('ip', ['-n', lab.host('c').netns, 'neigh', 'replace', VIP, 'lladdr', '02:00:00:00:00:99', 'dev', 'eth0', 'nud', 'stale'])
}

const neighbour = async () =>
  (JSON.parse((await execa('ip', ['-n', lab.host('c').netns, '-j', 'neigh', 'show', 'to', VIP, 'dev', 'eth0'])).stdout) as Array<{lladdr?: string}>)[0]?.lladdr

/** The MACs answering the client's ARP requests for the VIP (lower case, unique). */
async function arpReplies(): Promise<string[]> {
  const r = await execa('ip', ['netns', 'exec', lab.host('c').netns, 'arping', '-c', '2', '-w', '2', '-I', 'eth0', VIP], {reject: false})
  return [...new Set([...r.stdout.matchAll(/reply from \S+ \[([0-9A-Fa-f:]+)\]/g)].map((m) => m[1].toLowerCase()))]
}

describe('use_vmac', () => {
  it('the engine and keepalived: vrrp.51 macvlan with the vMAC, the VIP on it as MASTER, only the vMAC answers ARP, each takeover moves the client\'s neighbour entry to the vMAC, removed at stop', async () => {
    const conf = (priority: number) => vrrpConf({priority, vips: [`${VIP}/24`], extra: ['use_vmac']})
    const e = await lab.startEngine('e', conf(100))
    await staleNeighbour()
    // made at start, as keepalived does, before any election
    expect(await vmacLink('e')).toMatchObject({mac: VMAC, kind: 'macvlan', mode: 'private', parent: 'eth0'})
    expect(await waitFor(() => holdsVip('e'), 8000)).toBe(true)
    expect((await lab.holders(VIP)).length).toBe(0) // not on eth0
    expect(await waitFor(async () => (await neighbour()) === VMAC, 3000)).toBe(true)
    expect(await arpReplies()).toEqual([VMAC])

    // keepalived with a higher priority takes over: its vrrp.51 is the same, the engine's stays without the VIP
    await staleNeighbour()
    const k = await lab.startKeepalived('k', conf(200))
    expect(await waitFor(() => holdsVip('k'), 8000)).toBe(true)
    expect(await vmacLink('k')).toMatchObject({mac: VMAC, kind: 'macvlan', mode: 'private', parent: 'eth0', holdsVip: true})
    expect(await waitFor(async () => !(await holdsVip('e')), 3000)).toBe(true)
    expect(await vmacLink('e')).toMatchObject({mac: VMAC, holdsVip: false})
    expect(await waitFor(async () => (await neighbour()) === VMAC, 3000)).toBe(true)
    expect(await arpReplies()).toEqual([VMAC])

    // keepalived stops: its vrrp.51 is gone; the engine takes over and announces the VIP from the vMAC
    await staleNeighbour()
    await sleep(1100) // past the neighbour entry's locktime
    expect(await lab.stop(k)).toBe(0)
    expect(await vmacLink('k')).toBeUndefined()
    expect(await waitFor(() => holdsVip('e'), 8000)).toBe(true)
    expect(await waitFor(async () => (await neighbour()) === VMAC, 3000)).toBe(true)
    expect(await arpReplies()).toEqual([VMAC])

    expect(await lab.stop(e)).toBe(0)
    expect(await vmacLink('e')).toBeUndefined()
  })
})

describe('vrrp_strict', () => {
  it('authentication ignored, preempt_delay reset, a non-owner MASTER starts as BACKUP: the warnings keepalived gives on the same config', async () => {
    const conf = vrrpConf({state: 'MASTER', priority: 100, authPass: 'secret', preemptDelay: 5, vips: [`${VIP}/24`], globals: ['vrrp_strict']})
    const file = join(lab.dir, 'strict.conf')
    await writeFile(file, conf)
    const t = await execa('ip', ['netns', 'exec', lab.host('k').netns, 'keepalived', '-t', '-l', '-D', '-f', file], {reject: false})
    const kept = t.stdout + t.stderr
    expect(kept).toContain('(VI_1) Strict mode does not support authentication. Ignoring.')
    expect(kept).toContain('(VI_1) preempt_delay is incompatible with strict mode - resetting')
    const e = await lab.startEngine('e', conf)
    const st = await lab.status(e)
    expect(st.instances[0].state).toBe('BACKUP')
    expect(await lab.stop(e)).toBe(0)
    const {warnings} = JSON.parse(e.log().slice(e.log().indexOf('{'))) as {warnings: string[]}
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/VI_1: vrrp_strict: authentication is not allowed; ignored/),
        expect.stringMatching(/VI_1: vrrp_strict: preempt_delay is incompatible; reset to 0/),
        expect.stringMatching(/VI_1: vrrp_strict: state MASTER needs the address owner \(priority 255\); starting as BACKUP/),
      ]),
    )
  })
})
