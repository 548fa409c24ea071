import {existsSync, readFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {pidFiles, RSYSLOG_DROP_IN} from '../../../src/host/paths.js'
import {StatusReader, type StatusResult} from '../../../src/status/status.js'
import {settle, startLab, type Lab} from './lab-fixture.js'

const isRoot = process.getuid?.() === 0
const PREFIX = 'hlg'
const LOG_FILE = '/var/log/keepalived-hlg.log'

/** keepalived's command line as the host's /proc has it, found through halctl's pid file in the host's /run. */
async function keepalivedArgv(lab: Lab, node: string): Promise<{pid: number; argv: string[]}> {
  const pid = Number((await lab.exec(node, ['cat', pidFiles(node).main])).trim())
  expect(pid, `${node}: halctl's keepalived pid file`).toBeGreaterThan(0)
  const raw = await lab.exec(node, ['sh', '-c', 'tr "\\0" "\\n" < "/proc/$1/cmdline"', 'cmdline', String(pid)])
  return {pid, argv: raw.split('\n').filter(Boolean)}
}

async function status(lab: Lab, spec: string): Promise<StatusResult> {
  const reader = new StatusReader((await lab.load(spec)).cluster, lab.transport, {sshConfigFile: lab.up.sshConfig, knownHostsFile: lab.up.knownHosts})
  try {
    return await reader.read()
  } finally {
    await reader.close()
  }
}

describe.runIf(isRoot)('deploy with logging on a 2-node lab (real sshd, keepalived, no init system)', () => {
  let lab: Lab
  let vip: string
  const spec = (facility: number): string =>
    lab.specVariant(`logging-${facility}`, (doc) => {
      doc.logging = {file: LOG_FILE, facility}
    })

  beforeAll(async () => {
    lab = await startLab(2, {prefix: PREFIX, subnet: '10.207.0.0/24'})
    vip = lab.up.vip.split('/')[0]
  })
  afterAll(async () => {
    await lab?.down()
  })

  it('fresh lab: keepalived runs with -S 5 and each host has the rsyslog drop-in in its own /etc/rsyslog.d', async () => {
    const r = await lab.deploy(await lab.load(spec(5)))
    expect(r.ok, JSON.stringify(r.error ?? r.nodes.map((n) => n.error))).toBe(true)
    expect(r.nodes.map((n) => n.status)).toEqual(['deployed', 'deployed'])
    for (const n of r.nodes) {
      const logging = n.changes.filter((c) => c.kind === 'logging')
      expect(logging.map((c) => c.summary)).toEqual([`rsyslog: local5 to ${LOG_FILE} (${RSYSLOG_DROP_IN})`])
      expect(logging[0].diff).toContain(`+local5.* ${LOG_FILE}`)
      expect(n.steps.map((s) => s.step)).toContain('logging')
      expect(n.changes.find((c) => c.kind === 'service')?.summary).toContain('-S 5')
    }
    expect(await settle(lab, vip)).toEqual(['lb1'])
    for (const node of lab.hosts.keys()) {
      const {argv} = await keepalivedArgv(lab, node)
      expect(argv[0]).toMatch(/keepalived$/)
      expect(argv.slice(-2), `${node} keepalived argv: ${argv.join(' ')}`).toEqual(['-S', '5'])
      const dropIn = await lab.exec(node, ['cat', RSYSLOG_DROP_IN])
      expect(dropIn).toContain(`local5.* ${LOG_FILE}\n& stop`)
      // the host's own overlay, not the machine's /etc/rsyslog.d
      expect(readFileSync(`/etc/netns/${PREFIX}-${node}${RSYSLOG_DROP_IN.slice('/etc'.length)}`, 'utf8')).toBe(`${dropIn}\n`)
    }
    expect(existsSync(RSYSLOG_DROP_IN)).toBe(false)
  })

  it('redeploy is a no-op: 0 changes, no notes, keepalived untouched', async () => {
    const before = await keepalivedArgv(lab, 'lb1')
    const r = await lab.deploy(await lab.load(spec(5)))
    expect(r.ok).toBe(true)
    expect(r.changes).toBe(0)
    expect(r.nodes.map((n) => [n.status, n.steps.length])).toEqual([
      ['unchanged', 0],
      ['unchanged', 0],
    ])
    // keepalived already runs with -S 5: nothing to say about its args
    for (const n of r.nodes) expect((n.notes ?? []).filter((t) => t.includes('next start'))).toEqual([])
    expect((await keepalivedArgv(lab, 'lb1')).pid).toBe(before.pid)
    // status agrees: no drift, keepalived logs where the spec says
    const st = await status(lab, spec(5))
    expect(st.nodes.map((n) => [n.node, n.running, n.drift])).toEqual([
      ['lb1', true, []],
      ['lb2', true, []],
    ])
    expect(st.findings.filter((f) => f.code === 'LOG_ARGS')).toEqual([])
  })

  it('a changed facility rewrites the drop-in but does not restart keepalived: the plan says -S 2 waits for the next start', async () => {
    const before = new Map<string, number>()
    for (const node of lab.hosts.keys()) before.set(node, (await keepalivedArgv(lab, node)).pid)
    const r = await lab.deploy(await lab.load(spec(2)))
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    for (const n of r.nodes) {
      expect(n.changes.map((c) => c.kind)).toEqual(['logging'])
      expect(n.notes?.some((t) => /runs with -S 5: -S 2 applies at its next start/.test(t)), JSON.stringify(n.notes)).toBe(true)
      expect(n.steps.map((s) => s.step)).not.toContain('service')
    }
    for (const node of lab.hosts.keys()) {
      const now = await keepalivedArgv(lab, node)
      expect(now.pid, `${node} keepalived was not restarted`).toBe(before.get(node))
      expect(now.argv.slice(-2)).toEqual(['-S', '5'])
      expect(await lab.exec(node, ['cat', RSYSLOG_DROP_IN])).toContain(`local2.* ${LOG_FILE}`)
    }
    expect(await settle(lab, vip)).toEqual(['lb1'])
    // the files match: 0 changes, the note stays until keepalived is restarted
    const again = await lab.deploy(await lab.load(spec(2)))
    expect(again.changes).toBe(0)
    expect(again.nodes.every((n) => n.notes?.some((t) => t.includes('-S 2 applies at its next start')))).toBe(true)
    // and status says the running keepalived still logs to local5
    const st = await status(lab, spec(2))
    expect(st.findings.filter((f) => f.code === 'LOG_ARGS').map((f) => f.message)).toEqual([
      `lb1: keepalived runs with -S 5, the spec logs to local2 (${LOG_FILE}): restart keepalived on the node to apply it`,
      `lb2: keepalived runs with -S 5, the spec logs to local2 (${LOG_FILE}): restart keepalived on the node to apply it`,
    ])
    expect(st.nodes.every((n) => n.drift.length === 0)).toBe(true)
  })
})
