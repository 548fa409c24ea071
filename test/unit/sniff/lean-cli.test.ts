/**
 * The lean start of `halctl sniff -r FILE` (no CLI framework loaded): it takes only plain file
 * reads and leaves everything else to the oclif command, and what it prints (NDJSON, summary,
 * tcpdump lines, errors with and without --json) and its exit codes are the command's.
 */
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import Sniff from '../../../src/commands/sniff.js'
import {parseSniffArgv} from '../../../src/sniff/lean-cli.js'
import {REFERENCE_PCAP} from '../../helpers/corpus.js'
import {runCommand} from '../../helpers/run-command.js'

const root = join(import.meta.dirname, '..', '..', '..')

function lean(argv: string[]): {stdout: string; stderr: string; exitCode: number; handled: boolean} {
  const script = `const m = await import(${JSON.stringify(join(root, 'src/sniff/lean-cli.ts'))}); const ok = await m.runSniffFromArgv(${JSON.stringify(argv)}); if (!ok) process.stderr.write('NOT HANDLED')`
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {cwd: root, encoding: 'utf8', env: {...process.env, TZ: 'UTC'}})
  return {stdout: r.stdout, stderr: r.stderr.replace('NOT HANDLED', ''), exitCode: r.status ?? -1, handled: !r.stderr.includes('NOT HANDLED')}
}

describe('halctl sniff lean start', () => {
  it('takes plain file reads and leaves help, live and remote captures, the table, repeated and bad flags to the command', () => {
    expect(parseSniffArgv(['-r', 'f.pcap', '--summary'], true)?.flags).toMatchObject({read: 'f.pcap', summary: true, 'flap-count': 3, 'flap-window': '60'})
    expect(parseSniffArgv(['-r', 'f.pcap', '--format', 'tcpdump', '-v', '-c', '5'], true)?.flags).toMatchObject({format: 'tcpdump', verbose: true, count: 5})
    expect(parseSniffArgv(['--read=f.pcap', '--json'], true)?.json).toBe(true)
    expect(parseSniffArgv(['-r', 'f.pcap'], false)?.flags.read).toBe('f.pcap')
    for (const argv of [
      ['-r', 'f.pcap'], // a terminal: the live table
      ['-r', 'f.pcap', '--format', 'table'],
      ['-r', 'f.pcap', '--summary', '-h'],
      ['-i', 'eth0', '--summary'],
      ['--node', 'lb1', '-s', 'spec.yaml', '--summary'],
      ['-r', 'a.pcap', '-r', 'b.pcap', '--summary'],
      ['-r', 'f.pcap', '--summary', '-c', '0'],
      ['-r', 'f.pcap', '--summary', '--count', 'x'],
      ['-r', 'f.pcap', '--format', 'xml'],
      ['-r', 'f.pcap', '--dryrun'],
      ['--summary'],
    ]) {
      expect(parseSniffArgv(argv, true), argv.join(' ')).toBeUndefined()
    }
  })

  it('prints what the command prints, with its exit codes (NDJSON, summary, tcpdump -v, errors)', async () => {
    process.env.TZ = 'UTC'
    const cases = [
      ['-r', REFERENCE_PCAP, '--json'],
      ['-r', REFERENCE_PCAP, '--summary'],
      ['-r', REFERENCE_PCAP, '--format', 'tcpdump', '-v', '-c', '20'],
      ['-r', REFERENCE_PCAP, '--summary', '--duration', 'soon'],
      ['-r', join(root, 'no-such.pcap'), '--summary'],
      ['-r', join(root, 'no-such.pcap'), '--json'],
      ['-r', root, '--summary'],
    ]
    for (const argv of cases) {
      const ours = lean(argv)
      const cmd = await runCommand(Sniff, argv)
      expect(ours.handled, argv.join(' ')).toBe(true)
      expect({out: ours.stdout, err: ours.stderr, code: ours.exitCode}, argv.join(' ')).toEqual({out: cmd.stdout, err: cmd.stderr, code: cmd.exitCode})
    }
  }, 60_000)
})
