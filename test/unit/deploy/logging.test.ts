import {describe, expect, it} from 'vitest'
import {deployCluster} from '../../../src/deploy/deploy.js'
import type {DesiredCluster} from '../../../src/host/desired.js'
import {parseFacts} from '../../../src/host/facts.js'
import {argsWithFacility, defaultsWithFacility, facilityOfArgs, renderRsyslogDropIn} from '../../../src/host/logging.js'
import {RSYSLOG_DROP_IN} from '../../../src/host/paths.js'
import {planNode} from '../../../src/deploy/plan.js'
import {FakeTransport, roundTripsThroughShell, type FakeMachine} from '../../helpers/fake-transport.js'
import {analyzeStatus} from '../../../src/status/status.js'
import {cluster} from './cluster-fixture.js'

const CONF = '/etc/keepalived/keepalived.conf'
const DEFAULTS = '/etc/default/keepalived'
const DEBIAN_DEFAULTS = '# Options to pass to keepalived\n\n# DAEMON_ARGS are appended to the keepalived command-line\nDAEMON_ARGS=""\n'
const LOG = '/var/log/keepalived.log'
const VIP = '10.0.0.100'
const opts = {convergeTimeoutMs: 2000, now: () => new Date('2026-11-22T04:00:00Z')}

function withLogging(n = 2, facility = 6): DesiredCluster {
  const c = cluster(n)
  for (const node of c.nodes) node.logging = {file: LOG, facility}
  return c
}

/** The fake's facts, plus what the real facts script reports about rsyslog and keepalived's command line. */
function factsWith(m: FakeMachine, extra: {rsyslog?: string[]; keepalivedArgs?: () => string | undefined}): void {
  m.on(
    (a) => a[0] === 'sh' && a[3] === 'halctl-facts',
    (argv, machine) => {
      let out = machine.factsOutput(argv.slice(5))
      const args = extra.keepalivedArgs?.()
      if (args && machine.state.running) out = out.replace(/\n@@running\n(\w+ \d+)\n/, `\n@@running\n$1 ${args}\n`)
      return {stdout: out.replace('\n@@end', `\n@@rsyslog\n${(extra.rsyslog ?? []).join('\n')}\n@@end`)}
    },
  )
}

const execs = (m: FakeMachine): string[] => m.execs().map((a) => a.join(' '))

describe('logging helpers', () => {
  it('reads the facility from every spelling keepalived takes', () => {
    expect(facilityOfArgs(['/usr/sbin/keepalived', '--dont-fork'])).toBeUndefined()
    expect(facilityOfArgs(['keepalived', '-S', '3'])).toBe(3)
    expect(facilityOfArgs(['keepalived', '-S4'])).toBe(4)
    expect(facilityOfArgs(['keepalived', '--log-facility=5'])).toBe(5)
    expect(facilityOfArgs(['keepalived', '--log-facility', '7', '-D'])).toBe(7)
  })

  it('replaces any facility option with -S N and keeps the rest', () => {
    expect(argsWithFacility(['-D', '-S', '3', '--log-facility=1', '-S2', '-x'], 6)).toEqual(['-D', '-x', '-S', '6'])
  })

  it('edits DAEMON_ARGS in place, appends it when missing, and leaves a file already right alone', () => {
    const once = defaultsWithFacility(DEBIAN_DEFAULTS, 'DAEMON_ARGS', 6)
    expect(once).toBe('# Options to pass to keepalived\n\n# DAEMON_ARGS are appended to the keepalived command-line\nDAEMON_ARGS="-S 6"\n')
    expect(defaultsWithFacility(once, 'DAEMON_ARGS', 6)).toBe(once)
    expect(defaultsWithFacility('KEEPALIVED_OPTIONS="-D -S 2"\n', 'KEEPALIVED_OPTIONS', 6)).toBe('KEEPALIVED_OPTIONS="-D -S 6"\n')
    expect(defaultsWithFacility(undefined, 'DAEMON_ARGS', 1)).toBe('# keepalived logs to syslog facility local1 (set by halctl deploy)\nDAEMON_ARGS="-S 1"\n')
  })

  it('the drop-in routes localN to the file and stops there', () => {
    expect(renderRsyslogDropIn({file: LOG, facility: 3})).toEqual({
      path: '/etc/rsyslog.d/40-keepalived-halctl.conf',
      content: '# written by halctl deploy: keepalived logs to syslog facility local3 (keepalived -S 3)\nlocal3.* /var/log/keepalived.log\n& stop\n',
    })
  })
})

describe('deploy with logging (fake transport)', () => {
  it('no init system: the daemon starts with -S 6, the drop-in is written, no defaults file; a second deploy is a no-op', async () => {
    const c = withLogging()
    const t = new FakeTransport([VIP])
    for (const n of c.nodes) t.machine(n.name, n.address, {init: 'none', files: {[DEFAULTS]: DEBIAN_DEFAULTS}})
    for (const n of c.nodes) {
      t.get(n.name)
        .expect(['<writeFile>', CONF])
        .expect(['<writeFile>', RSYSLOG_DROP_IN])
        .expect(['keepalived', '-f', CONF, '-p', `/run/halctl-keepalived-${n.name}.pid`, '-r', `/run/halctl-keepalived-${n.name}-vrrp.pid`, '-c', `/run/halctl-keepalived-${n.name}-checkers.pid`, '-S', '6'])
    }
    const r = await deployCluster(c, t, opts)
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    t.assertDone()
    const lb1 = r.nodes[0]
    expect(lb1.changes.filter((x) => x.kind === 'logging').map((x) => x.summary)).toEqual([`rsyslog: local6 to ${LOG} (${RSYSLOG_DROP_IN})`])
    expect(lb1.changes.find((x) => x.kind === 'logging')?.diff).toContain('+local6.* /var/log/keepalived.log\n+& stop')
    expect(lb1.changes.find((x) => x.kind === 'service')?.summary).toBe('start keepalived (daemon with a pid file, no init system, -S 6)')
    expect(lb1.notes).toEqual([`rsyslogd is not installed: ${RSYSLOG_DROP_IN} takes effect once rsyslog runs`])
    for (const n of c.nodes) {
      const m = t.get(n.name)
      expect(m.file(RSYSLOG_DROP_IN)).toBe(renderRsyslogDropIn({file: LOG, facility: 6}).content)
      expect(m.state.files.get(RSYSLOG_DROP_IN)?.mode).toBe(0o644)
      // without an init system the options file is not what starts keepalived: untouched
      expect(m.file(DEFAULTS)).toBe(DEBIAN_DEFAULTS)
      // argv only: every call survives a real shell word for word, and the log path never reaches a script's text
      for (const a of m.execs()) expect(roundTripsThroughShell(a), a.join(' ')).toBe(true)
      expect(m.execs().some((a) => a[0] === 'sh' && a[2].includes(LOG))).toBe(false)
    }

    const before = t.get('lb1').calls.length
    const again = await deployCluster(c, t, opts)
    expect(again.changes).toBe(0)
    expect(again.nodes.map((n) => n.status)).toEqual(['unchanged', 'unchanged'])
    const calls = t.get('lb1').calls.slice(before)
    expect(calls.filter((x) => x.kind === 'writeFile')).toEqual([])
    // facts, then the two logging files read for the plan; nothing else
    expect(calls.map((x) => (x.kind === 'exec' ? x.argv[3] : x.argv.join(' ')))).toEqual(['halctl-facts', `<readFile> ${CONF}`, `<readFile> ${DEFAULTS}`, `<readFile> ${RSYSLOG_DROP_IN}`])
  })

  it('systemd: -S 6 goes into DAEMON_ARGS before keepalived starts, rsyslog is restarted to read the drop-in; redeploy is a no-op', async () => {
    const c = withLogging(1)
    const t = new FakeTransport([VIP])
    const m = t.machine('lb1', '10.0.0.11', {init: 'systemd', files: {[DEFAULTS]: DEBIAN_DEFAULTS}})
    factsWith(m, {rsyslog: ['installed', 'running'], keepalivedArgs: () => `/usr/sbin/keepalived --dont-fork ${(m.file(DEFAULTS) ?? '').match(/DAEMON_ARGS="(.*)"/)?.[1] ?? ''}`})
    m.on(['systemctl', 'try-restart', 'rsyslog'], {})
    m.expect(['<writeFile>', DEFAULTS]).expect(['<writeFile>', RSYSLOG_DROP_IN]).expect(['systemctl', 'try-restart', 'rsyslog']).expect(['systemctl', 'enable', 'keepalived']).expect(['systemctl', 'start', 'keepalived'])
    const r = await deployCluster(c, t, opts)
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    t.assertDone()
    expect(m.file(DEFAULTS)).toContain('\nDAEMON_ARGS="-S 6"\n')
    const lg = r.nodes[0].changes.filter((x) => x.kind === 'logging')
    expect(lg.map((x) => x.summary)).toEqual([`keepalived -S 6: DAEMON_ARGS in ${DEFAULTS}`, `rsyslog: local6 to ${LOG} (${RSYSLOG_DROP_IN})`])
    expect(lg[0].diff).toContain('-DAEMON_ARGS=""\n+DAEMON_ARGS="-S 6"')
    expect(r.nodes[0].notes).toBeUndefined()
    expect(r.nodes[0].steps.find((s) => s.step === 'logging')?.detail).toBe(`${DEFAULTS}, ${RSYSLOG_DROP_IN}; systemctl try-restart rsyslog`)

    const n = m.calls.length
    const again = await deployCluster(c, t, opts)
    expect(again.changes).toBe(0)
    expect(again.nodes[0].notes).toBeUndefined()
    expect(m.calls.slice(n).filter((x) => x.kind === 'exec' && x.argv[0] === 'systemctl')).toEqual([])
  })

  it('a running keepalived without -S is not restarted: the files change and a note says the args apply at its next start', async () => {
    const c = withLogging(1, 4)
    const t = new FakeTransport([VIP])
    const m = t.machine('lb1', '10.0.0.11', {init: 'systemd', running: true, files: {[DEFAULTS]: DEBIAN_DEFAULTS, [CONF]: c.nodes[0].text}})
    m.state.files.set(CONF, {content: Buffer.from(c.nodes[0].text), mode: 0o600})
    t.elect()
    factsWith(m, {rsyslog: ['installed'], keepalivedArgs: () => '/usr/sbin/keepalived --dont-fork'})
    const r = await deployCluster(c, t, opts)
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    expect(r.nodes[0].changes.map((x) => x.kind)).toEqual(['firewall', 'logging', 'logging'])
    expect(r.nodes[0].notes).toEqual([expect.stringMatching(/^keepalived \(pid \d+\) runs without -S \(facility daemon\): -S 4 applies at its next start \(deploy does not restart a running keepalived/)])
    // rsyslog does not run: nothing to restart; keepalived: no restart, no stop, no start, no reload
    expect(execs(m).filter((a) => /^(systemctl|service) /.test(a))).toEqual([])
    expect(m.file(DEFAULTS)).toContain('DAEMON_ARGS="-S 4"')
    expect(m.state.running).toBe(true)
  })

  it('a failed start rolls the logging files back (restored, removed) and restarts rsyslog after they are back', async () => {
    const c = withLogging(1)
    const t = new FakeTransport([VIP])
    const m = t.machine('lb1', '10.0.0.11', {init: 'systemd', files: {[DEFAULTS]: DEBIAN_DEFAULTS}})
    factsWith(m, {rsyslog: ['installed', 'running']})
    m.on(['systemctl', 'try-restart', 'rsyslog'], {})
    m.on(['systemctl', 'start', 'keepalived'], {code: 1, stderr: 'Job for keepalived.service failed'})
    const r = await deployCluster(c, t, opts)
    expect(r.ok).toBe(false)
    expect(r.nodes[0].status).toBe('rolled-back')
    expect(r.nodes[0].rollback).toEqual(
      expect.arrayContaining([`restore ${DEFAULTS}: ok`, `remove ${RSYSLOG_DROP_IN}: ok`, 'systemctl try-restart rsyslog (previous rules): ok']),
    )
    const log = r.nodes[0].rollback ?? []
    expect(log.indexOf('systemctl try-restart rsyslog (previous rules): ok')).toBeGreaterThan(log.indexOf(`remove ${RSYSLOG_DROP_IN}: ok`))
    expect(m.file(DEFAULTS)).toBe(DEBIAN_DEFAULTS)
    expect(m.file(RSYSLOG_DROP_IN)).toBeUndefined()
    expect(m.execs().filter((a) => a.join(' ') === 'systemctl try-restart rsyslog')).toHaveLength(2)
  })

  it('an OS without a known keepalived options file is refused before anything is touched', () => {
    const c = withLogging(1)
    const m = new FakeTransport().machine('lb1', '10.0.0.11', {init: 'systemd'})
    const facts = parseFacts(m.factsOutput([]).replace(/ID=debian/, 'ID=alpine'))
    expect(facts.os.family).toBe('other')
    expect(planNode(c.nodes[0], facts).problems).toEqual([expect.stringMatching(/^logging: no known keepalived options file for alpine \(systemd\)/)])
  })

  it('without logging in the spec, deploy neither reads nor writes the logging files', async () => {
    const c = cluster(1)
    const t = new FakeTransport([VIP])
    const m = t.machine('lb1', '10.0.0.11', {init: 'systemd', files: {[DEFAULTS]: DEBIAN_DEFAULTS}})
    const r = await deployCluster(c, t, opts)
    expect(r.ok).toBe(true)
    expect(m.calls.filter((x) => x.argv[1] === DEFAULTS || x.argv[1] === RSYSLOG_DROP_IN)).toEqual([])
    expect(r.nodes[0].changes.some((x) => x.kind === 'logging')).toBe(false)
  })

  it('keepalived installed by this deploy and started by the package without -S: started again with the new options (it held nothing)', async () => {
    const c = withLogging(1)
    const t = new FakeTransport([VIP])
    const m = t.machine('lb1', '10.0.0.11', {init: 'systemd', keepalivedInstalled: false, files: {[DEFAULTS]: DEBIAN_DEFAULTS}})
    m.on(
      (a) => a[0] === 'env' && a.includes('apt-get'),
      (_a, machine) => {
        machine.state.keepalivedInstalled = true
        machine.state.running = true
        return {}
      },
    )
    m.expect(['<writeFile>', DEFAULTS]).expect(['systemctl', 'stop', 'keepalived']).expect(['systemctl', 'start', 'keepalived'])
    const r = await deployCluster(c, t, opts)
    expect(r.ok, JSON.stringify(r.error)).toBe(true)
    t.assertDone()
    expect(r.nodes[0].steps.find((s) => s.step === 'service')?.detail).toBe('started again with the new options (started by the package)')
    expect(m.execs().some((a) => a.join(' ') === 'systemctl reload keepalived')).toBe(false)
  })
})

describe('status with logging', () => {
  it('the drop-in counts as drift; a keepalived running without the spec facility is a warning, not an error', () => {
    const c = withLogging(1, 3)
    const m = new FakeTransport().machine('lb1', '10.0.0.11', {init: 'systemd', running: true})
    m.state.files.set(CONF, {content: Buffer.from(c.nodes[0].text), mode: 0o600})
    const out = m.factsOutput([CONF, RSYSLOG_DROP_IN]).replace(/\n@@running\n(\w+ \d+)\n/, '\n@@running\n$1 /usr/sbin/keepalived --dont-fork -S 6\n')
    const res = analyzeStatus(c, [{node: 'lb1', reachable: true, facts: parseFacts(out)}])
    expect(res.nodes[0].drift).toEqual([RSYSLOG_DROP_IN])
    expect(res.findings.find((f) => f.code === 'LOG_ARGS')).toEqual({
      severity: 'warning',
      code: 'LOG_ARGS',
      message: `lb1: keepalived runs with -S 6, the spec logs to local3 (${LOG}): restart keepalived on the node to apply it`,
    })

    m.state.files.set(RSYSLOG_DROP_IN, {content: Buffer.from(renderRsyslogDropIn({file: LOG, facility: 3}).content), mode: 0o644})
    const fixed = m.factsOutput([CONF, RSYSLOG_DROP_IN]).replace(/\n@@running\n(\w+ \d+)\n/, '\n@@running\n$1 /usr/sbin/keepalived --dont-fork -S 3\n')
    const ok = analyzeStatus(c, [{node: 'lb1', reachable: true, facts: parseFacts(fixed)}])
    expect(ok.nodes[0].drift).toEqual([])
    expect(ok.findings.filter((f) => f.code === 'LOG_ARGS' || f.code === 'DRIFT')).toEqual([])
  })
})
