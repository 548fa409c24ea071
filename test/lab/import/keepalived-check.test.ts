import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {isHostSpecific, keepalivedCheck} from '../../../src/keepalived/check.js'
import type {KeepalivedConfig} from '../../../src/keepalived/model.js'
import {parseKeepalivedFile} from '../../../src/keepalived/parse/index.js'
import {CORPUS, corpusFiles, roundTrip} from '../../unit/import/corpus-helpers.js'

/**
 * The oracle for import: the real `keepalived -t` on each imported corpus
 * config as `halctl init` renders it, beside the original. Where the original
 * passes, the rendered one passes; and the rendered one never draws a
 * diagnostic the original does not (host-specific ones, such as missing
 * scripts, aside). keepalived runs in a scratch namespace with the configs'
 * interfaces (src/keepalived/check.ts).
 */
const interfacesOf = (c: KeepalivedConfig): string[] => [
  ...new Set(c.instances.flatMap((i) => [i.interface, ...(i.trackInterface ?? []).map((t) => t.name), ...i.virtualIpaddress.flatMap((v) => (v.dev ? [v.dev] : []))])),
]
const messages = (r: {diagnostics: {message: string}[]}) => new Set(r.diagnostics.map((d) => d.message).filter((m) => !isHostSpecific(m)))

describe('keepalived -t on imported corpus configs, rendered by init', () => {
  let scratch: string
  const tally = {imported: 0, originalOk: 0, renderedOk: 0}
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'halctl-import-'))
  })
  afterAll(() => {
    rmSync(scratch, {recursive: true, force: true})
    console.log(`keepalived -t: ${tally.imported} imported configs; original passes ${tally.originalOk}, rendered passes ${tally.renderedOk}`)
  })

  for (const f of corpusFiles()) {
    it(f, {timeout: 60_000}, async () => {
      const file = join(CORPUS, f)
      const rt = roundTrip([file])
      if (rt.refused) return
      tally.imported++
      const node = rt.rendered!.nodes[0]
      const conf = join(scratch, `${f}.rendered.conf`)
      writeFileSync(conf, node.text)
      const ifaces = interfacesOf(parseKeepalivedFile(file).config)
      const orig = await keepalivedCheck(file, {interfaces: ifaces})
      const mine = await keepalivedCheck(conf, {interfaces: ifaces})
      if (orig.ok) tally.originalOk++
      if (mine.ok) tally.renderedOk++
      if (orig.ok) expect({exitCode: mine.exitCode, output: mine.output.trim()}).toEqual({exitCode: 0, output: ''})
      const extra = [...messages(mine)].filter((m) => !messages(orig).has(m))
      expect(extra).toEqual([])
    })
  }
})
