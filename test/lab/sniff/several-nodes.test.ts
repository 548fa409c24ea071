import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import Sniff, {type SniffResult} from '../../../src/commands/sniff.js'
import type {PacketRecordJson} from '../../../src/sniff/packet-record.js'
import {runCommand} from '../../helpers/run-command.js'
import {instance, keepalivedConf, startSniffLab, type SniffLab} from './fixture.js'

/**
 * `sniff --node lb1 --node lb2`: real keepalived sending unicast VRRP from lb1 to lb2, captured
 * on both nodes at once over SSH. Every advert is seen twice (sent on lb1, received on lb2) and
 * counted once; the saved capture, read by tcpdump, has each advert (IP ID) once.
 */
const PREFIX = 'x120s'
const SUBNET = '10.120.6.0/24'
let lab: SniffLab

describe.skipIf(process.getuid?.() !== 0)('halctl sniff --node A --node B', () => {
  beforeAll(async () => {
    lab = await startSniffLab({prefix: PREFIX, subnet: SUBNET, hosts: 2, ipv6: false})
    const {addr} = lab
    for (const [node, prio, peer] of [
      ['lb1', 150, addr.lb2],
      ['lb2', 100, addr.lb1],
    ] as const) {
      await lab.startKeepalived(node, keepalivedConf(node, addr, [instance({name: 'UNI', vrid: 71, priority: prio, advertInt: '1', vips: ['10.120.6.171/24'], unicast: {src: addr[node], peer}})]))
    }
    // both start as BACKUP: lb1 wins after its Master_Down_Interval
    await sleep(4500)
  }, 120_000)

  afterAll(async () => {
    await lab?.down()
  }, 60_000)

  it('captures on both nodes at once: each advert once, each packet naming its node, no finding from the double view', async () => {
    const file = join(lab.dir, 'both.pcap')
    const r = await runCommand<SniffResult>(Sniff, ['--node', 'lb1', '--node', 'lb2', '-s', lab.up.spec, '--duration', '5', '--json', '--write', file])
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    const s = r.result!
    const pk = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((o) => o.type === 'packet') as PacketRecordJson[]
    expect(s.source).toBe('lb1:eth0,lb2:eth0')
    expect(pk.length).toBe(s.packets)
    expect(s.packets).toBeGreaterThanOrEqual(3)
    expect(pk.every((p) => p.vrid === 71 && p.src === lab.addr.lb1 && p.dst === lab.addr.lb2)).toBe(true)
    expect(pk.every((p) => p.interface === 'lb1:eth0' || p.interface === 'lb2:eth0')).toBe(true)
    // sent on lb1 and received on lb2: (nearly) every advert arrived twice
    expect(s.duplicates).toBeGreaterThanOrEqual(s.packets - 2)
    expect(s.duplicates).toBeLessThanOrEqual(s.packets)
    expect(s.vrids).toHaveLength(1)
    expect(s.vrids[0]).toMatchObject({vrid: 71, master: lab.addr.lb1, interface: 'lb1:eth0,lb2:eth0'})
    // one advert a second, not two
    expect(s.vrids[0].adverts).toBe(s.packets)
    expect(s.findings.filter((f) => f.severity !== 'info')).toEqual([])
    // the oracle: tcpdump reads the saved capture, each advert (its IP ID) once
    const ids = execFileSync('tcpdump', ['-n', '-v', '-r', file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
      .split('\n')
      .map((l) => / id (\d+),/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined)
    expect(ids).toHaveLength(s.packets)
    expect(new Set(ids).size).toBe(ids.length)
  }, 60_000)
})
