// Sends VRRPv2 adverts from a lab host: `advert-sender.ts JSON` with
// {src, dst, dstMac?, vrid, priority, vips, count, intervalMs} (dstMac for a unicast destination).
import {buildVrrpFrame} from '../../../src/capture/frame.js'
import {openPcapLink} from '../../../src/engine/link.js'
import {makeAdvertisement} from '../../../src/vrrp/codec.js'

const o = JSON.parse(process.argv[2]) as {src: string; dst: string; dstMac?: string; vrid: number; priority: number; vips: string[]; count: number; intervalMs: number}
const packet = makeAdvertisement({version: 2, vrid: o.vrid, priority: o.priority, intervalCs: 100, addresses: o.vips})
const frame = buildVrrpFrame({packet, src: o.src, dst: o.dst, dstMac: o.dstMac, srcMac: '02:00:00:00:14:0e'})
const link = openPcapLink('eth0')
for (let i = 0; i < o.count; i++) {
  link.send(frame)
  await new Promise((r) => setTimeout(r, o.intervalMs))
}
link.close()
console.log(JSON.stringify({sent: o.count}))
process.exit(0)
