import {basename} from 'node:path'
import {isHalError} from '../lib/errors.js'
import {parseKeepalivedOutput} from '../keepalived/check.js'
import type {RemoteHost} from '../remote/types.js'
import type {DesiredNode} from './desired.js'
import type {NodeFacts} from './facts.js'
import {iptablesRuleArgs} from './firewall.js'
import type {FileWrite, NodePlan} from './plan.js'
import {BACKUP_DIR, DISTRO_PID_FILE, IPTABLES_CHAIN, KEEPALIVED_CONF, KEEPALIVED_DIR, NFT_TABLE, pidFiles, STAGE_PREFIX} from './paths.js'
import {appendLine, backupDir, mkdirP, putFile, removePath, rewriteInPlace, run, StepFailure} from './remote-ops.js'
import {serviceCommands} from './service.js'

export type StepName = 'install' | 'backup' | 'upload' | 'validate' | 'write' | 'firewall' | 'sysctl' | 'logging' | 'service' | 'converge' | 'rollback'

export interface StepRecord {
  step: StepName
  status: 'ok' | 'failed'
  detail?: string
  ms: number
}

export type StepListener = (node: string, step: StepName, status: 'start' | 'ok' | 'failed', detail?: string) => void

export interface ApplyContext {
  node: DesiredNode
  plan: NodePlan
  facts: NodeFacts
  /** timestamp used for the backup directory name (yyyymmddThhmmssZ) */
  stamp: string
  /** the connection; replaced by reconnect() when it breaks */
  host: RemoteHost
  /** open a fresh connection to the same node (used to roll back after a cut) */
  reconnect: () => Promise<RemoteHost>
  /** wait until the node runs keepalived and holds what it should; throws when it does not */
  converge: (host: RemoteHost) => Promise<string>
  onStep?: StepListener
}

export interface ApplyOutcome {
  status: 'deployed' | 'rolled-back' | 'rollback-failed'
  steps: StepRecord[]
  backup?: string
  error?: {code: string; message: string; hint?: string; step: StepName}
  /** what the rollback did, or why it could not finish */
  rollback?: string[]
}

type Undo = {what: string; run: (host: RemoteHost) => Promise<void>}

function installArgv(pm: NodeFacts['packageManager'], pkgs: string[]): string[] {
  if (pm === 'apt') return ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', ...pkgs]
  return [pm, 'install', '-y', ...pkgs]
}

/** keepalived.conf as staged for `keepalived -t`: script paths point at their staged copies. */
export function stagedConfig(text: string, staged: Array<{path: string; stagedPath: string}>): string {
  let out = text
  for (const s of [...staged].sort((a, b) => b.path.length - a.path.length)) out = out.split(s.path).join(s.stagedPath)
  return out
}

/**
 * Apply one node's plan: install, back up, stage and validate with the
 * target's own `keepalived -t`, write into place, firewall, sysctl, service,
 * converge. On any failure, undo what was done on this node, newest first, and
 * bring keepalived back to its previous state.
 */
export async function applyNodePlan(ctx: ApplyContext): Promise<ApplyOutcome> {
  const {node, plan, facts} = ctx
  const steps: StepRecord[] = []
  const undo: Undo[] = []
  let host = ctx.host
  let backup: string | undefined
  const stage = `${STAGE_PREFIX}${ctx.stamp}`
  /** directories known to exist on the node (saves a round trip per file) */
  const dirs = new Set<string>()

  const step = async <T>(name: StepName, fn: () => Promise<T>, detail?: (r: T) => string | undefined): Promise<T> => {
    const t0 = Date.now()
    ctx.onStep?.(node.name, name, 'start')
    try {
      const r = await fn()
      const d = detail?.(r)
      steps.push({step: name, status: 'ok', detail: d, ms: Date.now() - t0})
      ctx.onStep?.(node.name, name, 'ok', d)
      return r
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e)
      steps.push({step: name, status: 'failed', detail: msg, ms: Date.now() - t0})
      ctx.onStep?.(node.name, name, 'failed', msg)
      throw Object.assign(e instanceof Error ? e : new Error(msg), {halctlStep: name})
    }
  }

  /** previous content of each file we write, for the undo journal */
  const remember = async (w: FileWrite, known?: Buffer | null): Promise<void> => {
    const prev = known === undefined ? await host.readFile(w.path, {sudo: !host.isRoot}) : known ?? undefined
    const mode = facts.files[w.path] ? parseInt(facts.files[w.path].mode, 8) : 0o644
    undo.push({
      what: prev === undefined ? `remove ${w.path}` : `restore ${w.path}`,
      run: async (h) => (prev === undefined ? removePath(h, w.path) : putFile(h, w.path, prev.toString('utf8'), mode)),
    })
  }

  try {
    if (plan.install.length) {
      await step('install', () => run(host, installArgv(facts.packageManager, plan.install), {timeoutMs: 600_000}), () => plan.install.join(', '))
    }

    if (plan.files.length) {
      backup = await step(
        'backup',
        async () => ((await backupDir(host, KEEPALIVED_DIR, `${BACKUP_DIR}/${ctx.stamp}`)) ? `${BACKUP_DIR}/${ctx.stamp}` : undefined),
        (b) => b ?? `${KEEPALIVED_DIR} did not exist`,
      )

      const scripts = plan.files.filter((f) => f.path !== KEEPALIVED_CONF)
      const staged = node.scripts.map((s, i) => ({path: s.path, stagedPath: `${stage}/scripts/${i}-${basename(s.path)}`, content: s.content, mode: s.mode}))
      const stagedConf = `${stage}/keepalived.conf`
      await step('upload', async () => {
        await removePath(host, stage)
        await mkdirP(host, `${stage}/scripts`, '700')
        dirs.add(stage).add(`${stage}/scripts`)
        for (const s of staged) await putFile(host, s.stagedPath, s.content, s.mode, dirs)
        await putFile(host, stagedConf, stagedConfig(node.text, staged), 0o600, dirs)
      }, () => stage)

      await step('validate', async () => {
        const r = await run(host, ['keepalived', '-t', '-f', stagedConf], {allowFail: true, timeoutMs: 30_000})
        if (r.code !== 0) {
          const diags = parseKeepalivedOutput(`${r.stderr}\n${r.stdout}`)
            .map((d) => (d.line ? `line ${d.line}: ${d.message}` : d.message))
            .slice(0, 6)
          throw new StepFailure(
            `keepalived -t on the node rejected the new config (exit ${r.code}): ${diags.join(' / ') || 'no output'}`,
            r,
            'the previous config was left in place; fix the spec (halctl lint) and deploy again',
          )
        }
        return 'keepalived -t accepted the config'
      }, (d) => d)

      await step('write', async () => {
        for (const w of [...scripts, ...plan.files.filter((f) => f.path === KEEPALIVED_CONF)]) {
          await remember(w)
          await putFile(host, w.path, w.content, w.mode, dirs)
        }
        await removePath(host, stage)
      }, () => plan.files.map((f) => f.path).join(', '))
    }

    if (plan.firewall) {
      const fw = plan.firewall
      await step('firewall', async () => {
        if (fw.kind === 'firewalld') {
          for (const {zone, rule} of fw.missingRichRules) {
            await run(host, ['firewall-cmd', '--permanent', `--zone=${zone}`, `--add-rich-rule=${rule}`])
            undo.push({what: `remove firewalld rich rule ${rule} (zone ${zone})`, run: async (h) => void (await run(h, ['firewall-cmd', '--permanent', `--zone=${zone}`, `--remove-rich-rule=${rule}`], {allowFail: true}))})
          }
          // the permanent configuration becomes the running one
          await run(host, ['firewall-cmd', '--reload'])
          undo.push({what: 'firewall-cmd --reload', run: async (h) => void (await run(h, ['firewall-cmd', '--reload'], {allowFail: true}))})
          return `${fw.missingRichRules.length} rich rule(s) added`
        }
        const rec = fw.record as FileWrite
        const hadTable = fw.kind === 'nftables' ? facts.firewallState.nftTable : facts.firewallState.iptablesChain
        const prevRecord = await host.readFile(rec.path, {sudo: !host.isRoot})
        await remember(rec, prevRecord ?? null)
        await putFile(host, rec.path, rec.content, rec.mode, dirs)
        if (fw.kind === 'nftables') {
          undo.push({
            what: hadTable && prevRecord ? 'reload the previous nftables table' : `delete table inet ${NFT_TABLE}`,
            run: async (h) =>
              void (hadTable && prevRecord ? await run(h, ['nft', '-f', rec.path], {allowFail: true}) : await run(h, ['nft', 'delete', 'table', 'inet', NFT_TABLE], {allowFail: true})),
          })
          await run(host, ['nft', '-f', rec.path])
          const bootFile = fw.persistInclude
          if (bootFile) {
            const before = await host.readFile(bootFile, {sudo: !host.isRoot})
            if (before !== undefined) {
              undo.push({what: `restore ${bootFile}`, run: (h) => rewriteInPlace(h, bootFile, before.toString('utf8'))})
              await appendLine(host, bootFile, `include "${rec.path}"`)
            }
          }
          return `table inet ${NFT_TABLE} loaded from ${rec.path}`
        }
        undo.push(
          hadTable && prevRecord
            ? {what: `restore chain ${IPTABLES_CHAIN}`, run: (h) => applyIptables(h, parseIptablesRecord(prevRecord.toString('utf8')))}
            : {what: `remove chain ${IPTABLES_CHAIN}`, run: (h) => removeIptables(h)},
        )
        await applyIptables(host, fw.rules.map((r) => ({family: r.family, args: iptablesRuleArgs(r)})))
        // persist the whole live ruleset where the boot-time restore reads it (netfilter-persistent, iptables-services)
        const saved: string[] = []
        for (const [fam, bin] of [['ipv4', 'iptables-save'], ['ipv6', 'ip6tables-save']] as const) {
          const file = facts.firewallState.iptablesSave[fam]
          if (!file) continue
          const before = await host.readFile(file, {sudo: !host.isRoot})
          if (before !== undefined) undo.push({what: `restore ${file}`, run: (h) => rewriteInPlace(h, file, before.toString('utf8'))})
          await run(host, ['sh', '-c', '"$1" > "$2.halctl-new" && mv -f -- "$2.halctl-new" "$2"', 'halctl-iptables-save', bin, file])
          saved.push(file)
        }
        return `chain ${IPTABLES_CHAIN} loaded${saved.length ? `, saved to ${saved.join(', ')}` : ' (no boot-time iptables file found: not persisted)'}`
      }, (d) => d)
    }

    if (plan.sysctl) {
      const sc = plan.sysctl
      await step('sysctl', async () => {
        await remember(sc.record)
        await putFile(host, sc.record.path, sc.record.content, sc.record.mode, dirs)
        for (const [k, v] of Object.entries(sc.values)) {
          const old = facts.sysctls[k]
          if (old !== undefined && old !== v) undo.push({what: `sysctl ${k}=${old}`, run: async (h) => void (await run(h, ['sysctl', '-q', '-w', `${k}=${old}`], {allowFail: true}))})
          await run(host, ['sysctl', '-q', '-w', `${k}=${v}`])
        }
      }, () => Object.entries(sc.values).map(([k, v]) => `${k}=${v}`).join(', '))
    }

    if (plan.logging) {
      const lg = plan.logging
      await step('logging', async () => {
        // undo runs newest first: the files go back before rsyslog is restarted again
        const restart = lg.restartRsyslog
        if (restart) undo.push({what: `${restart.join(' ')} (previous rules)`, run: async (h) => void (await run(h, restart, {allowFail: true}))})
        for (const w of lg.files) {
          await remember(w)
          await putFile(host, w.path, w.content, w.mode, dirs)
        }
        if (restart) await run(host, restart, {timeoutMs: 60_000})
        return `${lg.files.map((f) => f.path).join(', ')}${restart ? `; ${restart.join(' ')}` : ''}`
      }, (d) => d)
    }

    if (plan.service !== 'none') {
      const action = plan.service
      const logFacility = node.logging?.facility
      await step('service', async () => {
        if (action === 'start') {
          undo.push({what: 'stop keepalived (it was not running before)', run: (h) => stopService(h, facts, node.name)})
          // after an install, a distribution may have started keepalived already: reload it then,
          // or, when its options changed (logging), start it again: it held nothing before this deploy
          const now = plan.install.length ? (await isRunning(host, facts, node.name)) || (facts.init === 'none' && (await adoptPackageDaemon(host, node.name))) : false
          if (now && logFacility !== undefined) await stopService(host, facts, node.name)
          const reload = now && logFacility === undefined
          for (const argv of serviceCommands(facts.init, reload ? 'reload' : 'start', node.name, {logFacility})) await run(host, argv, {timeoutMs: 60_000, idempotent: false})
          return reload ? 'reloaded (started by the package)' : now ? 'started again with the new options (started by the package)' : 'started'
        }
        undo.push({what: 'reload keepalived with the previous config', run: async (h) => {
          for (const argv of serviceCommands(facts.init, 'reload', node.name)) await run(h, argv, {allowFail: true})
        }})
        for (const argv of serviceCommands(facts.init, 'reload', node.name)) await run(host, argv)
        return 'reloaded'
      }, (d) => d)
    }

    if (plan.service !== 'none' || plan.files.length) await step('converge', () => ctx.converge(host), (d) => d)
    return {status: 'deployed', steps, backup}
  } catch (e) {
    const failedStep = (e as {halctlStep?: StepName}).halctlStep ?? 'service'
    const error = isHalError(e)
      ? {code: e.code, message: e.message, hint: e.hint, step: failedStep}
      : {code: 'REMOTE_ERROR', message: e instanceof Error ? e.message : String(e), step: failedStep}
    const rb = await rollback()
    return {status: rb.ok ? 'rolled-back' : 'rollback-failed', steps, backup, error, rollback: rb.log}
  }

  async function rollback(): Promise<{ok: boolean; log: string[]}> {
    const log: string[] = []
    const t0 = Date.now()
    ctx.onStep?.(node.name, 'rollback', 'start')
    const stageCleanup: Undo = {what: `remove ${stage}`, run: (h) => removePath(h, stage)}
    const todo = [...undo].reverse()
    if (plan.files.length) todo.push(stageCleanup)
    let reconnected = false
    for (const u of todo) {
      try {
        await u.run(host)
        log.push(u.what)
      } catch (e) {
        if (!reconnected) {
          reconnected = true
          try {
            host = await ctx.reconnect()
            await u.run(host)
            log.push(`${u.what} (after reconnecting)`)
            continue
          } catch (e2) {
            e = e2
          }
        }
        const msg = `could not ${u.what}: ${e instanceof Error ? e.message : String(e)}`
        log.push(msg)
        steps.push({step: 'rollback', status: 'failed', detail: `${msg}; backup: ${backup ?? 'none'}`, ms: Date.now() - t0})
        ctx.onStep?.(node.name, 'rollback', 'failed', msg)
        return {ok: false, log}
      }
    }
    const detail = log.length ? log.join('; ') : 'nothing had been changed'
    steps.push({step: 'rollback', status: 'ok', detail, ms: Date.now() - t0})
    ctx.onStep?.(node.name, 'rollback', 'ok', detail)
    return {ok: true, log}
  }
}

async function isRunning(host: RemoteHost, facts: NodeFacts, node: string): Promise<boolean> {
  const argv =
    facts.init === 'systemd'
      ? ['systemctl', 'is-active', '--quiet', 'keepalived']
      : facts.init === 'sysv'
        ? ['sh', '-c', '[ -s /run/keepalived.pid ] && kill -0 "$(cat /run/keepalived.pid)"', 'halctl-running']
        : ['sh', '-c', '[ -s "$1" ] && kill -0 "$(cat "$1")"', 'halctl-running', pidFiles(node).main]
  return (await run(host, argv, {allowFail: true})).code === 0
}

/**
 * Without an init system, a package's init script still starts keepalived on
 * install when it finds a config (one left from before), under the
 * distribution's pid file. Record that daemon in halctl's pid file, so deploy
 * reloads it (and a rollback stops it) instead of starting a second one.
 * True when there was one.
 */
async function adoptPackageDaemon(host: RemoteHost, node: string): Promise<boolean> {
  const script = '[ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null && cp -- "$1" "$2"'
  return (await run(host, ['sh', '-c', script, 'halctl-adopt', DISTRO_PID_FILE, pidFiles(node).main], {allowFail: true})).code === 0
}

/** Stop keepalived and wait (bounded) until it is gone. */
async function stopService(host: RemoteHost, facts: NodeFacts, node: string): Promise<void> {
  for (const argv of serviceCommands(facts.init, 'stop', node)) await run(host, argv, {allowFail: true})
  for (let i = 0; i < 50 && (await isRunning(host, facts, node)); i++) await new Promise((r) => setTimeout(r, 100))
}

/** iptables record lines ("iptables -A ...") back to argv. */
export function parseIptablesRecord(text: string): Array<{family: 'ipv4' | 'ipv6'; args: string[]}> {
  return text
    .split('\n')
    .filter((l) => /^ip6?tables -A /.test(l))
    .map((l) => {
      const [bin, ...args] = l.trim().split(/\s+/)
      return {family: bin === 'ip6tables' ? 'ipv6' : 'ipv4', args}
    })
}

/** Remove halctl's chain and the INPUT jump to it (both families; absent ones are fine). */
async function removeIptables(host: RemoteHost): Promise<void> {
  for (const bin of ['iptables', 'ip6tables']) {
    while ((await run(host, [bin, '-D', 'INPUT', '-j', IPTABLES_CHAIN], {allowFail: true})).code === 0) {
      // a jump was there: deleted; look for another
    }
    await run(host, [bin, '-F', IPTABLES_CHAIN], {allowFail: true})
    await run(host, [bin, '-X', IPTABLES_CHAIN], {allowFail: true})
  }
}

/** Load halctl's chain with exactly these rules (flush, refill) and make sure INPUT jumps to it. */
async function applyIptables(host: RemoteHost, rules: Array<{family: 'ipv4' | 'ipv6'; args: string[]}>): Promise<void> {
  for (const [fam, bin] of [['ipv4', 'iptables'], ['ipv6', 'ip6tables']] as const) {
    const mine = rules.filter((r) => r.family === fam)
    const exists = (await run(host, [bin, '-S', IPTABLES_CHAIN], {allowFail: true})).code === 0
    if (!exists && mine.length === 0) continue
    if (!exists) await run(host, [bin, '-N', IPTABLES_CHAIN])
    else await run(host, [bin, '-F', IPTABLES_CHAIN])
    for (const r of mine) await run(host, [bin, ...r.args])
    const jumps = (await run(host, [bin, '-C', 'INPUT', '-j', IPTABLES_CHAIN], {allowFail: true})).code === 0
    if (!jumps) await run(host, [bin, '-I', 'INPUT', '1', '-j', IPTABLES_CHAIN])
  }
}
