import {Box, renderToString, Text} from 'ink'
import {outputColumns} from './text.js'
import type {LabStatusResult, LabUpResult} from '../lab/lab.js'

/** `halctl lab up`: the hosts made and the files that let deploy run at once. */
export function LabUpView({result}: {result: LabUpResult}) {
  const down = `halctl lab down${result.name === 'lab' ? '' : ` --name ${result.name}`}`
  return (
    <Box flexDirection="column">
      <Text bold color="green">{`lab ${result.name} is up: ${result.hosts.length} hosts on ${result.subnet} (control ${result.control}, VIP ${result.vip})`}</Text>
      {result.engine === 'embedded' ? <Text>{'embedded VRRP engine (halctl run) running on every host; `halctl lab status` shows the VIP holder'}</Text> : null}
      <Box>
        <Box width={8}><Text underline>node</Text></Box>
        <Box width={18}><Text underline>address</Text></Box>
        <Text underline>namespace</Text>
      </Box>
      {result.hosts.map((h) => (
        <Box key={h.name}>
          <Box width={8}><Text>{h.name}</Text></Box>
          <Box width={18}><Text>{h.address}</Text></Box>
          <Text>{h.netns}</Text>
        </Box>
      ))}
      <Text> </Text>
      <Text>{`spec:        ${result.spec}`}</Text>
      <Text>{`ssh config:  ${result.sshConfig}`}</Text>
      <Text>{`known_hosts: ${result.knownHosts}`}</Text>
      <Text> </Text>
      <Text bold>next:</Text>
      {result.engine === 'embedded' ? (
        <Text>{`  halctl lab status${result.name === 'lab' ? '' : ` --name ${result.name}`}`}</Text>
      ) : (
        <Text>{`  halctl deploy -s ${result.spec}`}</Text>
      )}
      <Text>{`  ssh -F ${result.sshConfig} ${result.hosts[0]?.name ?? ''}`}</Text>
      <Text>{`  ${down}`}</Text>
    </Box>
  )
}

/** The embedded engine's column: its instances' states, "running" when it does not answer, "-" when stopped. */
function engineCell(e: NonNullable<LabStatusResult['hosts'][number]['embedded']>): string {
  if (!e.running) return 'stopped'
  const states = Object.values(e.instances)
  return states.length > 0 ? states.join(',') : 'running'
}

function vipLine(result: LabStatusResult): {text: string; color: string} {
  const holders = result.vipHolders
  if (holders.length === 1) return {text: `VIP ${result.vip} held by ${holders[0]}`, color: 'green'}
  if (holders.length === 0) return {text: `VIP ${result.vip} held by no host`, color: 'yellow'}
  return {text: `SPLIT BRAIN: VIP ${result.vip} held by ${holders.join(', ')}`, color: 'red'}
}

/** `halctl lab status`: one row per host. */
export function LabStatusView({result}: {result: LabStatusResult}) {
  const embedded = result.engine === 'embedded'
  const vip = vipLine(result)
  return (
    <Box flexDirection="column">
      <Text bold>{`lab ${result.name}: ${result.subnet}, control ${result.control}, spec VIP ${result.vip}`}</Text>
      <Text dimColor>{`state in ${result.stateDir}`}</Text>
      <Box>
        <Box width={8}><Text underline>node</Text></Box>
        <Box width={18}><Text underline>address</Text></Box>
        <Box width={10}><Text underline>netns</Text></Box>
        <Box width={7}><Text underline>sshd</Text></Box>
        {embedded ? <Box width={16}><Text underline>halctl run</Text></Box> : <Box width={12}><Text underline>keepalived</Text></Box>}
        <Text underline>VIPs held</Text>
      </Box>
      {result.hosts.map((h) => (
        <Box key={h.name}>
          <Box width={8}><Text>{h.name}</Text></Box>
          <Box width={18}><Text>{h.address}</Text></Box>
          <Box width={10}><Text color={h.present ? undefined : 'red'}>{h.present ? 'present' : 'MISSING'}</Text></Box>
          <Box width={7}><Text color={h.sshd === 'up' ? 'green' : 'red'}>{h.sshd}</Text></Box>
          {embedded ? (
            <Box width={16}><Text color={h.embedded?.running ? 'green' : 'red'}>{h.embedded ? engineCell(h.embedded) : '-'}</Text></Box>
          ) : (
            <Box width={12}><Text color={h.keepalived ? 'green' : 'gray'}>{h.keepalived ? 'running' : '-'}</Text></Box>
          )}
          <Text color={h.vips.length ? 'cyan' : 'gray'}>{h.vips.join(', ') || '-'}</Text>
        </Box>
      ))}
      <Text color={vip.color}>{vip.text}</Text>
    </Box>
  )
}

/** Text of the lab views (the commands import this module only for output meant for a person). */
export const labUpText = (result: LabUpResult): string => renderToString(<LabUpView result={result} />, {columns: outputColumns()})
export const labStatusText = (result: LabStatusResult): string => renderToString(<LabStatusView result={result} />, {columns: outputColumns()})
