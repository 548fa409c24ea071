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
 * as a word of their own (quoted, after "=" or ":", in a list), and as the
 * value after a word that names a secret (pass, password, secret, auth,
 * token), glued to other text or not ("auth_pass=ab12", "Password = xab").
 */
const SUBSTRING_MIN = 4
/** words that name a secret, longest first (they stay readable themselves) */
const SECRET_WORDS = 'authentication|credentials|credential|passphrase|password|auth_pass|auth_type|secret|token|pass|auth'

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
    // the value after a word that names a secret ("auth_pass=ab12", "Password = xab", '"pass":"x1"'),
    // glued to other text or not; the prose around it stays readable
    out = maskSecretValues(out, any)
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

/**
 * The value after each word that names a secret, when it holds a short secret: a word
 * of a field path (`auth.pass`, `[0].auth`) is not such a word, and a value glued to the
 * word with nothing between masks the word too ("auth_pass9z").
 */
function maskSecretValues(text: string, secret: RegExp): string {
  const re = new RegExp(`(?<![A-Za-z0-9_.])(${SECRET_WORDS})(?![.\\[])(["'\`]?\\s*[=:]?\\s*["'\`]?)([^\\s"'\`,;()[\\]{}<>]+)`, 'gi')
  let out = ''
  let last = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [all, word, sep, value] = m
    if (secret.test(value)) {
      out += text.slice(last, m.index) + (sep ? `${word}${sep}${MASK}` : MASK)
      last = m.index + all.length
    } else {
      // the value may itself be a word that names a secret ("secret token x9z")
      re.lastIndex = m.index + word.length
    }
  }
  return out + text.slice(last)
}
