/**
 * A fixed-capacity ring buffer: pushing beyond the capacity drops the oldest entry, so what the
 * monitor keeps does not grow with uptime.
 *
 * Exports: `Ring<T>` (`push`, `toArray` oldest first, `size`, `capacity`, `dropped`).
 */
export class Ring<T> {
  private readonly items: Array<T | undefined>
  private start = 0
  private n = 0
  /** entries pushed out by newer ones since the ring was made */
  dropped = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity ${capacity}: not a positive integer`)
    this.items = new Array<T | undefined>(capacity)
  }

  get size(): number {
    return this.n
  }

  push(item: T): void {
    if (this.n < this.capacity) {
      this.items[(this.start + this.n) % this.capacity] = item
      this.n++
      return
    }
    this.items[this.start] = item
    this.start = (this.start + 1) % this.capacity
    this.dropped++
  }

  /** the newest entry, undefined when empty */
  last(): T | undefined {
    return this.n === 0 ? undefined : this.items[(this.start + this.n - 1) % this.capacity]
  }

  toArray(): T[] {
    const out: T[] = []
    for (let i = 0; i < this.n; i++) out.push(this.items[(this.start + i) % this.capacity] as T)
    return out
  }
}
