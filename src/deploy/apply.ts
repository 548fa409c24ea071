import {basename} from 'node:path'
import {HalError, isHalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {parseKeepalivedOutput} from '../keepalived/check.js'
import type {RemoteHost} from '../remote/types.js'
import type {DesiredNode} from '../host/desired.js'
import type {NodeFacts} from '../host/facts.js'
import {iptablesRuleArgs} from '../host/firewall.js'
import type {FileWrite, NodePlan} from './plan.js'
import {BACKUP_DIR, DISTRO_PID_FILE, IPTABLES_CHAIN, KEEPALIVED_DIR, NFT_TABLE, pidFiles, STAGE_PREFIX} from '../host/paths.js'
import {appendLine, backupDir, isConnectionLoss, mkdirP, putFile, removePath, rewriteInPlace, run, StepFailure} from './remote-ops.js'
import {serviceCommands} from '../host/service.js'
import type {DumpedInstance} from '../status/keepalived-data.js'

export type StepName = 'install' | 'backup' | 'upload' | 'validate' | 'write' | 'firewall' | 'sysctl' | 'logging' | 'service' | 'converge' | 'rollback'

export interface StepRecord {
  step: StepName
  status: 'ok' | 'failed'
  detail?: string
  ms: number
}

export type StepListener = (node: string, step: StepName, status: 'start' | 'ok' | 'failed', detail?: string) => void

/** What a node runs, as keepalived itself reports it (its data dump) and as `ip addr` shows it. */
export interface NodeObservation {
  running: boolean
  /** instances from keepalived's data dump; undefined when it could not be read */
  dump?: DumpedInstance[]
  /** cluster VIPs the node holds */
  holds: string[]
}

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
  /** what the node runs now (for the baseline before the first change, and to verify a rollback) */
  observe: (host: RemoteHost) => Promise<NodeObservation>
  /** bound on the wait for a rolled-back node to run its previous state again */
  verifyTimeoutMs?: number
  /** true once the run was asked to stop (a signal): no further step starts, the node is undone */
  interrupted?: () => boolean
  onStep?: StepListener
}

export interface ApplyOutcome {
  status: 'deployed' | 'rolled-back' | 'rollback-failed'
  steps: StepRecord[]
  backup?: string
  error?: {code: string; message: string; hint?: string; step: StepName}
  /** every undo in the order it ran, with its result ("…: ok", "…: nothing to undo", "…: FAILED (why)"), then the verification */
  rollback?: string[]
}

/** phase "files" undoes run first (newest first), then "system" ones (firewall, sysctl, rsyslog), then the service. */
type Undo = {what: string; phase: 'files' | 'system'; run: (host: RemoteHost) => Promise<string | void>}

export class Interrupted extends HalError {
  constructor(step: string) {
    super('INTERRUPTED', `interrupted before ${step}`, {exitCode: ExitCode.Interrupted})
  }
}

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
 * $1 = stage prefix. Removes stage directories left by earlier runs (the
 * caller holds the node's lock, so none of them is in use) and creates a new
 * private (0700) one with a unique name; prints its path, then how many old
 * ones were removed.
 */
export const STAGE_SCRIPT = `
n=0; for d in "$1"*; do [ -e "$d" ] || continue; rm -rf -- "$d" && n=$((n+1)); done
s=$(umask 077 && mktemp -d "$1XXXXXXXX") || exit 1
mkdir -m 700 "$s/scripts" || { rm -rf -- "$s"; exit 1; }
printf '%s\\n%s\\n' "$s" "$n"
`

/** Does what the node runs now match what it ran before (keepalived's own view, and the VIPs)? Pure. */
export function sameAsBefore(before: NodeObservation, now: NodeObservation): {ok: boolean; why?: string} {
  if (before.running !== now.running) return {ok: false, why: before.running ? 'keepalived is not running' : 'keepalived runs but did not before'}
  const vips = (o: NodeObservation): string => [...o.holds].sort().join(', ') || 'none'
  if (vips(before) !== vips(now)) return {ok: false, why: `it holds ${vips(now)}, it held ${vips(before)}`}
  if (!before.running || !before.dump) return {ok: true}
  if (!now.dump) return {ok: false, why: "keepalived's data dump could not be read"}
  for (const b of before.dump) {
    const n = now.dump.find((x) => x.name === b.name)
    if (!n) return {ok: false, why: `keepalived does not run instance ${b.name}`}
    if (n.priority !== b.priority) return {ok: false, why: `${b.name} runs with priority ${n.priority}, it ran with ${b.priority}`}
    if (n.state !== b.state) return {ok: false, why: `${b.name} is ${n.state}, it was ${b.state}`}
  }
  const extra = now.dump.filter((n) => !before.dump?.some((b) => b.name === n.name))
  if (extra.length) return {ok: false, why: `keepalived runs instance(s) it did not run before: ${extra.map((e) => e.name).join(', ')}`}
  return {ok: true}
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/**
 * Apply one node's plan: install, back up, stage and validate with the
 * target's own `keepalived -t`, write into place, firewall, sysctl, service,
 * converge. Each step starts only when the run was not interrupted. On any
 * failure or interruption, undo what was done on this node: the files first
 * (newest first), then the firewall/sysctl/rsyslog changes, then bring
 * keepalived to the state the restored files describe (reload, start or stop),
 * going on past an undo that fails; then verify from keepalived's own data
 * dump and `ip addr` that the node runs what it ran before.
 */
export async function applyNodePlan(ctx: ApplyContext): Promise<ApplyOutcome> {
  const {node, plan, facts} = ctx
  const steps: StepRecord[] = []
  const undo: Undo[] = []
  let host = ctx.host
  let backup: string | undefined
  let stage: string | undefined
  let serviceTouched = false
  /** directories known to exist on the node (saves a round trip per file) */
  const dirs = new Set<string>()

  const step = async <T>(name: StepName, fn: () => Promise<T>, detail?: (r: T) => string | undefined): Promise<T> => {
    if (ctx.interrupted?.()) throw Object.assign(new Interrupted(name), {halctlStep: name})
    const t0 = Date.now()
    ctx.onStep?.(node.name, name, 'start')
    try {
      const r = await fn()
      const d = detail?.(r)
      steps.push({step: name, status: 'ok', detail: d, ms: Date.now() - t0})
      ctx.onStep?.(node.name, name, 'ok', d)
      return r
    } catch (e) {
      const msg = messageOf(e)
      steps.push({step: name, status: 'failed', detail: msg, ms: Date.now() - t0})
      ctx.onStep?.(node.name, name, 'failed', msg)
      throw Object.assign(e instanceof Error ? e : new Error(msg), {halctlStep: name})
    }
  }

  /**
   * Journal a file before writing it. Its undo compares first: a file the
   * write never changed (refused by chattr +i, a full disk) is left alone.
   */
  const remember = async (w: FileWrite, known?: Buffer | null): Promise<void> => {
    const prev = known === undefined ? await host.readFile(w.path, {sudo: !host.isRoot}) : known ?? undefined
    const mode = facts.files[w.path] ? parseInt(facts.files[w.path].mode, 8) : 0o644
    undo.push({
      what: prev === undefined ? `remove ${w.path}` : `restore ${w.path}`,
      phase: 'files',
      run: async (h) => {
        const now = await h.readFile(w.path, {sudo: !h.isRoot})
        if (prev === undefined) {
          if (now === undefined) return 'nothing to undo'
          await removePath(h, w.path)
          return
        }
        if (now?.equals(prev)) {
          if (w.mode === mode) return 'nothing to undo'
          await run(h, ['chmod', mode.toString(8), '--', w.path])
          return
        }
        await putFile(h, w.path, prev.toString('utf8'), mode)
      },
    })
  }

  // keepalived's own view before the first change: what a rollback must give back
  let before: NodeObservation = {running: facts.keepalived.running, holds: []}
  try {
    before = await ctx.observe(host)
  } catch {
    // unreadable: the rollback is then verified by the service state only
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

      const confPath = plan.daemon.config
      const scripts = plan.files.filter((f) => f.path !== confPath)
      let stagedConf = ''
      let cleaned = 0
      await step('upload', async () => {
        await mkdirP(host, KEEPALIVED_DIR)
        const r = await run(host, ['sh', '-c', STAGE_SCRIPT, 'halctl-stage', STAGE_PREFIX])
        const [dir, n] = r.stdout.trim().split('\n')
        if (!dir?.startsWith(STAGE_PREFIX)) throw new StepFailure(`could not create a staging directory under ${KEEPALIVED_DIR}: ${r.stdout.trim() || r.stderr.trim()}`, r)
        stage = dir
        cleaned = Number(n) || 0
        dirs.add(stage).add(`${stage}/scripts`)
        const staged = node.scripts.map((s, i) => ({path: s.path, stagedPath: `${dir}/scripts/${i}-${basename(s.path)}`, content: s.content, mode: s.mode}))
        for (const s of staged) await putFile(host, s.stagedPath, s.content, s.mode, dirs)
        stagedConf = `${dir}/keepalived.conf`
        await putFile(host, stagedConf, stagedConfig(node.text, staged), 0o600, dirs)
      }, () => `${stage}${cleaned ? ` (removed ${cleaned} stale staging dir(s))` : ''}`)

      await step('validate', async () => {
        const r = await run(host, [plan.daemon.binary ?? facts.keepalived.binary ?? 'keepalived', '-t', '-f', stagedConf], {allowFail: true, timeoutMs: 30_000})
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
        for (const w of [...scripts, ...plan.files.filter((f) => f.path === confPath)]) {
          await remember(w)
          await putFile(host, w.path, w.content, w.mode, dirs)
        }
        await removePath(host, stage as string)
        stage = undefined
      }, () => plan.files.map((f) => f.path).join(', '))
    }

    if (plan.firewall) {
      const fw = plan.firewall
      await step('firewall', async () => {
        if (fw.kind === 'firewalld') {
          for (const {zone, rule} of fw.missingRichRules) {
            undo.push({what: `remove firewalld rich rule ${rule} (zone ${zone})`, phase: 'system', run: async (h) => void (await run(h, ['firewall-cmd', '--permanent', `--zone=${zone}`, `--remove-rich-rule=${rule}`], {allowFail: true}))})
            await run(host, ['firewall-cmd', '--permanent', `--zone=${zone}`, `--add-rich-rule=${rule}`])
          }
          // the permanent configuration becomes the running one; undone after the rules' removal (undos run newest first)
          undo.splice(undo.length - fw.missingRichRules.length, 0, {what: 'firewall-cmd --reload', phase: 'system', run: async (h) => void (await run(h, ['firewall-cmd', '--reload'], {allowFail: true}))})
          await run(host, ['firewall-cmd', '--reload'])
          return `${fw.missingRichRules.length} rich rule(s) added`
        }
        const rec = fw.record as FileWrite
        const hadTable = fw.kind === 'nftables' ? facts.firewallState.nftTable : facts.firewallState.iptablesChain
        const prevRecord = await host.readFile(rec.path, {sudo: !host.isRoot})
        await remember(rec, prevRecord ?? null)
        if (fw.kind === 'nftables') {
          // system undos run after the record file is restored: reload it, or delete the table
          undo.push({
            what: hadTable && prevRecord ? 'reload the previous nftables table' : `delete table inet ${NFT_TABLE}`,
            phase: 'system',
            run: async (h) =>
              void (hadTable && prevRecord ? await run(h, ['nft', '-f', rec.path]) : await run(h, ['nft', 'delete', 'table', 'inet', NFT_TABLE], {allowFail: true})),
          })
          await putFile(host, rec.path, rec.content, rec.mode, dirs)
          await run(host, ['nft', '-f', rec.path])
          const bootFile = fw.persistInclude
          if (bootFile) {
            const prev = await host.readFile(bootFile, {sudo: !host.isRoot})
            if (prev !== undefined) {
              undo.push({what: `restore ${bootFile}`, phase: 'files', run: (h) => rewriteInPlace(h, bootFile, prev.toString('utf8'))})
              await appendLine(host, bootFile, `include "${rec.path}"`)
            }
          }
          return `table inet ${NFT_TABLE} loaded from ${rec.path}`
        }
        undo.push(
          hadTable && prevRecord
            ? {what: `restore chain ${IPTABLES_CHAIN}`, phase: 'system', run: (h) => applyIptables(h, parseIptablesRecord(prevRecord.toString('utf8')))}
            : {what: `remove chain ${IPTABLES_CHAIN}`, phase: 'system', run: (h) => removeIptables(h)},
        )
        await putFile(host, rec.path, rec.content, rec.mode, dirs)
        await applyIptables(host, fw.rules.map((r) => ({family: r.family, args: iptablesRuleArgs(r)})))
        // persist the whole live ruleset where the boot-time restore reads it (netfilter-persistent, iptables-services)
        const saved: string[] = []
        for (const [fam, bin] of [['ipv4', 'iptables-save'], ['ipv6', 'ip6tables-save']] as const) {
          const file = facts.firewallState.iptablesSave[fam]
          if (!file) continue
          const prev = await host.readFile(file, {sudo: !host.isRoot})
          if (prev !== undefined) undo.push({what: `restore ${file}`, phase: 'files', run: (h) => rewriteInPlace(h, file, prev.toString('utf8'))})
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
          if (old !== undefined && old !== v) undo.push({what: `sysctl ${k}=${old}`, phase: 'system', run: async (h) => void (await run(h, ['sysctl', '-q', '-w', `${k}=${old}`]))})
          await run(host, ['sysctl', '-q', '-w', `${k}=${v}`])
        }
      }, () => Object.entries(sc.values).map(([k, v]) => `${k}=${v}`).join(', '))
    }

    if (plan.logging) {
      const lg = plan.logging
      await step('logging', async () => {
        // a system undo: it runs once the files are back
        const restart = lg.restartRsyslog
        if (restart) undo.push({what: `${restart.join(' ')} (previous rules)`, phase: 'system', run: async (h) => void (await run(h, restart))})
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
        serviceTouched = true
        if (action === 'start') {
          // after an install, a distribution may have started keepalived already: reload it then,
          // or, when its options changed (logging), start it again: it held nothing before this deploy
          const now = plan.install.length ? (await isRunning(host, facts, node.name)) || (facts.init === 'none' && (await adoptPackageDaemon(host, node.name))) : false
          if (now && logFacility !== undefined) await stopService(host, facts, node.name)
          const reload = now && logFacility === undefined
          for (const argv of serviceCommands(facts.init, reload ? 'reload' : 'start', node.name, {logFacility, daemon: plan.daemon})) await run(host, argv, {timeoutMs: 60_000, idempotent: false})
          return reload ? 'reloaded (started by the package)' : now ? 'started again with the new options (started by the package)' : 'started'
        }
        for (const argv of serviceCommands(facts.init, 'reload', node.name)) await run(host, argv)
        return 'reloaded'
      }, (d) => d)
    }

    if (plan.service !== 'none' || plan.files.length) await step('converge', () => ctx.converge(host), (d) => d)
    return {status: 'deployed', steps, backup}
  } catch (e) {
    const failedStep = (e as {halctlStep?: StepName}).halctlStep ?? 'service'
    const error = isHalError(e)
      ? {code: e.code, message: e.message, ...(e.hint ? {hint: e.hint} : {}), step: failedStep}
      : {code: 'REMOTE_ERROR', message: messageOf(e), step: failedStep}
    const rb = await rollback()
    return {status: rb.ok ? 'rolled-back' : 'rollback-failed', steps, backup, error, rollback: rb.log}
  }

  async function rollback(): Promise<{ok: boolean; log: string[]}> {
    const log: string[] = []
    const t0 = Date.now()
    let ok = true
    let reconnects = 0
    ctx.onStep?.(node.name, 'rollback', 'start')
    /** run one undo; a lost connection is replaced (at most twice per rollback) and the undo tried again */
    const attempt = async (what: string, fn: (h: RemoteHost) => Promise<string | void>): Promise<boolean> => {
      let again = false
      for (;;) {
        try {
          const r = await fn(host)
          log.push(`${what}: ${r ?? 'ok'}${again ? ' (after reconnecting)' : ''}`)
          return true
        } catch (e) {
          if (reconnects < 2 && isConnectionLoss(e)) {
            reconnects++
            try {
              host = await ctx.reconnect()
              again = true
              continue
            } catch (e2) {
              e = e2
            }
          }
          ok = false
          log.push(`${what}: FAILED (${messageOf(e)})`)
          return false
        }
      }
    }
    for (const u of undo.filter((x) => x.phase === 'files').reverse()) await attempt(u.what, u.run)
    for (const u of undo.filter((x) => x.phase === 'system').reverse()) await attempt(u.what, u.run)
    const st = stage
    if (st) await attempt(`remove ${st}`, (h) => removePath(h, st))
    // the service: to the state the restored files describe
    if (before.running) {
      let running = true
      await attempt('check keepalived', async (h) => {
        running = await isRunning(h, facts, node.name)
        return running ? 'running' : 'not running'
      })
      if (!running) {
        await attempt('start keepalived again with the restored config', async (h) => {
          for (const argv of serviceCommands(facts.init, 'start', node.name, {daemon: plan.daemon})) await run(h, argv, {timeoutMs: 60_000, idempotent: false})
        })
      } else if (serviceTouched) {
        await attempt('reload keepalived with the restored config', async (h) => {
          for (const argv of serviceCommands(facts.init, 'reload', node.name)) await run(h, argv)
        })
      }
    } else if (serviceTouched) {
      await attempt('stop keepalived (it was not running before)', (h) => stopService(h, facts, node.name))
    }
    // keepalived's own view: the previous config runs again, the VIPs are where they were
    if (before.running || serviceTouched) {
      const deadline = Date.now() + (ctx.verifyTimeoutMs ?? 20_000)
      let why = 'not checked'
      await attempt('verify', async (h) => {
        for (let i = 0; i < 1000; i++) {
          const cmp = sameAsBefore(before, await ctx.observe(h))
          if (cmp.ok) return before.running ? `keepalived runs the previous config${before.dump ? ' (its data dump)' : ''}${before.holds.length ? `, holds ${before.holds.join(', ')}` : ', holds no VIP'}` : 'keepalived is stopped, as before'
          why = cmp.why ?? 'differs'
          if (Date.now() >= deadline) break
          await new Promise((r) => setTimeout(r, 250))
        }
        throw new Error(`the node does not run what it ran before: ${why}`)
      })
    }
    const detail = log.length ? log.join('; ') : 'nothing had been changed'
    steps.push({step: 'rollback', status: ok ? 'ok' : 'failed', detail: ok ? detail : `${detail}; backup: ${backup ?? 'none'}`, ms: Date.now() - t0})
    ctx.onStep?.(node.name, 'rollback', ok ? 'ok' : 'failed', detail)
    return {ok, log}
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
