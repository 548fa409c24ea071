/**
 * pcapng writing for tests: blocks built by hand so that every option tcpdump reads can be set
 * (if_tsresol, if_tsoffset, Simple Packet Blocks, several interfaces, either byte order).
 *
 * Exports: `ngSection(le?)`, `ngInterface(linkType, {snapLen, tsresol, tsoffset}, le?)`,
 * `ngEnhanced(ifId, units (bigint), data, wireLen?, le?)`, `ngSimple(data, wireLen?, le?)`.
 */
function block(type: number, body: Buffer, le: boolean): Buffer {
  const pad = (4 - (body.length % 4)) % 4
  const len = 12 + body.length + pad
  const b = Buffer.alloc(len)
  const w = (v: number, o: number) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o))
  w(type, 0)
  w(len, 4)
  body.copy(b, 8)
  w(len, len - 4)
  return b
}

export function ngSection(le = true): Buffer {
  const body = Buffer.alloc(16)
  if (le) {
    body.writeUInt32LE(0x1a2b3c4d, 0)
    body.writeUInt16LE(1, 4)
  } else {
    body.writeUInt32BE(0x1a2b3c4d, 0)
    body.writeUInt16BE(1, 4)
  }
  body.writeBigInt64LE(-1n, 8)
  return block(0x0a0d0d0a, body, le)
}

export function ngInterface(linkType: number, o: {snapLen?: number; tsresol?: number; tsoffset?: bigint} = {}, le = true): Buffer {
  const parts: Buffer[] = []
  const head = Buffer.alloc(8)
  if (le) {
    head.writeUInt16LE(linkType, 0)
    head.writeUInt32LE(o.snapLen ?? 262144, 4)
  } else {
    head.writeUInt16BE(linkType, 0)
    head.writeUInt32BE(o.snapLen ?? 262144, 4)
  }
  parts.push(head)
  const opt = (code: number, value: Buffer) => {
    const h = Buffer.alloc(4)
    if (le) {
      h.writeUInt16LE(code, 0)
      h.writeUInt16LE(value.length, 2)
    } else {
      h.writeUInt16BE(code, 0)
      h.writeUInt16BE(value.length, 2)
    }
    parts.push(h, value, Buffer.alloc((4 - (value.length % 4)) % 4))
  }
  if (o.tsresol !== undefined) opt(9, Buffer.from([o.tsresol]))
  if (o.tsoffset !== undefined) {
    const v = Buffer.alloc(8)
    if (le) v.writeBigInt64LE(o.tsoffset)
    else v.writeBigInt64BE(o.tsoffset)
    opt(14, v)
  }
  if (o.tsresol !== undefined || o.tsoffset !== undefined) opt(0, Buffer.alloc(0))
  return block(1, Buffer.concat(parts), le)
}

export function ngEnhanced(ifId: number, units: bigint, data: Uint8Array, wireLen = data.length, le = true): Buffer {
  const h = Buffer.alloc(20)
  const w = (v: number, o: number) => (le ? h.writeUInt32LE(v >>> 0, o) : h.writeUInt32BE(v >>> 0, o))
  w(ifId, 0)
  w(Number(units >> 32n) >>> 0, 4)
  w(Number(units & 0xffffffffn), 8)
  w(data.length, 12)
  w(wireLen, 16)
  return block(6, Buffer.concat([h, Buffer.from(data)]), le)
}

export function ngSimple(data: Uint8Array, wireLen = data.length, le = true): Buffer {
  const h = Buffer.alloc(4)
  if (le) h.writeUInt32LE(wireLen)
  else h.writeUInt32BE(wireLen)
  return block(3, Buffer.concat([h, Buffer.from(data)]), le)
}
