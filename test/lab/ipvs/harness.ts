import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {IpvsStatus} from '../../../src/engine/ipvs/index.js'

const repo = join(import.meta.dirname, '..', '..', '..')

/** A scratch directory removed by cleanup(). */
export function scratch(prefix: string): {dir: string; cleanup: () => void} {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}

/** A random port in 20000..59999 for this test run. */
export const randomPortBase = (): number => 20000 + Math.floor(Math.random() * 4000) * 10

export interface Nginx {
  name: string
  address: string
  port: number
  start(): Promise<void>
  /** SIGKILL: the backend dies with whatever it had in flight */
  kill(): Promise<void>
  stop(): Promise<void>
}

/**
 * Debian's nginx as a backend answering "<name>\n" on address:port; one
 * process (master_process off) so a SIGKILL really takes the backend down.
 */
export function nginxBackend(dir: string, name: string, address: string, port: number, opts: {workers?: number; netns?: string} = {}): Nginx {
  const prefix = join(dir, `nginx-${name}`)
  let child: ChildProcess | undefined
  const conf = `
${opts.workers ? `worker_processes ${opts.workers};` : 'master_process off;'}
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/tmp;
  proxy_temp_path ${prefix}/tmp;
  fastcgi_temp_path ${prefix}/tmp;
  uwsgi_temp_path ${prefix}/tmp;
  scgi_temp_path ${prefix}/tmp;
  server {
    listen ${address}:${port} reuseport backlog=4096;
    location / { default_type text/plain; return 200 "${name}\\n"; }
  }
}
`
  const waitPort = async (up: boolean): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((r) => {
        const req = http.get({host: address, port, agent: false, timeout: 500}, (res) => {
          res.resume()
          r(true)
        })
        req.on('error', () => r(false))
        req.on('timeout', () => req.destroy())
      })
      if (ok === up) return
      await sleep(50)
    }
    throw new Error(`nginx ${name} on ${address}:${port} did not ${up ? 'start' : 'stop'}`)
  }
  return {
    name,
    address,
    port,
    async start() {
      rmSync(prefix, {recursive: true, force: true})
      mkdirSync(join(prefix, 'tmp'), {recursive: true})
      writeFileSync(join(prefix, 'nginx.conf'), conf)
      const argv = ['/usr/sbin/nginx', '-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')]
      child = opts.netns ? spawn('ip', ['netns', 'exec', opts.netns, ...argv], {stdio: 'ignore'}) : spawn(argv[0], argv.slice(1), {stdio: 'ignore'})
      if (!opts.netns) await waitPort(true)
      else await sleep(300)
    },
    async kill() {
      const c = child
      child = undefined
      if (!c || c.exitCode !== null) return
      const exited = new Promise((r) => c.once('exit', r))
      c.kill('SIGKILL')
      await exited
    },
    async stop() {
      const c = child
      child = undefined
      if (!c || c.exitCode !== null) return
      const exited = new Promise((r) => c.once('exit', r))
      c.kill('SIGQUIT')
      await Promise.race([exited, sleep(3000)])
      if (c.exitCode === null) c.kill('SIGKILL')
    },
  }
}


export interface IpvsProcess {
  status(): Promise<IpvsStatus>
  table(): Promise<string>
  reload(): void
  stop(): Promise<void>
  /** stderr event lines so far */
  events(): string[]
  /** pid of the node process serving (for signals, CPU and memory figures) */
  readonly pid: number
}

/** Run bench/ipvs-serve.ts (the userspace IPVS engine alone) on a config file. */
export async function startIpvs(configFile: string, statusPort: number, opts: {netns?: string; relay?: 'handles' | 'sockets'} = {}): Promise<IpvsProcess> {
  const cmd = [join(repo, 'node_modules/.bin/tsx'), join(repo, 'bench/ipvs-serve.ts'), '-f', configFile, '--status-port', String(statusPort)]
  if (opts.relay) cmd.push('--relay', opts.relay)
  const argv = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...cmd] : cmd
  const child = spawn(argv[0], argv.slice(1), {cwd: repo, stdio: ['ignore', 'ignore', 'pipe']})
  const lines: string[] = []
  let buf = ''
  /** the node process running the script (tsx runs it in a child of its own) */
  let servePid = child.pid!
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString()
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        lines.push(line)
        if (line.includes('"type":"ready"')) {
          servePid = (JSON.parse(line) as {pid: number}).pid
          resolve()
        }
      }
    })
    child.once('exit', (code) => reject(new Error(`ipvs-serve exited with ${code}: ${lines.join('\n')}`)))
    setTimeout(() => reject(new Error(`ipvs-serve not ready after 20 s: ${lines.join('\n')}`)), 20_000)
  })
  await ready
  const fetchText = (path: string): Promise<string> =>
    opts.netns
      ? Promise.resolve(execFileSync('ip', ['netns', 'exec', opts.netns, 'curl', '-sf', `http://127.0.0.1:${statusPort}${path}`], {encoding: 'utf8'}))
      : new Promise((resolve, reject) => {
      http
        .get({host: '127.0.0.1', port: statusPort, path, agent: false}, (res) => {
          let body = ''
          res.on('data', (c) => (body += c))
          res.on('end', () => resolve(body))
        })
        .on('error', reject)
    })
  return {
    get pid() {
      return servePid
    },
    status: async () => JSON.parse(await fetchText('/')) as IpvsStatus,
    table: () => fetchText('/table'),
    reload: () => process.kill(servePid, 'SIGHUP'),
    events: () => lines,
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(5000)])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** One HTTP/1.0-style request on a new connection; the backend's name or the error code. */
export function request(host: string, port: number, localAddress?: string, timeoutMs = 3000): Promise<{ok: boolean; body: string}> {
  return new Promise((resolve) => {
    const req = http.get({host, port, localAddress, agent: false, headers: {connection: 'close'}, timeout: timeoutMs}, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ok: res.statusCode === 200, body: body.trim()}))
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ok: false, body: e.code ?? e.message}))
    })
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ok: false, body: e.code ?? e.message}))
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), {code: 'ETIMEDOUT'})))
  })
}

/** Poll until pred holds or timeoutMs passes; returns the ms waited, or undefined on timeout. */
export async function waitFor(pred: () => Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<number | undefined> {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    if (await pred()) return Date.now() - t0
    await sleep(stepMs)
  }
  return undefined
}
