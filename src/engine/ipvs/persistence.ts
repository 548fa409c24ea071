import ipaddr from 'ipaddr.js'

/**
 * IPVS persistence templates: a client (its address masked by
 * persistence_granularity) keeps going to the server it got first, until
 * `timeout` seconds pass with no connection from it. As with IPVS's default
 * (expire_quiescent_template = 0) a template whose server was drained to
 * weight 0 still holds; one whose server left the table expires.
 */
export class PersistenceTable {
  private readonly templates = new Map<string, {destKey: string; expires: number}>()
  private readonly maskBits: {v4: number; v6: number}

  constructor(
    private readonly timeoutMs: number,
    granularity?: string,
  ) {
    this.maskBits = parseGranularity(granularity)
  }

  clientKey(clientIp: string): string {
    let addr = ipaddr.parse(clientIp)
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address()
    const bits = addr.kind() === 'ipv4' ? this.maskBits.v4 : this.maskBits.v6
    const bytes = addr.toByteArray()
    for (let i = 0; i < bytes.length; i++) {
      const keep = Math.max(0, Math.min(8, bits - i * 8))
      bytes[i] &= (0xff << (8 - keep)) & 0xff
    }
    return ipaddr.fromByteArray(bytes).toString()
  }

  /** The server this client is bound to, if its template is alive. */
  lookup(clientIp: string, now: number): string | undefined {
    const key = this.clientKey(clientIp)
    const t = this.templates.get(key)
    if (!t) return undefined
    if (t.expires <= now) {
      this.templates.delete(key)
      return undefined
    }
    return t.destKey
  }

  /** A connection from this client started or ended on destKey: (re)arm its template. */
  touch(clientIp: string, destKey: string, now: number): void {
    this.templates.set(this.clientKey(clientIp), {destKey, expires: now + this.timeoutMs})
  }

  /** Drop templates pointing at a server that left the table. */
  forgetDest(destKey: string): void {
    for (const [k, t] of this.templates) if (t.destKey === destKey) this.templates.delete(k)
  }

  sweep(now: number): void {
    for (const [k, t] of this.templates) if (t.expires <= now) this.templates.delete(k)
  }

  get size(): number {
    return this.templates.size
  }
}

function parseGranularity(granularity: string | undefined): {v4: number; v6: number} {
  if (!granularity) return {v4: 32, v6: 128}
  if (/^\d+$/.test(granularity)) {
    const n = Number(granularity)
    return {v4: Math.min(32, n), v6: Math.min(128, n)}
  }
  if (ipaddr.IPv4.isValid(granularity)) {
    const bits = ipaddr.IPv4.parse(granularity).prefixLengthFromSubnetMask()
    return {v4: bits ?? 32, v6: 128}
  }
  return {v4: 32, v6: 128}
}
