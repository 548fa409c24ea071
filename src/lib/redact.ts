/**
 * Secret hygiene. Every string that may reach a log, an error or --json output
 * passes through redact(); values registered with registerSecret() are masked
 * wherever they appear, whatever their length, and keepalived's auth_pass
 * values are masked by shape.
 */
const secrets = new Set<string>()
/** short secrets as whole-word patterns, rebuilt when one is added */
let shortPattern: RegExp | undefined
/** any short secret, anywhere (used only inside quotes and on secret lines) */
let shortAnywhere: RegExp | undefined

export const MASK = '********'

/**
 * Secrets this long or longer are masked wherever they occur. Shorter ones
 * (keepalived allows a 1-character password) would garble every message if
 * masked as substrings, so they are masked wherever a value can carry them:
 * as a word of their own (quoted, after "=" or ":", in a list), and, on a
 * line that speaks of a secret (pass, password, secret, auth, token), every
 * word that holds one, glued to other text or not ("auth_pass=ab12",
 * "Password = xab"): on such a line masking too much is the safe side.
 */
const SUBSTRING_MIN = 4
/** a line where a glued short secret would be a secret's value */
const SECRET_LINE = /pass|secret|auth|credential|token/i
/** the words that make a line a secret's line, longest first (they stay readable themselves) */
const SECRET_WORDS = /authentication|credentials|credential|passphrase|password|auth_pass|auth_type|secret|token|pass|auth/gi

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')

export function registerSecret(value: string | undefined): void {
  if (!value) return
  const parts = [value, ...value.split(/\r\n|\r|\n/).map((l) => l.trim())].filter((p) => p !== '')
  let short = false
  for (const p of parts) {
    if (secrets.has(p)) continue
    secrets.add(p)
    if (p.length < SUBSTRING_MIN) short = true
  }
  if (short) {
    const words = [...secrets].filter((s) => s.length < SUBSTRING_MIN).sort((a, b) => b.length - a.length)
    shortPattern = new RegExp(`(?<![A-Za-z0-9_])(?:${words.map(escapeRe).join('|')})(?![A-Za-z0-9_])`, 'g')
    shortAnywhere = new RegExp(words.map(escapeRe).join('|'))
  }
}

export function redact(text: string): string {
  let out = text.replace(/(\bauth_pass\s+)("[^"\n]*"?|'[^'\n]*'?|\S+)/g, `$1${MASK}`)
  const long = [...secrets].filter((s) => s.length >= SUBSTRING_MIN).sort((a, b) => b.length - a.length)
  for (const s of long) {
    if (out.includes(s)) out = out.split(s).join(MASK)
  }
  if (shortPattern && shortAnywhere) {
    const any = shortAnywhere
    // a line that speaks of a secret: every word holding one
    out = out
      .split('\n')
      .map((line) => (SECRET_LINE.test(line) ? line.replace(/[^\s"'`=:,;()[\]{}<>]+/g, (w) => (any.test(w.replace(SECRET_WORDS, ' ')) ? MASK : w)) : line))
      .join('\n')
    out = out.replace(shortPattern, MASK)
  }
  out = out.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, `${MASK} (private key)`)
  return out
}

/** Deep copy of a JSON-able value with every string redacted and secret-named keys masked. */
export function redactDeep<T>(value: T): T {
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') return key && /^(auth_?pass|password|pass|passphrase|privateKey|private_key)$/i.test(key) ? MASK : redact(v)
    if (Array.isArray(v)) return v.map((x) => walk(x))
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v)) o[k] = walk(x, k)
      return o
    }
    return v
  }
  return walk(value) as T
}
