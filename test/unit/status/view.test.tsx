import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import type {StatusResult} from '../../../src/status/status.js'
import {StatusView} from '../../../src/ui/status-view.js'

describe('status view (ink)', () => {
  it('a split brain shows both holders and a loud finding', () => {
    const result: StatusResult = {
      cluster: 'web',
      selected: ['lb1', 'lb2'],
      at: '2026-11-22T04:00:00.000Z',
      ok: false,
      instances: [{name: 'VI_web', vips: [{address: '10.0.0.100/24', holders: ['lb1', 'lb2']}], problem: 'split-brain'}],
      nodes: [
        {node: 'lb1', reachable: true, running: true, firewall: true, drift: [], instances: [{name: 'VI_web', state: 'MASTER', priority: 150, effectivePriority: 150, source: 'keepalived'}]},
        {node: 'lb2', reachable: false, error: 'connect ETIMEDOUT', running: false, firewall: null, drift: [], instances: []},
      ],
      findings: [{severity: 'error', code: 'SPLIT_BRAIN', message: 'SPLIT BRAIN: VI_web: 10.0.0.100/24 is on lb1 AND lb2'}],
    }
    const frame = render(<StatusView result={result} />).lastFrame() ?? ''
    expect(frame).toMatch(/VI_web\s+10\.0\.0\.100\/24\s+lb1 \+ lb2/)
    expect(frame).toMatch(/lb1\s+yes\s+ok\s+no\s+VI_web MASTER 150\/150/)
    expect(frame).toContain('lb2           unreachable: connect ETIMEDOUT')
    expect(frame).toContain('!! SPLIT BRAIN: VI_web: 10.0.0.100/24 is on lb1 AND lb2')
  })
})
