// Sends hostile VRRP frames from a lab host: `hostile-sender.ts MODE COUNT RATE SRC_IP VIP`
// MODE: fuzz (random fields, valid checksums), ttl (priority 255 with TTL 64),
// vrid (priority 255 for another VRID), flood (a mix of all three).
import {buildVrrpFrame} from '../../../src/capture/frame.js'
import {makeAdvertisement} from '../../../src/vrrp/codec.js'
import type {VrrpPacket} from '../../../src/vrrp/types.js'
import {openPcapLink} from '../../../src/engine/link.js'

const [mode, countArg, rateArg, src, vip] = process.argv.slice(2)
const count = Number(countArg)
const rate = Number(rateArg)
let seed = 4242
const rnd = (n: number) => {
  seed = (seed * 1664525 + 1013904223) >>> 0
  return seed % n
}
const mac = '02:00:00:00:20:3f'

function fuzz(): Buffer {
  const version = [2, 3, rnd(16)][rnd(3)]
  const nAddr = rnd(4)
  const addresses = Array.from({length: nAddr}, () => `10.203.${rnd(256)}.${rnd(256)}`)
  const p: VrrpPacket = {
    version,
    type: rnd(4),
    vrid: [51, rnd(256)][rnd(2)],
    priority: rnd(256),
    addrCount: rnd(3) === 0 ? rnd(256) : nAddr,
    authType: rnd(4),
    advertIntSec: rnd(256),
    reserved: version === 3 ? rnd(16) : 0,
    maxAdvertIntCs: version === 3 ? rnd(4096) : 0,
    addresses,
    authData: Uint8Array.from({length: 8}, () => rnd(256)),
    trailer: Uint8Array.from({length: rnd(3) === 0 ? rnd(40) : 0}, () => rnd(256)),
  }
  // never a well-formed advert for VRID 51 with our VIP: that one would rightly win an election
  if (p.vrid === 51 && addresses.includes(vip)) p.vrid = 52
  const f = buildVrrpFrame({packet: p, src, srcMac: mac, ttl: rnd(8) === 0 ? rnd(256) : 255})
  // sometimes cut it short (the IP length still claims the full size)
  return rnd(6) === 0 ? f.subarray(0, 14 + 20 + rnd(f.length - 34)) : f
}

function strong(vrid: number, ttl: number): Buffer {
  const packet = makeAdvertisement({version: 2, vrid, priority: 255, intervalCs: 100, addresses: [vip]})
  return buildVrrpFrame({packet, src, srcMac: mac, ttl})
}

const makers: Record<string, () => Buffer> = {
  fuzz,
  ttl: () => strong(51, 64),
  vrid: () => strong(52, 255),
  flood: () => [fuzz, () => strong(51, 64), () => strong(52, 255)][rnd(3)](),
}
const make = makers[mode]
if (!make) throw new Error(`unknown mode ${mode}`)
// frames are made in advance so the send loop keeps up with the rate
const pool = Array.from({length: Math.min(count, 2000)}, make)
const link = openPcapLink('eth0')
const batch = Math.max(1, Math.round(rate / 100))
let sent = 0
const started = performance.now()
while (sent < count) {
  for (let i = 0; i < batch && sent < count; i++, sent++) link.send(pool[sent % pool.length])
  const due = started + (sent / rate) * 1000
  const wait = due - performance.now()
  if (wait > 0) await new Promise((r) => setTimeout(r, wait))
}
link.close()
console.log(JSON.stringify({sent, seconds: (performance.now() - started) / 1000}))
process.exit(0)
