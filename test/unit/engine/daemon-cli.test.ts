/**
 * The daemon's lean start parses only plain invocations; everything else is
 * left to the oclif command (its help and its messages for bad flags).
 */
import {describe, expect, it} from 'vitest'
import Run from '../../../src/commands/run.js'
import {parseRunArgv} from '../../../src/engine/daemon-cli.js'
import {RUN_FLAGS} from '../../../src/engine/run-flags.js'

describe('parseRunArgv', () => {
  it('plain invocations, with the defaults of the flag table', () => {
    expect(parseRunArgv([])).toEqual({flags: {'use-file': '/etc/keepalived/keepalived.conf'}, json: false})
    expect(parseRunArgv(['-f', 'a.conf', '--json-status', '/run/s.sock', '--json', '--duration', '5', '--config-id', 'lb1'])).toEqual({
      flags: {'use-file': 'a.conf', 'json-status': '/run/s.sock', duration: 5, 'config-id': 'lb1'},
      json: true,
    })
    expect(parseRunArgv(['--use-file=b.conf', '--status-port', '8765'])?.flags).toMatchObject({'use-file': 'b.conf', 'status-port': 8765})
    // -s, -f's alias as in the oclif command
    expect(parseRunArgv(['-s', 'c.conf'])?.flags['use-file']).toBe('c.conf')
    expect(parseRunArgv(['-sd.conf'])?.flags['use-file']).toBe('d.conf')
  })
  it('help, unknown flags, bad numbers and exclusive flags go to the oclif command', () => {
    for (const argv of [['--help'], ['-h'], ['--nope'], ['extra'], ['--status-port', '0'], ['--status-port', '70000'], ['--duration', '1.5'], ['--duration', 'x'], ['--json-status', 's', '--status-port', '1']])
      expect(parseRunArgv(argv), argv.join(' ')).toBeUndefined()
  })
  it('the oclif command has the same flags', () => {
    expect(Object.keys(Run.flags).sort()).toEqual(Object.keys(RUN_FLAGS).sort())
  })
})
