import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {isHalError} from '../../../src/lib/errors.js'
import type {KeepalivedConfig} from '../../../src/keepalived/model.js'
import {parseKeepalivedFile} from '../../../src/keepalived/parse/index.js'
import {renderKeepalivedConfig} from '../../../src/keepalived/render.js'
import {CORPUS, corpusFiles, roundTrip, type RoundTrip} from './corpus-helpers.js'

/**
 * The corpus holds single nodes only (no two files of one cluster), so each
 * config gets its peer written the way people do by hand: state flipped,
 * priority lowered, router_id changed, unicast source and peer swapped. The
 * pair is imported as a 2-node cluster and must round-trip on both nodes.
 */
const scratch = mkdtempSync(join(tmpdir(), 'halctl-import-pairs-'))
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

function peerOf(cfg: KeepalivedConfig): KeepalivedConfig {
  return {
    ...cfg,
    globalDefs: {...(cfg.globalDefs ?? {}), routerId: `${cfg.globalDefs?.routerId ?? 'node'}_peer`},
    instances: cfg.instances.map((vi) => {
      const swap = vi.unicastSrcIp && vi.unicastPeer?.length === 1
      return {
        ...vi,
        state: vi.state === 'MASTER' ? 'BACKUP' : vi.state,
        priority: Math.max(1, (vi.priority ?? 100) - 10),
        ...(swap ? {unicastSrcIp: vi.unicastPeer![0], unicastPeer: [vi.unicastSrcIp!]} : {}),
      }
    }),
  }
}

const results: RoundTrip[] = corpusFiles().map((f) => {
  const file = join(CORPUS, f)
  const peer = join(scratch, `${f}.peer.conf`)
  let text: string
  try {
    text = renderKeepalivedConfig(peerOf(parseKeepalivedFile(file).config))
  } catch (e) {
    // a value halctl's writer cannot put into keepalived.conf exactly (e.g. a quote in a command): no peer can be written
    if (isHalError(e)) return {file: `${file} + peer`, refused: `no peer: ${e.message}`}
    throw e
  }
  writeFileSync(peer, text)
  return roundTrip([file, peer], ['a', 'b'])
})

describe('import round trip over corpus pairs', () => {
  for (const r of results) {
    it(r.file.replace(`${CORPUS}/`, '').replace(/ \+ .*/, ' + peer'), () => {
      if (r.refused) return expect(r.refused).toMatch(/no vrrp_instance the spec can model|not even in raw|^no peer: .*cannot be written to keepalived.conf exactly/)
      const rep = r.result!.report
      expect(rep.unrepresented).toEqual([])
      expect(rep.roundTrip).toEqual([
        {node: 'a', equal: true},
        {node: 'b', equal: true},
      ])
      expect(r.equal).toEqual([true, true])
    })
  }
  it('figures', () => {
    const imported = results.filter((r) => !r.refused)
    const ok = imported.filter((r) => r.equal!.every(Boolean) && r.result!.report.unrepresented.length === 0)
    console.log(`import pairs: ${results.length} pairs; ${imported.length} imported; ${ok.length} round-trip on both nodes (${imported.filter((r) => r.withoutRaw).length} without raw); ${imported.length - ok.length} reported as not representable`)
    expect(ok.length).toBe(imported.length)
    expect(imported.length).toBeGreaterThanOrEqual(23)
  })
})
