import {Box, Text} from 'ink'
import type {InitRenderResult} from '../init/render-spec.js'

const actionColor = {create: 'green', update: 'yellow', overwrite: 'red', unchanged: 'gray'} as const

/** The table `halctl init -s spec -o out/` prints: one row per node and instance, then the files. */
export function InitSummary({result}: {result: InitRenderResult}) {
  const width = Math.max(6, ...result.nodes.map((n) => n.name.length + 2))
  const instWidth = Math.max(10, ...result.nodes.flatMap((n) => n.instances.map((i) => i.name.length + 2)))
  return (
    <Box flexDirection="column">
      <Box>
        <Box width={width}><Text underline>node</Text></Box>
        <Box width={instWidth}><Text underline>instance</Text></Box>
        <Box width={8}><Text underline>state</Text></Box>
        <Box width={10}><Text underline>priority</Text></Box>
        <Box width={6}><Text underline>VRID</Text></Box>
        <Text underline>VIPs</Text>
      </Box>
      {result.nodes.flatMap((n) =>
        n.instances.map((i) => (
          <Box key={`${n.name}/${i.name}`}>
            <Box width={width}><Text>{n.name}</Text></Box>
            <Box width={instWidth}><Text>{i.name}</Text></Box>
            <Box width={8}><Text color={i.state === 'MASTER' ? 'green' : undefined}>{i.state}</Text></Box>
            <Box width={10}><Text>{String(i.priority)}</Text></Box>
            <Box width={6}><Text>{String(i.vrid)}</Text></Box>
            <Text>{i.vips.join(' ')}</Text>
          </Box>
        )),
      )}
      <Text> </Text>
      {result.nodes.flatMap((n) =>
        n.files.map((f) => (
          <Box key={f.path}>
            <Box width={11}><Text color={actionColor[f.action]}>{f.action}</Text></Box>
            <Text>{`${f.path} (${f.mode})`}</Text>
          </Box>
        )),
      )}
      <Text bold>
        {result.dryRun
          ? `dry run: ${result.changed} file(s) would change in ${result.outDir}; nothing written`
          : `${result.changed} file(s) written to ${result.outDir}`}
      </Text>
    </Box>
  )
}
