import {Box, Text} from 'ink'
import {redact} from '../lib/redact.js'
import type {StatusResult} from '../status/status.js'

const stateColor = (s: string): string => (s === 'MASTER' ? 'green' : s === 'BACKUP' ? 'cyan' : s === 'FAULT' || s === 'STOPPED' ? 'red' : 'gray')

/** `halctl status`: VIP holders per instance, then one row per node, then findings (split brain in red capitals). */
export function StatusView({result}: {result: StatusResult}) {
  return (
    <Box flexDirection="column">
      <Text bold>{`cluster ${result.cluster} at ${result.at}`}</Text>
      <Box>
        <Box width={16} flexShrink={0}><Text underline>instance</Text></Box>
        <Box width={26} flexShrink={0}><Text underline>vip</Text></Box>
        <Text underline>holder</Text>
      </Box>
      {result.instances.flatMap((i) =>
        i.vips.map((v) => (
          <Box key={`${i.name}-${v.address}`}>
            <Box width={16} flexShrink={0}><Text>{i.name}</Text></Box>
            <Box width={26} flexShrink={0}><Text>{v.address}</Text></Box>
            {v.holders.length === 0 && i.elsewhere ? (
              <Text color="gray">{`not here (${i.elsewhere.join(', ')} not asked)`}</Text>
            ) : (
              <Text color={v.holders.length === 1 ? 'green' : 'red'} bold={v.holders.length !== 1}>
                {v.holders.length === 0 ? 'NOBODY' : v.holders.join(' + ')}
              </Text>
            )}
          </Box>
        )),
      )}
      <Text> </Text>
      <Box>
        <Box width={14} flexShrink={0}><Text underline>node</Text></Box>
        <Box width={10} flexShrink={0}><Text underline>running</Text></Box>
        <Box width={10} flexShrink={0}><Text underline>firewall</Text></Box>
        <Box width={8} flexShrink={0}><Text underline>drift</Text></Box>
        <Text underline>instances (state prio/effective)</Text>
      </Box>
      {result.nodes.map((n) => (
        <Box key={n.node}>
          <Box width={14} flexShrink={0}><Text>{n.node}</Text></Box>
          {n.reachable ? (
            <>
              <Box width={10} flexShrink={0}><Text color={n.running ? 'green' : 'red'}>{n.running ? 'yes' : 'no'}</Text></Box>
              <Box width={10} flexShrink={0}><Text color={n.firewall === false ? 'yellow' : undefined}>{n.firewall === null ? 'n/a' : n.firewall ? 'ok' : 'MISSING'}</Text></Box>
              <Box width={8} flexShrink={0}><Text color={n.drift.length ? 'yellow' : undefined}>{n.drift.length ? 'yes' : 'no'}</Text></Box>
              <Text>
                {n.instances.map((i, k) => (
                  <Text key={i.name}>
                    {k ? ', ' : ''}
                    {`${i.name} `}
                    <Text color={stateColor(i.state)}>{i.state}</Text>
                    {` ${i.priority ?? '?'}/${i.effectivePriority ?? '?'}${i.source === 'vips' ? '*' : ''}`}
                  </Text>
                ))}
              </Text>
            </>
          ) : (
            <Text color="red">{`unreachable: ${redact(n.error ?? '')}`}</Text>
          )}
        </Box>
      ))}
      {result.nodes.some((n) => n.instances.some((i) => i.source === 'vips')) ? <Text dimColor>* state guessed from the VIPs (no keepalived data dump)</Text> : null}
      {result.findings.map((f, i) => (
        <Text key={i} color={f.severity === 'error' ? 'red' : 'yellow'} bold={f.severity === 'error'}>
          {`${f.severity === 'error' ? '!!' : ' !'} ${redact(f.message)}`}
        </Text>
      ))}
    </Box>
  )
}
