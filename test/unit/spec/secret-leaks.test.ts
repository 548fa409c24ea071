import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import Init from '../../../src/commands/init.js'
import Lint from '../../../src/commands/lint.js'
import {MASK, redact, redactDeep, registerSecret} from '../../../src/lib/redact.js'
import {runCommand} from '../../helpers/run-command.js'

/**
 * A secret with a newline or a quote never appears in any output stream or in
 * any file but the rendered keepalived.conf; `"` is refused, never rewritten;
 * secrets of any length are masked.
 */
let dir: string
const spec = `cluster: s\nnodes: [{name: a, address: 10.0.0.1}, {name: b, address: 10.0.0.2}]\ninstances: [{name: V, vips: [10.0.0.9/24], auth: {type: PASS, pass: 'env:HAL_LEAK_PW'}, notify: {notify: {template: notify}}}]\n`
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'halctl-leak-'))
  writeFileSync(join(dir, 'spec.yaml'), spec)
})
afterAll(() => {
  delete process.env.HAL_LEAK_PW
  rmSync(dir, {recursive: true, force: true})
})

const filesUnder = (d: string): string[] =>
  readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? filesUnder(join(d, f)) : [join(d, f)]))

describe('secrets never leak', () => {
  for (const [what, secret, parts] of [
    ['a newline', 'Zz9pw\nK9w2zz', ['Zz9pw', 'K9w2zz']],
    ['a double quote', 'Qq"7xw', ['Qq"7xw', 'Qq']],
    ['a backslash', 'Bs\\9kk', ['Bs\\9kk']],
    ['nine bytes', 'Nn8x7v6w5', ['Nn8x7v6w5']],
  ] as const) {
    it(`a password with ${what} is refused by init and lint without being shown, and nothing is written`, async () => {
      process.env.HAL_LEAK_PW = secret
      const out = join(dir, `out-${what.replace(/\W/g, '')}`)
      for (const r of [
        await runCommand(Init, ['-s', join(dir, 'spec.yaml'), '-o', out]),
        await runCommand(Init, ['-s', join(dir, 'spec.yaml'), '-o', out, '--json']),
        await runCommand(Lint, [join(dir, 'spec.yaml')]),
        await runCommand(Lint, [join(dir, 'spec.yaml'), '--json']),
      ]) {
        expect(r.exitCode).toBe(2)
        const all = r.stdout + r.stderr + (r.error?.message ?? '')
        expect(all).toMatch(/instances\[0\]\.auth\.pass/)
        for (const p of parts) expect(all).not.toContain(p)
      }
      expect(() => statSync(out)).toThrow()
    })
  }

  it("a valid password with ' # and spaces is written only into keepalived.conf, exactly", async () => {
    const secret = "it's #1"
    process.env.HAL_LEAK_PW = secret
    const out = join(dir, 'out-ok')
    const r = await runCommand(Init, ['-s', join(dir, 'spec.yaml'), '-o', out, '--json'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout + r.stderr).not.toContain(secret)
    for (const f of filesUnder(out)) {
      const text = readFileSync(f, 'utf8')
      if (f.endsWith('keepalived.conf')) expect(text).toContain(`auth_pass "${secret}"`)
      else expect(text, f).not.toContain(secret)
    }
    const dry = await runCommand(Init, ['-s', join(dir, 'spec.yaml'), '-o', join(dir, 'out-dry'), '--dry-run'])
    expect(dry.stdout + dry.stderr).not.toContain(secret)
  })

  it('secrets of any length are masked: short ones where they stand as a word, longer ones anywhere', () => {
    registerSecret('q')
    registerSecret('Xk')
    registerSecret('Lg7w')
    expect(redact('auth q failed; Xk, pw=Lg7w and aLg7wb')).toBe(`auth ${MASK} failed; ${MASK}, pw=${MASK} and a${MASK}b`)
    expect(redact('quick Xkcd')).toBe('quick Xkcd')
    expect(redact("auth_pass 'a b'")).toBe(`auth_pass ${MASK}`)
  })

  it('a short secret glued to other text is masked as the value of a word that names a secret, in text and in --json; prose and field paths stay readable', () => {
    registerSecret('9z')
    registerSecret('%')
    // glued: keepalived's and halctl's own ways of showing a value next to others
    expect(redact('Password = x9zx')).toBe(`Password = ${MASK}`)
    expect(redact('unknown value for auth_type: "PASS9z"')).toBe(`unknown value for auth_type: "${MASK}"`)
    expect(redact('pass=9z9z; next')).toBe(`pass=${MASK}; next`)
    expect(redact('secret token a%b')).toBe(`secret token ${MASK}`)
    expect(redact('line 3:\n  auth_pass x9z\nend')).toBe(`line 3:\n  auth_pass ${MASK}\nend`)
    // every string of a --json payload
    expect(redactDeep({error: {message: 'VI_1: authentication failed, password 9zq'}, n: 1})).toEqual({error: {message: `VI_1: authentication failed, password ${MASK}`}, n: 1})
    // standalone anywhere
    expect(redact('got 9z from the node')).toBe(`got ${MASK} from the node`)
    // no false masking where nothing speaks of a secret and the secret is part of a word
    expect(redact('node lb9z1 priority 100% reached')).toBe('node lb9z1 priority 100% reached')
    // the keyword itself stays readable
    expect(redact('auth_pass9z set')).toBe(`auth_pass9z set`.replace('auth_pass9z', MASK))
  })
})
