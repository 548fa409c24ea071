import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import Init, {type InitRenderResult} from '../../../src/commands/init.js'
import {keepalivedCheck} from '../../../src/keepalived/check.js'
import {runCommand} from '../../helpers/run-command.js'

/**
 * What `halctl init -s spec -o out/` writes, checked where it lies: out/<node>/keepalived.conf
 * points at scripts under /etc/keepalived/scripts that this host does not have, so keepalived -t
 * may only report host-specific diagnostics (missing scripts); anything else is a config error.
 */
const root = join(import.meta.dirname, '..', '..', '..')

describe('files halctl init writes pass keepalived -t (config diagnostics only)', () => {
  let out: string
  beforeAll(() => {
    process.env.HAL_VRRP_PASS = 'lab-pw2'
    out = mkdtempSync(join(tmpdir(), 'halctl-init-lab-'))
  })
  afterAll(() => rmSync(out, {recursive: true, force: true}))

  for (const example of ['nginx.yaml', 'lvs-nat.yaml', 'dual-stack-v3.yaml']) {
    it(example, async () => {
      const dir = join(out, example)
      const r = await runCommand<InitRenderResult>(Init, ['-s', join(root, 'examples', example), '-o', dir, '--json'])
      expect(r.exitCode).toBe(0)
      const result = JSON.parse(r.stdout) as InitRenderResult
      expect(readdirSync(dir).sort()).toEqual(['.halctl-manifest.json', ...result.nodes.map((n) => n.name)].sort())
      for (const node of result.nodes) {
        for (const f of node.files) expect(statSync(join(dir, f.path)).mode & 0o777).toBe(Number.parseInt(f.mode, 8))
        const check = await keepalivedCheck(join(dir, node.name, 'keepalived.conf'), {interfaces: ['eth0', 'eth1', 'eth2']})
        expect(check.diagnostics.filter((d) => !d.hostSpecific), `${node.name}: ${check.output}`).toEqual([])
      }
    })
  }
})
