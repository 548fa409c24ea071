/**
 * Secret hygiene. Every string that may reach a log, an error or --json output
 * passes through redact(); values registered with registerSecret() are masked
 * wherever they appear, and keepalived's auth_pass values are masked by shape.
 */
const secrets = new Set<string>()

export const MASK = '********'

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 3) secrets.add(value)
}

export function redact(text: string): string {
  let out = text.replace(/(\bauth_pass\s+)("[^"]*"|\S+)/g, `$1${MASK}`)
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join(MASK)
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
