import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import Sniff, {type SniffResult} from '../../../src/commands/sniff.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {pcapFileHeader, pcapRecord} from '../../../src/capture/pcap-writer.js'
import {runCommand} from '../../helpers/run-command.js'
import {edgeFrames} from './edge-frames.js'
import {CORPUS_PCAP, REFERENCE_PCAP} from '../../helpers/corpus.js'
import {ngInterface, ngSection, ngSimple} from '../../helpers/pcapng.js'
import {buildVrrpFrame} from '../../../src/capture/frame.js'
import {makeAdvertisement} from '../../../src/vrrp/codec.js'

const REF = REFERENCE_PCAP
const dir = mkdtempSync(join(tmpdir(), 'halctl-sniffcmd-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const PACKET_KEYS = ['addrCount', 'addresses', 'authType', 'checksum', 'dst', 'dstMac', 'family', 'index', 'interface', 'intervalCs', 'issues', 'kind', 'length', 'priority', 'src', 'srcMac', 'time', 'ttl', 'type', 'version', 'vlan', 'vrid']
const FINDING_KEYS = ['active', 'code', 'count', 'event', 'evidence', 'family', 'first', 'fix', 'interface', 'last', 'measuredMs', 'message', 'routers', 'severity', 'type', 'vrid']
const SUMMARY_KEYS = ['duplicates', 'errors', 'findings', 'first', 'kinds', 'last', 'packets', 'source', 'type', 'vrids', 'written']
const VRID_KEYS = ['adverts', 'advertsPerSec', 'authType', 'family', 'first', 'interface', 'intervalCs', 'last', 'master', 'masterChanges', 'masterMac', 'priority', 'routers', 'vips', 'vrid']

describe('halctl sniff', () => {
  it('--json: NDJSON with one stable object per packet, then the summary; exit 0 on a healthy capture', async () => {
    const r = await runCommand<SniffResult>(Sniff, ['-r', REF, '--json'])
    expect(r.exitCode).toBe(0)
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.filter((l) => l.type === 'packet')).toHaveLength(165)
    expect(Object.keys(lines[0]).sort()).toEqual(PACKET_KEYS)
    expect(lines[0]).toMatchObject({type: 'packet', index: 1, time: '2014-03-05T21:55:06.745865Z', vrid: 42, priority: 191, authType: 'simple', addresses: ['10.4.42.1', '10.4.42.2', '10.4.42.3']})
    expect(JSON.stringify(lines)).not.toContain('abcdefgh')
    const summary = lines[lines.length - 1]
    expect(Object.keys(summary).sort()).toEqual(SUMMARY_KEYS)
    expect(Object.keys(summary.vrids[0]).sort()).toEqual(VRID_KEYS)
    expect(summary).toMatchObject({type: 'summary', packets: 165, errors: false})
    // routers joining one by one with higher priorities: preempts (info), nothing else
    expect(new Set(summary.findings.map((f: {code: string}) => f.code))).toEqual(new Set(['preempt']))
  })

  it('exits 3 with error findings, as NDJSON finding objects and in the text summary', async () => {
    const file = join(dir, 'edge.pcap')
    writeFileSync(file, Buffer.concat([pcapFileHeader(LinkType.ETHERNET), ...edgeFrames().map((f, i) => pcapRecord(1700000000 + i, 0, f))]))
    const j = await runCommand<SniffResult>(Sniff, ['-r', file, '--json'])
    expect(j.exitCode).toBe(3)
    const findings = j.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((o) => o.type === 'finding')
    expect(Object.keys(findings[0]).sort()).toEqual(FINDING_KEYS)
    const codes = new Set(findings.map((f) => f.code))
    for (const c of ['bad-ttl', 'bad-checksum', 'unknown-type', 'unknown-version', 'unknown-auth-type', 'addr-count-mismatch', 'carp']) expect(codes).toContain(c)
    const s = await runCommand<SniffResult>(Sniff, ['-r', file, '--summary'])
    expect(s.exitCode).toBe(3)
    expect(s.stdout).toContain('ERROR   bad-ttl')
    expect(s.stdout).toContain('fix: ')
    expect(s.stdout).toContain('status: error findings seen (exit 3)')
    expect(s.stdout).not.toContain('a^Ab')
  })

  it('--format tcpdump prints what tcpdump prints; --write saves a pcap that tcpdump reads the same', async () => {
    const out = join(dir, 'saved.pcap')
    const r = await runCommand<SniffResult>(Sniff, ['-r', REF, '--format', 'tcpdump', '-v', '--show-auth', '--write', out, '--count', '20'])
    expect(r.exitCode).toBe(0)
    const ours = r.stdout.trim().split('\n')
    const env = {...process.env}
    const real = execFileSync('tcpdump', ['-r', out, '-n', '-v'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env}).trim().split('\n')
    expect(ours).toEqual(real)
    const head = execFileSync('tcpdump', ['-r', REF, '-n', '-v', '-c', '20'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env}).trim().split('\n')
    expect(real).toEqual(head)
    expect(readFileSync(out).readUInt32LE(0)).toBe(0xa1b2c3d4)
  })

  it('--duration on a file stops at that much capture time', async () => {
    const r = await runCommand<SniffResult>(Sniff, ['-r', REF, '--summary', '--duration', '30', '--json'])
    expect(r.result!.packets).toBe(15)
  })

  it('refuses missing input, a missing file and a non-capture file with a hint and exit 2', async () => {
    const none = await runCommand(Sniff, [])
    expect(none.exitCode).toBe(2)
    expect(none.stderr).toContain('hint: ')
    const missing = await runCommand(Sniff, ['-r', join(dir, 'nope.pcap'), '--summary'])
    expect(missing.exitCode).toBe(2)
    expect(missing.stderr).toContain('check the file name')
    const junk = join(dir, 'junk.pcap')
    writeFileSync(junk, 'this is not a capture file at all')
    const bad = await runCommand(Sniff, ['-r', junk, '--summary'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain(`${junk}: not a pcap or pcapng file`)
    const badJson = await runCommand(Sniff, ['-r', junk, '--json'])
    expect(badJson.exitCode).toBe(2)
    expect(JSON.parse(badJson.stdout.trim().split('\n').pop()!).error).toMatchObject({code: 'PCAP_FORMAT', where: junk})
    const isDir = await runCommand(Sniff, ['-r', dir, '--summary'])
    expect(isDir.exitCode).toBe(2)
    expect(isDir.stderr).toContain('not a directory')
    expect(isDir.stderr).not.toContain('permissions')
  })

  it('-r - reads the capture from the standard input', () => {
    const root = join(import.meta.dirname, '..', '..', '..')
    const out = execFileSync('node', ['--import', 'tsx', join(root, 'bench', 'sniff-cli.ts'), '-r', '-', '--format', 'tcpdump'], {cwd: root, input: readFileSync(REF), encoding: 'utf8', env: {...process.env, TZ: 'UTC'}})
    expect(out.trim().split('\n')).toEqual(readFileSync(join(CORPUS_PCAP, 'vrrp.tcpdump-n.txt'), 'utf8').trim().split('\n'))
  })

  it('a capture of Simple Packet Blocks (no times) makes no timeline findings', async () => {
    const file = join(dir, 'spb.pcapng')
    const a = buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 9, priority: 150, intervalCs: 100, addresses: ['10.0.0.100']}), src: '10.0.0.1'})
    const b = buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 9, priority: 100, intervalCs: 100, addresses: ['10.0.0.100']}), src: '10.0.0.2'})
    writeFileSync(file, Buffer.concat([ngSection(), ngInterface(1), ...Array.from({length: 6}, () => ngSimple(a)), ...Array.from({length: 6}, () => ngSimple(b))]))
    const r = await runCommand<SniffResult>(Sniff, ['-r', file, '--json', '--summary'])
    expect(r.exitCode).toBe(0)
    expect(r.result!.findings).toEqual([])
    expect(r.result!.vrids[0].adverts).toBe(12)
  })
})
