import {execa} from 'execa'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {shellWord} from '../../../src/keepalived/render.js'
import {renderScriptFile, scriptTemplate, type ScriptContext} from '../../../src/spec/script-files.js'
import {HOSTILE_PIECES, rng} from '../spec/hostile-values.js'

/**
 * Every script template, rendered with hostile values in every field it
 * interpolates, passes `sh -n` and, run in a scratch directory whose PATH
 * holds only stubs that log their argv (a canary for each command an injection
 * would reach for), runs nothing but its own commands, with each value as one
 * argument. Values with a line break or control character never reach a
 * template (renderScriptFile refuses them).
 */
let dir: string
/** where the stubs log: one file per run, so a straggler of an earlier run (killed by its timeout) never writes into the next one's */
let logFile = ''
const OWN: Record<string, string[]> = {
  check_web: ['curl', 'pidof', 'logger', 'systemctl', 'service', 'cat', 'find', 'mkdir', 'touch', 'kill', 'sleep'],
  fence: ['arping', 'grep', 'tcpdump', 'timeout', 'sed', 'head', 'ip', 'logger', 'systemctl', 'service', 'cat', 'kill', 'sleep'],
  notify: ['logger', 'mkdir', 'date'],
}
const CANARIES = ['touch', 'id', 'rm', 'sh', 'bash', 'cat', 'wget', 'nc', 'curl', 'pidof', 'logger', 'systemctl', 'sleep', 'arping', 'mkdir', 'date', 'chmod', 'cp', 'mv', 'kill', 'reboot', 'grep', 'tcpdump', 'timeout', 'sed', 'head', 'ip', 'service', 'find']

/** A stub that logs its argv (one write), one argument per line, then runs body (default: fail, so every failure branch of the scripts runs). */
function stub(name: string, body = 'exit 1'): void {
  const p = join(dir, 'bin', name)
  // the record is one write (commands of a pipeline log at the same time, and must not interleave)
  const record = `r='== ${name}'; for a in "$@"; do r="$r\n[$a]"; done; printf '%s\\n' "$r" >> '${logFile}'`
  writeFileSync(p, `#!/bin/sh\n${record}\n${body}\n`)
  chmodSync(p, 0o755)
}

function failingStubs(): void {
  for (const name of CANARIES) stub(name, name === 'date' ? "printf 'now\\n'; exit 1" : 'exit 1')
}

/**
 * The fence's way to its action, with hostile values: an iputils arping whose
 * probes are answered, tcpdump hearing another master with a higher priority,
 * `grep -q` finding what it looks for (the flavour, each VIP on the
 * interface), sed and head the real ones. Every stub still logs its argv.
 */
function fenceStubs(): void {
  failingStubs()
  stub('arping', `case "$1" in -V) echo 'arping from iputils 20221126'; exit 0 ;; esac\nexit 1`)
  stub('tcpdump', `echo '19:40:00.000000 IP 10.0.0.11 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 150, authtype simple, intvl 1s, length 20'`)
  stub('timeout', 'shift; exec "$@"')
  stub('grep', 'exit 0')
  stub('ip', 'exit 0')
  for (const t of ['sed', 'head']) stub(t, `exec /usr/bin/${t} "$@"`)
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'halctl-canary-'))
  mkdirSync(join(dir, 'bin'))
  logFile = join(dir, 'calls.log')
  failingStubs()
})

/** The script as a node with this service manager runs it (this machine's own may be none of them). */
const flavoured = (text: string, manager: 'systemd' | 'sysv'): string => {
  const out = text.replace(/service_manager\(\) \{\n[\s\S]*?\n\}/, `service_manager() { echo ${manager}; }`)
  if (out === text) throw new Error('no service_manager() in the script')
  return out
}
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** Hostile values without line breaks: quotes, $(), backticks, ;, |, &, globs, unicode. */
function hostile(r: () => number): string {
  const pieces = HOSTILE_PIECES.filter((p) => !/[\0-\x1f\x7f\u2028\u0085]/.test(p))
  const extra = ["'; touch CANARY; '", '"; touch CANARY; "', '$(touch CANARY)', '`touch CANARY`', '; touch CANARY', '| touch CANARY', '&& touch CANARY', '*', '-rf /', "'\\''"]
  let s = ''
  for (let i = 0; i < 1 + Math.floor(r() * 4); i++) s += r() < 0.5 ? extra[Math.floor(r() * extra.length)] : pieces[Math.floor(r() * pieces.length)]
  return s
}

function context(r: () => number): Omit<ScriptContext, 'instances'> & {instances: Record<string, unknown>[]; pidFile: string; params: Record<string, string>} {
  return {
    cluster: hostile(r),
    node: {name: hostile(r), address: hostile(r)},
    peers: [{name: hostile(r), address: hostile(r)}],
    instances: [{name: hostile(r), vrid: hostile(r), advertInt: 1, priority: hostile(r), listen: hostile(r), interface: hostile(r), state: 'MASTER', designated: 'no', vips: [hostile(r)], vips4: [`*${hostile(r)}`, hostile(r)]}],
    pidFile: hostile(r),
    params: {service: hostile(r), url: hostile(r), restart: 'true', timeout: hostile(r), onFail: hostile(r), settle: hostile(r), action: hostile(r), stateDir: join(dir, 'state', hostile(r).replace(/\//g, '_'))},
  }
}

const argsOf = (log: string, cmd: string): string[][] =>
  log
    .split('== ')
    .filter((b) => b.startsWith(`${cmd}\n`))
    .map((b) => [...b.matchAll(/^\[([\s\S]*?)\]$/gm)].map((m) => m[1]))

describe('script templates with hostile values', () => {
  for (const template of ['check_web', 'fence', 'notify'] as const) {
    it(`${template}: sh -n passes and only its own commands run, each value one argument`, async () => {
      const r = rng(1300 + template.length)
      for (let n = 0; n < 25; n++) {
        const ctx = context(r)
        const manager = n % 2 === 0 ? 'systemd' : 'sysv'
        const text = template === 'notify' ? scriptTemplate(template)(ctx) : flavoured(scriptTemplate(template)(ctx), manager)
        logFile = join(dir, `calls-${template}-${n}.log`)
        if (template === 'fence') fenceStubs()
        else failingStubs()
        const file = join(dir, `${template}-${n}.sh`)
        writeFileSync(file, text)
        const syntax = await execa('sh', ['-n', file], {reject: false})
        expect(syntax.exitCode, `${template} #${n}: ${syntax.stderr}\n${text}`).toBe(0)
        const args = template === 'check_web' ? [] : ['INSTANCE', String(ctx.instances[0].name), 'MASTER', '100']
        const run = await execa('/bin/sh', [file, ...args], {reject: false, cwd: dir, env: {PATH: join(dir, 'bin')}, extendEnv: false, timeout: 10_000})
        const readLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '')
        // SysV's service runs in the background: wait (bounded) until it has logged all its arguments
        const sysvCall = template === 'check_web' ? [ctx.params.service, 'restart'] : [String(template === 'fence' ? 'keepalived' : ''), ctx.params.action]
        for (let i = 0; i < 60 && manager === 'sysv' && template !== 'notify' && JSON.stringify(argsOf(readLog(), 'service')) !== JSON.stringify([sysvCall]); i++) await new Promise((res) => setTimeout(res, 50))
        const log = readLog()
        const ran = [...log.matchAll(/^== (\S+)$/gm)].map((m) => m[1])
        expect(ran.filter((c) => !OWN[template].includes(c)), `${template} #${n} ran ${ran.join(',')}; stderr: ${run.stderr}`).toEqual([])
        expect(existsSync(join(dir, 'CANARY')), `${template} #${n}`).toBe(false)
        // no command of the script's own was handed an injected word
        expect(log, `${template} #${n}`).not.toMatch(/^\[CANARY\]$/m)
        expect(run.stderr, `${template} #${n}`).not.toMatch(/not found|syntax error|unexpected/)
        // each value reached its command as exactly one argument
        if (template === 'check_web') {
          expect(argsOf(log, 'curl')[0]).toEqual(['-fsS', '-o', '/dev/null', '--max-time', ctx.params.timeout, ctx.params.url])
          // the restart goes through the node's service manager, the service name one argument
          if (manager === 'systemd') expect(argsOf(log, 'systemctl')).toEqual([['--no-block', 'restart', ctx.params.service]])
          else expect(argsOf(log, 'service')).toEqual([[ctx.params.service, 'restart']])
        }
        if (template === 'fence') {
          // the whole way to its action: settle, hear the other master, probe the VIPs, step down
          expect(argsOf(log, 'sleep')).toEqual([[ctx.params.settle]])
          // $VIPS is split into words (never globbed): each word one argument
          const firstVip = (ctx.instances[0].vips4 as string[])[0].split(/[ \t\n]+/).filter(Boolean)[0]
          expect(argsOf(log, 'arping')).toContainEqual(['-D', '-q', '-c', '2', '-w', '3', '-I', ctx.instances[0].interface, firstVip])
          expect(argsOf(log, 'grep')).toContainEqual(['-q', ` ${firstVip}/`])
          expect(argsOf(log, 'timeout')[0]?.slice(0, 2)).toEqual([ctx.instances[0].listen, 'tcpdump'])
          if (manager === 'systemd') expect(argsOf(log, 'systemctl')).toEqual([['--no-block', ctx.params.action, 'keepalived']])
          else expect(argsOf(log, 'service'), `fence #${n}: ${log}`).toEqual([['keepalived', ctx.params.action]])
        }
        if (template === 'notify') expect(argsOf(log, 'mkdir')[0]).toEqual(['-p', ctx.params.stateDir])
      }
    }, 120_000)
  }

  it('values with a line break or control character, and untyped parameters, never reach a template', () => {
    const ctx: ScriptContext = {cluster: 'c', node: {name: 'lb1\ntouch /tmp/x', address: '10.0.0.1'}, peers: [], instances: []}
    expect(() => renderScriptFile({template: 'notify'}, '/etc/keepalived/scripts', ctx)).toThrow(/node.name contains a control character/)
    const ok: ScriptContext = {...ctx, node: {name: 'lb1', address: '10.0.0.1'}}
    expect(() => renderScriptFile({template: 'fence', params: {action: 'stop; id' as 'stop'}}, '/s', ok)).toThrow(/params.action/)
    expect(() => renderScriptFile({template: 'fence', params: {settle: '1; id' as unknown as number}}, '/s', ok)).toThrow(/params.settle/)
  })

  it('{{sh}} makes one single-quoted word of anything, and refuses what is not a value', () => {
    expect(shellWord("it's")).toBe(`'it'\\''s'`)
    expect(shellWord(['a', 'b c'])).toBe(`'a b c'`)
    expect(shellWord(2.5)).toBe(`'2.5'`)
    expect(() => shellWord(undefined)).toThrow()
    expect(() => shellWord({})).toThrow()
    expect(() => shellWord(Number.NaN)).toThrow()
    expect(() => shellWord('a\0b')).toThrow()
  })
})
