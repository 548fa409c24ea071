import {execa} from 'execa'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {KEYWORDS, type BlockName} from '../../../src/keepalived/keywords.js'

/**
 * The keyword table against keepalived itself: every keyword halctl accepts
 * in a block, keepalived -t accepts there too (so "unknown keyword" is never
 * halctl's invention), and a made-up keyword is unknown to both.
 */

const isRoot = process.getuid?.() === 0

/** A config with KW inside the block it belongs to. */
const WRAP: Record<Exclude<BlockName, 'list' | 'opaque'>, (kw: string) => string> = {
  top: (kw) => `${kw} 1\n`,
  global_defs: (kw) => `global_defs {\n${kw} 1\n}\n`,
  vrrp_script: (kw) => `vrrp_script s {\n script /bin/true\n${kw} 1\n}\n`,
  vrrp_sync_group: (kw) => `vrrp_sync_group g {\n${kw} 1\n}\n`,
  vrrp_instance: (kw) => `vrrp_instance V {\n interface lo\n virtual_router_id 1\n${kw} 1\n}\n`,
  authentication: (kw) => `vrrp_instance V {\n interface lo\n virtual_router_id 1\n authentication {\n${kw} 1\n}\n}\n`,
  virtual_server: (kw) => `virtual_server 10.0.0.1 80 {\n${kw} 1\n}\n`,
  real_server: (kw) => `virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n${kw} 1\n}\n}\n`,
  http_check: (kw) => `virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n HTTP_GET {\n${kw} 1\n}\n}\n}\n`,
  url: (kw) => `virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n HTTP_GET {\n url {\n${kw} 1\n}\n}\n}\n}\n`,
  tcp_check: (kw) => `virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n TCP_CHECK {\n${kw} 1\n}\n}\n}\n`,
  misc_check: (kw) => `virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n MISC_CHECK {\n${kw} 1\n}\n}\n}\n`,
  smtp_check: (kw) => `virtual_server 10.0.0.1 25 {\n real_server 10.0.0.2 25 {\n SMTP_CHECK {\n${kw} 1\n}\n}\n}\n`,
  smtp_host: (kw) => `virtual_server 10.0.0.1 25 {\n real_server 10.0.0.2 25 {\n SMTP_CHECK {\n host {\n${kw} 1\n}\n}\n}\n}\n`,
  dns_check: (kw) => `virtual_server 10.0.0.1 53 {\n real_server 10.0.0.2 53 {\n DNS_CHECK {\n${kw} 1\n}\n}\n}\n`,
  udp_check: (kw) => `virtual_server 10.0.0.1 53 {\n real_server 10.0.0.2 53 {\n UDP_CHECK {\n${kw} 1\n}\n}\n}\n`,
  ping_check: (kw) => `virtual_server 10.0.0.1 53 {\n real_server 10.0.0.2 53 {\n PING_CHECK {\n${kw} 1\n}\n}\n}\n`,
  file_check: (kw) => `virtual_server 10.0.0.1 53 {\n real_server 10.0.0.2 53 {\n FILE_CHECK {\n${kw} 1\n}\n}\n}\n`,
  bfd_check: (kw) => `virtual_server 10.0.0.1 53 {\n real_server 10.0.0.2 53 {\n BFD_CHECK {\n${kw} 1\n}\n}\n}\n`,
  ssl: (kw) => `SSL {\n${kw} 1\n}\n`,
  track_process: (kw) => `vrrp_track_process p {\n${kw} 1\n}\n`,
  track_file: (kw) => `track_file f {\n${kw} 1\n}\n`,
  garp_group: (kw) => `garp_group {\n${kw} 1\n}\n`,
  track_group: (kw) => `track_group g {\n${kw} 1\n}\n`,
  bfd_instance: (kw) => `bfd_instance b {\n${kw} 1\n}\n`,
}

describe.skipIf(!isRoot)('keyword table against keepalived -t', () => {
  const ns = `hli-kw-${randomBytes(3).toString('hex')}`
  let dir = ''

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hli-kw-'))
    await execa('ip', ['netns', 'add', ns])
  })
  afterAll(async () => {
    await execa('ip', ['netns', 'del', ns], {reject: false})
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  /** true when keepalived -t calls KW unknown in its block */
  async function unknownToKeepalived(block: keyof typeof WRAP, kw: string, i: number): Promise<boolean> {
    const file = join(dir, `k${i}.conf`)
    writeFileSync(file, WRAP[block](kw))
    // cwd: keywords such as config_save_dir create files relative to it
    const r = await execa('ip', ['netns', 'exec', ns, 'keepalived', '-t', '-f', file], {reject: false, all: true, cwd: dir, timeout: 15_000})
    return (r.all ?? '').includes(`Unknown keyword '${kw}'`)
  }

  it('accepts every keyword halctl knows, in the same block', async () => {
    const jobs = (Object.keys(WRAP) as (keyof typeof WRAP)[]).flatMap((b) => Object.keys(KEYWORDS[b]).map((kw) => ({b, kw})))
    expect(jobs.length).toBeGreaterThan(300)
    const unknown: string[] = []
    for (let i = 0; i < jobs.length; i += 4) {
      const batch = jobs.slice(i, i + 4)
      const res = await Promise.all(batch.map((j, k) => unknownToKeepalived(j.b, j.kw, i + k)))
      res.forEach((u, k) => u && unknown.push(`${batch[k].b}: ${batch[k].kw}`))
    }
    console.log(`keyword table: ${jobs.length} keywords in ${Object.keys(WRAP).length} blocks, ${jobs.length - unknown.length} accepted by keepalived -t`)
    expect(unknown).toEqual([])
  })

  it('a keyword halctl calls unknown is unknown to keepalived too', async () => {
    for (const [i, [b, kw]] of ([['vrrp_instance', 'priorty'], ['real_server', 'weigth'], ['global_defs', 'lvs_id'], ['tcp_check', 'nb_get_retry'], ['top', 'interface']] as const).entries()) {
      expect(KEYWORDS[b][kw], kw).toBeUndefined()
      expect(await unknownToKeepalived(b, kw, 10_000 + i), kw).toBe(true)
    }
  })
})
