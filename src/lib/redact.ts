/**
 * Secret hygiene. Every string that may reach a log, an error or --json output
 * passes through redact(); values registered with registerSecret() are masked
 * wherever they appear, whatever their length, and keepalived's auth_pass
 * values are masked by shape.
 */
const secrets = new Set<string>()
/** short secrets as whole-word patterns, rebuilt when one is added */
let shortPattern: RegExp | undefined

export const MASK = '********'

/**
 * Secrets this long or longer are masked wherever they occur; shorter ones
 * (keepalived allows a 1-character password) are masked wherever they stand
 * as a word of their own, so that masking them does not garble every message.
 */
const SUBSTRING_MIN = 4

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
  }
}

export function redact(text: string): string {
  let out = text.replace(/(\bauth_pass\s+)("[^"\n]*"?|'[^'\n]*'?|\S+)/g, `$1${MASK}`)
  const long = [...secrets].filter((s) => s.length >= SUBSTRING_MIN).sort((a, b) => b.length - a.length)
  for (const s of long) {
    if (out.includes(s)) out = out.split(s).join(MASK)
  }
  if (shortPattern) out = out.replace(shortPattern, MASK)
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
