import {Box, Text} from 'ink'
import type {StepName} from '../deploy/apply.js'
import type {DeployResult, NodeReport} from '../deploy/deploy.js'
import {redact} from '../lib/redact.js'

const statusColor: Record<NodeReport['status'], string> = {
  planned: 'cyan',
  unchanged: 'gray',
  deployed: 'green',
  failed: 'red',
  'rolled-back': 'yellow',
  'rollback-failed': 'red',
  skipped: 'gray',
}

export interface NodeProgress {
  node: string
  step?: StepName
  state: 'waiting' | 'start' | 'ok' | 'failed'
  detail?: string
}

/** Live rollout: one row per node, in rollout order, with the step it is on. */
export function DeployProgress({rows}: {rows: NodeProgress[]}) {
  return (
    <Box flexDirection="column">
      {rows.map((r) => (
        <Box key={r.node}>
          <Box width={14} flexShrink={0}><Text bold>{r.node}</Text></Box>
          <Box width={12} flexShrink={0}><Text>{r.step ?? '-'}</Text></Box>
          <Text color={r.state === 'failed' ? 'red' : r.state === 'ok' ? 'green' : r.state === 'start' ? 'yellow' : 'gray'}>
            {r.state === 'start' ? '...' : r.state}
            {r.detail ? ` ${redact(r.detail).slice(0, 100)}` : ''}
          </Text>
        </Box>
      ))}
    </Box>
  )
}

/** Final table: one row per node (status, changes, last step), then errors and rollbacks in full. */
export function DeployTable({result}: {result: DeployResult}) {
  const rows = result.order.length ? result.order.map((n) => result.nodes.find((x) => x.node === n) as NodeReport) : result.nodes
  return (
    <Box flexDirection="column">
      <Box>
        <Box width={14} flexShrink={0}><Text underline>node</Text></Box>
        <Box width={17} flexShrink={0}><Text underline>status</Text></Box>
        <Box width={9} flexShrink={0}><Text underline>changes</Text></Box>
        <Text underline>detail</Text>
      </Box>
      {rows.map((n) => {
        const last = n.steps[n.steps.length - 1]
        const detail = n.error ? `${n.error.step}: ${n.error.message}` : n.status === 'unchanged' ? 'up to date' : last ? `${last.step}: ${last.detail ?? ''}` : n.changes.map((c) => c.kind).join(', ')
        return (
          <Box key={n.node}>
            <Box width={14} flexShrink={0}><Text>{n.node}</Text></Box>
            <Box width={17} flexShrink={0}><Text color={statusColor[n.status]}>{n.status}</Text></Box>
            <Box width={9} flexShrink={0}><Text>{String(n.changes.length)}</Text></Box>
            <Text>{redact(detail).slice(0, 160)}</Text>
          </Box>
        )
      })}
      {rows
        .filter((n) => n.rollback?.length)
        .map((n) => (
          <Text key={`rb-${n.node}`} color="yellow">{`${n.node} rollback: ${redact((n.rollback ?? []).join('; '))}`}</Text>
        ))}
      {rows.flatMap((n) =>
        (n.notes ?? []).map((note, i) => (
          <Text key={`note-${n.node}-${i}`} color="cyan">{`${n.node} note: ${redact(note)}`}</Text>
        )),
      )}
      <Text bold color={result.ok ? 'green' : 'red'}>
        {result.error?.code === 'DEPLOY_PREFLIGHT' ? 'preflight failed: nothing was planned and no node was changed' : `${result.dryRun ? 'planned' : 'applied'}: ${result.changes} change${result.changes === 1 ? '' : 's'} on ${result.nodes.length} node(s) in ${(result.durationMs / 1000).toFixed(1)}s`}
      </Text>
    </Box>
  )
}
