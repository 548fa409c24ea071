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
const OWN: Record<string, string[]> = {
  check_web: ['curl', 'pidof', 'logger', 'systemctl', 'service', 'cat', 'find', 'mkdir', 'touch', 'kill', 'sleep'],
  fence: ['arping', 'grep', 'tcpdump', 'timeout', 'sed', 'head', 'ip', 'logger', 'systemctl', 'service', 'cat', 'kill', 'sleep'],
  notify: ['logger', 'mkdir', 'date'],
}
const CANARIES = ['touch', 'id', 'rm', 'sh', 'bash', 'cat', 'wget', 'nc', 'curl', 'pidof', 'logger', 'systemctl', 'sleep', 'arping', 'mkdir', 'date', 'chmod', 'cp', 'mv', 'kill', 'reboot', 'grep', 'tcpdump', 'timeout', 'sed', 'head', 'ip', 'service', 'find']

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'halctl-canary-'))
  mkdirSync(join(dir, 'bin'))
  for (const name of CANARIES) {
    // each stub logs its argv, one argument per line, and fails (so every branch of the scripts runs)
    const p = join(dir, 'bin', name)
    writeFileSync(p, `#!/bin/sh\n{ printf '%s\\n' "== ${name}"; for a in "$@"; do printf '[%s]\\n' "$a"; done; } >> '${join(dir, 'calls.log')}'\n[ "${name}" = date ] && printf 'now\\n'\nexit 1\n`)
    chmodSync(p, 0o755)
  }
})
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
        const text = scriptTemplate(template)(ctx)
        const file = join(dir, `${template}-${n}.sh`)
        writeFileSync(file, text)
        const syntax = await execa('sh', ['-n', file], {reject: false})
        expect(syntax.exitCode, `${template} #${n}: ${syntax.stderr}\n${text}`).toBe(0)
        rmSync(join(dir, 'calls.log'), {force: true})
        const args = template === 'check_web' ? [] : ['INSTANCE', String(ctx.instances[0].name), 'MASTER', '100']
        const run = await execa('/bin/sh', [file, ...args], {reject: false, cwd: dir, env: {PATH: join(dir, 'bin')}, extendEnv: false, timeout: 10_000})
        const log = existsSync(join(dir, 'calls.log')) ? readFileSync(join(dir, 'calls.log'), 'utf8') : ''
        const ran = [...log.matchAll(/^== (\S+)$/gm)].map((m) => m[1])
        expect(ran.filter((c) => !OWN[template].includes(c)), `${template} #${n} ran ${ran.join(',')}; stderr: ${run.stderr}`).toEqual([])
        expect(existsSync(join(dir, 'CANARY')), `${template} #${n}`).toBe(false)
        // no command of the script's own was handed an injected word
        expect(log, `${template} #${n}`).not.toMatch(/^\[CANARY\]$/m)
        expect(run.stderr, `${template} #${n}`).not.toMatch(/not found|syntax error|unexpected/)
        // each value reached its command as exactly one argument
        if (template === 'check_web') {
          expect(argsOf(log, 'curl')[0]).toEqual(['-fsS', '-o', '/dev/null', '--max-time', ctx.params.timeout, ctx.params.url])
          // the service manager this machine has decides which of these runs
          for (const a of argsOf(log, 'systemctl')) expect(a).toEqual(['--no-block', 'restart', ctx.params.service])
          for (const a of argsOf(log, 'service')) expect(a).toEqual([ctx.params.service, 'restart'])
        }
        if (template === 'fence') {
          // with every tool failing the fence cannot tell its arping's flavour: it asks and stops there
          // (a pipeline's commands log at the same time, so their arguments interleave in the log)
          expect(log).toMatch(/^== arping$/m)
          for (const a of argsOf(log, 'sleep')) expect(a).toEqual([ctx.params.settle])
          for (const a of argsOf(log, 'systemctl')) expect(a).toEqual(['--no-block', ctx.params.action, 'keepalived'])
        }
        if (template === 'notify') expect(argsOf(log, 'mkdir')[0]).toEqual(['-p', ctx.params.stateDir])
      }
    })
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
