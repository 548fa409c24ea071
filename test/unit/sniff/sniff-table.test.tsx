import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import {buildVrrpFrame, parseFrame} from '../../../src/capture/frame.js'
import {LinkType} from '../../../src/capture/link-types.js'
import {SniffTracker} from '../../../src/sniff/tracker.js'
import {SniffTable} from '../../../src/ui/sniff-table.js'
import {makeAdvertisement} from '../../../src/vrrp/codec.js'

describe('live sniff table', () => {
  it('shows one row per VRID with master, MAC, priority, interval, VIPs, auth, rate, others, and the findings pane', () => {
    const t = new SniffTracker()
    const T0 = 1_700_000_000_000
    const a = parseFrame(buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 51, priority: 150, intervalCs: 100, addresses: ['10.201.0.100'], auth: {type: 'simple', pass: 'pw'}}), src: '10.201.0.1'}), LinkType.ETHERNET)
    const b = parseFrame(buildVrrpFrame({packet: makeAdvertisement({version: 2, vrid: 51, priority: 100, intervalCs: 100, addresses: ['10.201.0.100'], auth: {type: 'simple', pass: 'pw'}}), src: '10.201.0.2'}), LinkType.ETHERNET)
    const c = parseFrame(buildVrrpFrame({packet: makeAdvertisement({version: 3, vrid: 52, priority: 255, intervalCs: 5, addresses: ['fd00:201::52']}), src: 'fe80::1'}), LinkType.ETHERNET)
    let i = 0
    t.observe(++i, T0, 'eth0', b)
    for (let s = 0; s < 5; s++) t.observe(++i, T0 + 500 + s * 1000, 'eth0', a)
    t.observe(++i, T0 + 600, 'eth0', c)
    const {lastFrame} = render(<SniffTable source="eth0" packets={i} vrids={t.vrids()} findings={t.findings()} nowMs={T0 + 5000} />)
    const out = lastFrame()!
    expect(out).toContain('halctl sniff eth0')
    expect(out).toMatch(/eth0\s+51\s+10\.201\.0\.1\s+00:00:5e:00:01:33\s+150\s+1s\s+10\.201\.0\.100\s+simple/)
    expect(out).toContain('10.201.0.2/100')
    expect(out).toMatch(/52 \(v6\)\s+fe80::1\s+00:00:5e:00:02:34\s+255\s+5cs\s+fd00:201::52/)
    expect(out).toContain('priority-255')
    expect(out).toContain('findings (')
    expect(out).not.toContain('pw')
  })
})
