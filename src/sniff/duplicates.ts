/**
 * `sniff --node A --node B`: one advert is captured on the node that sent it and on every node
 * that received it. A packet is a copy when the same IP packet (bytes from the IP header on)
 * came from another capture within `windowMs` of arrival here (arrival time, not the nodes'
 * clocks, which may disagree); each first sighting matches at most one copy per other capture,
 * so two real adverts with the same bytes are never merged into one.
 *
 * Exports: `CaptureCopies` (`isCopy(key, source, atMs)`), `DUPLICATE_WINDOW_MS`.
 */

/**
 * Two captures of one packet arrive here within this many ms (SSH streams with tcpdump -U, on a
 * busy machine). Longer than an advert interval is safe: sightings are matched oldest first, one
 * per other capture, so identical adverts (VRRPv3 over IPv6 has no IP ID) pair up in order.
 */
export const DUPLICATE_WINDOW_MS = 2000

interface Sighting {
  key: string
  source: string
  at: number
  /** sources whose copy of this packet was already counted */
  matched: Set<string>
}

export class CaptureCopies {
  private readonly byKey = new Map<string, Sighting[]>()
  private readonly queue: Sighting[] = []
  private head = 0

  constructor(private readonly windowMs = DUPLICATE_WINDOW_MS) {}

  /** True when this packet (key: its IP bytes) is another capture's copy of one seen within the window. */
  isCopy(key: string, source: string, atMs: number): boolean {
    this.prune(atMs)
    const list = this.byKey.get(key)
    const first = list?.find((s) => s.source !== source && !s.matched.has(source))
    if (first) {
      first.matched.add(source)
      return true
    }
    const s: Sighting = {key, source, at: atMs, matched: new Set()}
    this.queue.push(s)
    if (list) list.push(s)
    else this.byKey.set(key, [s])
    return false
  }

  private prune(now: number): void {
    while (this.head < this.queue.length && now - this.queue[this.head].at > this.windowMs) {
      const old = this.queue[this.head++]
      const list = this.byKey.get(old.key)!
      list.shift()
      if (list.length === 0) this.byKey.delete(old.key)
    }
    if (this.head > 1024) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
  }
}
