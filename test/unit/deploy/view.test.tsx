import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import type {DeployResult} from '../../../src/deploy/deploy.js'
import {planText} from '../../../src/ui/deploy-output.js'
import {DeployProgress, DeployTable} from '../../../src/ui/deploy-view.js'

const result: DeployResult = {
  cluster: 'web',
  dryRun: false,
  ok: false,
  changes: 3,
  order: ['lb2', 'lb1'],
  durationMs: 4200,
  nodes: [
    {node: 'lb1', status: 'skipped', changes: [{kind: 'config', summary: 'write /etc/keepalived/keepalived.conf'}], steps: []},
    {
      node: 'lb2',
      status: 'rolled-back',
      changes: [{kind: 'config', summary: 'write /etc/keepalived/keepalived.conf', diff: '-  auth_pass oldsecret\n+  auth_pass newsecret\n'}],
      steps: [{step: 'validate', status: 'failed', detail: 'rejected', ms: 12}],
      error: {code: 'DEPLOY_STEP_FAILED', message: 'keepalived -t on the node rejected the new config (exit 5)', step: 'validate'},
      rollback: ['remove /etc/keepalived/.halctl-stage-x'],
    },
  ],
}

describe('deploy views (ink)', () => {
  it('live progress: one row per node with its step', () => {
    const {lastFrame} = render(
      <DeployProgress
        rows={[
          {node: 'lb2', step: 'validate', state: 'start'},
          {node: 'lb1', state: 'waiting'},
        ]}
      />,
    )
    expect(lastFrame()).toMatch(/lb2\s+validate\s+\.\.\./)
    expect(lastFrame()).toMatch(/lb1\s+-\s+waiting/)
  })

  it('final table in rollout order, with the error, the rollback and the totals', () => {
    const frame = render(<DeployTable result={result} />).lastFrame() ?? ''
    expect(frame.indexOf('lb2')).toBeLessThan(frame.indexOf('lb1'))
    expect(frame).toMatch(/lb2\s+rolled-back\s+1\s+validate: keepalived -t on the node rejected/)
    expect(frame).toContain('lb2 rollback: remove /etc/keepalived/.halctl-stage-x')
    expect(frame).toContain('applied: 3 changes on 2 node(s) in 4.2s')
  })

  it('plan: diffs shown with auth_pass masked', () => {
    const frame = planText(result)
    expect(frame).toContain('lb2: 1 change(s)')
    expect(frame).not.toContain('newsecret')
    expect(frame).not.toContain('oldsecret')
  })

  it('a failed preflight does not claim a plan of 0 changes', () => {
    const failed: DeployResult = {...result, dryRun: true, changes: 0, order: [], error: {code: 'DEPLOY_PREFLIGHT', message: 'cannot read lb2', exitCode: 4}}
    const frame = render(<DeployTable result={failed} />).lastFrame() ?? ''
    expect(frame).toContain('preflight failed: nothing was planned and no node was changed')
    expect(frame).not.toContain('planned: 0')
  })

  it('plan: a unified diff is never wrapped, whatever the width, and has no colour in a pipe', () => {
    const long = `+  notify_master "/etc/keepalived/scripts/notify.sh ${'x'.repeat(200)}"`
    const wide: DeployResult = {...result, nodes: result.nodes.map((n) => (n.node === 'lb2' ? {...n, changes: [{kind: 'config', summary: 'write /etc/keepalived/keepalived.conf', diff: `@@ -1 +1 @@\n${long}\n`}]} : n))}
    const text = planText(wide)
    expect(text.split('\n')).toContain(`  ${long}`)
    expect(text).not.toContain('\u001B[')
  })
})
