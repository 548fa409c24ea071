import {execa} from 'execa'
import {randomBytes} from 'node:crypto'

/** One line keepalived -t printed, with the position it named when it named one. */
export interface KeepalivedDiagnostic {
  file?: string
  line?: number
  message: string
  /**
   * True when the diagnostic is about this host rather than the config text:
   * a missing interface, a missing or unsafe script file. Such lines are
   * expected when a config is checked away from its node.
   */
  hostSpecific: boolean
}

export interface KeepalivedCheckResult {
  /** keepalived -t exit code (2.2.7: 0 ok, 4 cannot run, 5 config errors, 6 script security) */
  exitCode: number
  ok: boolean
  diagnostics: KeepalivedDiagnostic[]
  /** raw stderr+stdout */
  output: string
}

const HOST_SPECIFIC = [
  /interface .* (doesn't|does not) exist/i,
  /Non-existent interface/i,
  /Cannot find (an )?IP address to use for interface/i,
  /Unknown interface/i,
  /track_interface .* (doesn't|does not) exist/i,
  /not accessible/i,
  /(No such file or directory|cannot be found|not found or not executable|is not executable)/i,
  /script .* (cannot|can't) be executed/i,
  /SECURITY VIOLATION/i,
  /insecure/i,
  /Unable to access script/i,
  /Disabling track script .* since not found/i,
  // an include pattern that matches no file on this host
  /Config files missing/i,
  // the default script user (keepalived_script) or a script_user that this host lacks
  /Unable to set default user/i,
  /Unable to (get|find) (uid|gid|user|group)/i,
  /Unknown (user|group)/i,
  /(Error setting|Failed to set|Unable to set) .*uid\/gid/i,
  // routing table names come from the host's /etc/iproute2/rt_tables
  /Routing table \S*[A-Za-z]\S* not found/,
  // smtp_server given as a host name that does not resolve here
  /Invalid smtp server [^\s:]*[A-Za-z][^\s:]*\s/,
]

export function isHostSpecific(message: string): boolean {
  return HOST_SPECIFIC.some((re) => re.test(message))
}

/** Parse keepalived -t output: "(FILE: Line N) message", "(Line N) message" or a bare message. */
export function parseKeepalivedOutput(output: string): KeepalivedDiagnostic[] {
  const out: KeepalivedDiagnostic[] = []
  for (const raw of output.split('\n')) {
    const line = raw.trim()
    if (!line) continue
    const m = /^\((.+?): Line (\d+)\)\s*(.*)$/.exec(line)
    const bare = m ? undefined : /^\(Line (\d+)\)\s*(.*)$/.exec(line)
    if (m) out.push({file: m[1], line: Number(m[2]), message: m[3], hostSpecific: isHostSpecific(m[3])})
    else if (bare) out.push({line: Number(bare[1]), message: bare[2], hostSpecific: isHostSpecific(bare[2])})
    else out.push({message: line, hostSpecific: isHostSpecific(line)})
  }
  return out
}

const isRoot = (): boolean => process.getuid?.() === 0

/**
 * Run the real `keepalived -t -f FILE`. As root, it runs in a scratch network
 * namespace holding veth interfaces named as `interfaces` (so the config's
 * interfaces exist and the host's do not leak in); without root, in the
 * current namespace. The namespace is always removed.
 */
export async function keepalivedCheck(
  configPath: string,
  opts: {interfaces?: string[]; timeoutMs?: number} = {},
): Promise<KeepalivedCheckResult> {
  const timeout = opts.timeoutMs ?? 20_000
  const names = [...new Set((opts.interfaces ?? []).filter((n) => n && n !== 'lo' && /^[\w.:-]{1,15}$/.test(n)))]
  let ns: string | undefined
  try {
    let cmd = ['keepalived', '-t', '-f', configPath]
    if (isRoot()) {
      ns = `halck-${randomBytes(4).toString('hex')}`
      await execa('ip', ['netns', 'add', ns])
      await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
      for (const [i, name] of names.entries()) {
        await execa('ip', ['-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `hckp${i}`])
        await execa('ip', ['-n', ns, 'link', 'set', name, 'up'])
      }
      cmd = ['ip', 'netns', 'exec', ns, ...cmd]
    }
    const r = await execa(cmd[0], cmd.slice(1), {reject: false, all: true, timeout})
    const output = r.all ?? ''
    const exitCode = r.exitCode ?? -1
    return {exitCode, ok: exitCode === 0, diagnostics: parseKeepalivedOutput(output), output}
  } finally {
    if (ns) await execa('ip', ['netns', 'del', ns], {reject: false})
  }
}
