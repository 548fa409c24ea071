import type {InitSystem} from './facts.js'
import {DAEMON_DEFAULTS, RSYSLOG_DROP_IN} from './paths.js'

/**
 * keepalived logging to its own file: keepalived logs to syslog facility
 * localN (`-S N`) and an rsyslog drop-in routes localN to the file. Pure
 * helpers; plan.ts decides what changes and apply.ts writes it.
 */

export interface LoggingSettings {
  file: string
  /** 0..7: local0..local7 */
  facility: number
}

/** The rsyslog drop-in: localN.* to the file, then stop (so the lines are not also in syslog). */
export function renderRsyslogDropIn(l: LoggingSettings): {path: string; content: string} {
  return {
    path: RSYSLOG_DROP_IN,
    content: [
      `# written by halctl deploy: keepalived logs to syslog facility local${l.facility} (keepalived -S ${l.facility})`,
      `local${l.facility}.* ${l.file}`,
      '& stop',
      '',
    ].join('\n'),
  }
}

/**
 * The syslog facility a keepalived command line asks for (-S N, -SN,
 * --log-facility=N, --log-facility N); undefined: keepalived's default (daemon).
 */
export function facilityOfArgs(args: readonly string[]): number | undefined {
  let out: number | undefined
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    let v: string | undefined
    if (a === '-S' || a === '--log-facility') v = args[i + 1]
    else if (/^-S\d$/.test(a)) v = a.slice(2)
    else if (a.startsWith('--log-facility=')) v = a.slice('--log-facility='.length)
    if (v !== undefined && /^\d$/.test(v)) out = Number(v)
  }
  return out
}

/** args without any facility option, then `-S N`. */
export function argsWithFacility(args: readonly string[], facility: number): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '-S' || a === '--log-facility') {
      i++
      continue
    }
    if (/^-S\d$/.test(a) || a.startsWith('--log-facility=')) continue
    out.push(a)
  }
  return [...out, '-S', String(facility)]
}

/** Where this node's init system takes keepalived's options (undefined: no init system, or an OS halctl does not know). */
export function daemonDefaultsFor(init: InitSystem, family: 'debian' | 'rhel' | 'other'): {path: string; variable: string} | undefined {
  if (init === 'none' || family === 'other') return undefined
  return DAEMON_DEFAULTS[family]
}

const unquote = (v: string): string => {
  const t = v.trim()
  return /^".*"$/.test(t) || /^'.*'$/.test(t) ? t.slice(1, -1) : t
}

/**
 * An environment file (/etc/default/keepalived, /etc/sysconfig/keepalived)
 * with `-S N` in VARIABLE: the existing assignment is edited in place (other
 * options kept), or one is appended. Text already asking for N comes back
 * unchanged, so a second deploy writes nothing.
 */
export function defaultsWithFacility(text: string | undefined, variable: string, facility: number): string {
  const lines = (text ?? '').split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const re = new RegExp(`^\\s*(?:export\\s+)?${variable}=(.*)$`)
  let idx = -1
  lines.forEach((l, i) => {
    if (re.test(l)) idx = i
  })
  const current = idx >= 0 ? unquote((re.exec(lines[idx]) as RegExpExecArray)[1]).split(/\s+/).filter(Boolean) : []
  if (idx >= 0 && facilityOfArgs(current) === facility) return text as string
  const line = `${variable}="${argsWithFacility(current, facility).join(' ')}"`
  if (idx >= 0) lines[idx] = line
  else lines.push(`# keepalived logs to syslog facility local${facility} (set by halctl deploy)`, line)
  return `${lines.join('\n')}\n`
}
