/**
 * Serve the virtual_server blocks of a keepalived.conf with the userspace IPVS
 * engine alone (no VRRP), for benchmarks and lab tests:
 *
 *   npx tsx bench/ipvs-serve.ts -f lb.conf [--status-port 8799] [--active VI_1,192.0.2.10] [--relay handles|sockets]
 *
 * GET http://127.0.0.1:PORT/ gives the JSON status, /table the ipvsadm-like view.
 * SIGHUP reloads the file; SIGTERM/SIGINT stop. Events go to stderr as JSON lines.
 */
import {readFileSync} from 'node:fs'
import http from 'node:http'
import {parseArgs} from 'node:util'
import {createVirtualServerService} from '../src/engine/ipvs/index.js'
import {parseKeepalivedConfig} from '../src/keepalived/parse/index.js'

const {values} = parseArgs({
  options: {
    file: {type: 'string', short: 'f'},
    'status-port': {type: 'string'},
    active: {type: 'string'},
    relay: {type: 'string', default: 'handles'},
  },
})
const file = values.file
if (!file) {
  process.stderr.write('usage: ipvs-serve.ts -f keepalived.conf [--status-port N] [--active NAME,...]\n')
  process.exit(2)
}

function load(): ReturnType<typeof parseKeepalivedConfig>['config'] {
  const {config, diagnostics} = parseKeepalivedConfig(readFileSync(file!, 'utf8'), {file: file!})
  const errors = diagnostics.filter((d) => d.severity === 'error')
  for (const d of diagnostics) process.stderr.write(JSON.stringify({type: 'diagnostic', ...d}) + '\n')
  if (errors.length) throw new Error(`${file}: ${errors.length} error(s) in the config`)
  return config
}

const log = (o: object): void => void process.stderr.write(JSON.stringify({at: new Date().toISOString(), ...o}) + '\n')
if (values.relay !== 'handles' && values.relay !== 'sockets') {
  process.stderr.write('--relay is handles or sockets\n')
  process.exit(2)
}
const service = createVirtualServerService(load(), {onEvent: log, tcp: {relay: values.relay}})
await service.start()
for (const name of (values.active ?? '').split(',').filter(Boolean)) await service.setActive(name, true)

let statusServer: http.Server | undefined
if (values['status-port']) {
  statusServer = http.createServer((req, res) => {
    if (req.url === '/table') res.end(service.renderTable())
    else if (req.url === '/stats') res.end(service.renderTable({stats: true}))
    else res.setHeader('content-type', 'application/json').end(JSON.stringify(service.status()))
  })
  await new Promise<void>((r) => statusServer!.listen(Number(values['status-port']), '127.0.0.1', r))
}
log({type: 'ready', pid: process.pid})

process.on('SIGHUP', () => {
  try {
    void service.reload(load()).then(() => log({type: 'reloaded'}))
  } catch (e) {
    log({type: 'reload-failed', error: (e as Error).message})
  }
})
const stop = async (): Promise<void> => {
  await service.stop()
  statusServer?.close()
  process.exit(0)
}
process.on('SIGTERM', () => void stop())
process.on('SIGINT', () => void stop())
