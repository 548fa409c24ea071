import {Box, Text} from 'ink'
import type {EngineStatus} from '../engine/status.js'

const stateColor = {MASTER: 'green', BACKUP: 'cyan', FAULT: 'red', INIT: 'gray'} as const

/** Live view of `halctl run`: one row per vrrp_instance, then the latest transitions. */
export function RunView({status, endpoint}: {status: EngineStatus; endpoint?: string}) {
  const bad = (c: Record<string, number | undefined>) =>
    Object.entries(c)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ')
  return (
    <Box flexDirection="column">
      <Text bold>
        halctl run{status.configFile ? ` -f ${status.configFile}` : ''} (pid {status.pid}){endpoint ? `  status: ${endpoint}` : ''}
      </Text>
      <Box>
        <Box width={16}><Text underline>instance</Text></Box>
        <Box width={12}><Text underline>if/vrid</Text></Box>
        <Box width={8}><Text underline>state</Text></Box>
        <Box width={10}><Text underline>prio</Text></Box>
        <Box width={18}><Text underline>master</Text></Box>
        <Box width={14}><Text underline>sent/recv</Text></Box>
        <Text underline>dropped</Text>
      </Box>
      {status.instances.map((i) => (
        <Box key={i.name}>
          <Box width={16}><Text>{i.name}</Text></Box>
          <Box width={12}><Text>{`${i.interface}/${i.vrid}`}</Text></Box>
          <Box width={8}><Text color={stateColor[i.state]}>{i.state}</Text></Box>
          <Box width={10}><Text>{i.effectivePriority === i.priority ? String(i.priority) : `${i.effectivePriority}(${i.priority})`}</Text></Box>
          <Box width={18}><Text>{i.masterIp ?? '-'}</Text></Box>
          <Box width={14}><Text>{`${i.counters.advertsSent}/${i.counters.advertsReceived}`}</Text></Box>
          <Text color="yellow">{bad(i.counters.badPackets) || '-'}</Text>
        </Box>
      ))}
      {status.instances
        .filter((i) => i.lastTransition)
        .map((i) => (
          <Text key={`t-${i.name}`} dimColor>
            {`${i.lastTransition!.at} ${i.name}: ${i.lastTransition!.from} -> ${i.lastTransition!.to} (${i.lastTransition!.reason})`}
          </Text>
        ))}
    </Box>
  )
}
