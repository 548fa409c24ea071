/**
 * Gathers output bytes and hands them to a sink in large blocks (one write per block instead of
 * one per line). A block handed to the sink is never touched again.
 *
 * Exports: `OutputBuffer` (`new OutputBuffer(sink, blockSize?)`; `room(n)` makes room for n bytes
 * at `buf[pos]`, the caller then writes them and advances `pos`; `line(text)` appends text and a
 * newline as UTF-8; `flush()`).
 */
export class OutputBuffer {
  buf: Buffer
  pos = 0

  constructor(
    private readonly sink: (chunk: Uint8Array) => void,
    private readonly blockSize = 1 << 16,
  ) {
    this.buf = Buffer.allocUnsafe(blockSize)
  }

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return
    this.flush()
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n)
  }

  line(text: string): void {
    this.room(text.length * 3 + 1)
    this.pos += this.buf.write(text, this.pos, 'utf8')
    this.buf[this.pos++] = 10
  }

  flush(): void {
    if (this.pos === 0) return
    // the sink may keep the block (stream writes are asynchronous): start a fresh one
    const block = this.buf.subarray(0, this.pos)
    this.buf = Buffer.allocUnsafe(this.blockSize)
    this.pos = 0
    this.sink(block)
  }
}
