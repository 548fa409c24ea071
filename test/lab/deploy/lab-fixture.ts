/**
 * A real lab for deploy/status tests: `halctl lab up` hosts (netns + sshd)
 * under the prefix "hdp" on 10.205.0.0/24, the real ssh2 transport, real
 * keepalived and nftables inside each host. Helpers read the truth from the
 * hosts themselves (ip addr, nft list ruleset, files), never from halctl.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'vitest'
import {parse, stringify} from 'yaml'
import Deploy, {type DeployCommandResult} from '../../../src/commands/deploy.js'
import {deployCluster, type DeployOptions, type DeployResult} from '../../../src/deploy/deploy.js'
import type {DesiredCluster} from '../../../src/host/desired.js'
import {loadCluster, type LoadedCluster} from '../../../src/deploy/from-spec.js'
import {getTransport} from '../../../src/deploy/transport.js'
import {labDown, labUp, type LabUpOptions, type LabUpResult} from '../../../src/lab/lab.js'
import {execInHost, findHost, type LabHost} from '../../../src/lab/netns.js'
import type {Transport} from '../../../src/remote/types.js'
import {runCommand} from '../../helpers/run-command.js'

export const PREFIX = 'hdp'
export const SUBNET = '10.205.0.0/24'

export interface Lab {
  up: LabUpResult
  dir: string
  hosts: Map<string, LabHost>
  transport: Transport
  /** write a spec derived from the lab's, edited as YAML data; returns its path */
  specVariant(name: string, edit: (doc: Record<string, any>) => void): string
  load(spec?: string): Promise<LoadedCluster>
  deploy(cluster: DesiredCluster | LoadedCluster, opts?: DeployOptions, transport?: Transport): Promise<DeployResult>
  exec(node: string, argv: string[]): Promise<string>
  /** keepalived.conf as the node has it (its /etc overlay) */
  conf(node: string): string | undefined
  /** nodes holding the address, read with `ip -j addr` inside each host */
  holders(vip: string): Promise<string[]>
  keepalivedPid(node: string): Promise<number | undefined>
  down(): Promise<void>
}

/**
 * A lab of n hosts; other test files pass their own prefix and subnet so labs never collide.
 * users: login users besides root (the spec logs in as the first); packageRoot: copy-on-write /usr, /var, /etc per host.
 */
export async function startLab(n: number, opts: {prefix?: string; subnet?: string} & Pick<LabUpOptions, 'users' | 'packageRoot' | 'init'> = {}): Promise<Lab> {
  const prefix = opts.prefix ?? PREFIX
  await labDown({name: prefix}).catch(() => undefined)
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-lab-`))
  const up = await labUp({name: prefix, hosts: n, subnet: opts.subnet ?? SUBNET, engine: 'keepalived', stateDir: join(dir, 'lab'), users: opts.users, packageRoot: opts.packageRoot, init: opts.init})
  const hosts = new Map<string, LabHost>()
  for (const h of up.hosts) hosts.set(h.name, (await findHost(prefix, h.name)) as LabHost)
  const transport = getTransport()
  const host = (node: string): LabHost => {
    const h = hosts.get(node)
    if (!h) throw new Error(`no lab host ${node}`)
    return h
  }
  const lab: Lab = {
    up,
    dir,
    hosts,
    transport,
    specVariant(name, edit) {
      const doc = parse(readFileSync(up.spec, 'utf8')) as Record<string, any>
      edit(doc)
      const p = join(dir, `${name}.yaml`)
      writeFileSync(p, stringify(doc))
      return p
    },
    load: (spec = up.spec) => loadCluster(spec),
    async deploy(c, opts = {}, t = transport) {
      const loaded: LoadedCluster = typeof c.cluster === 'object' ? (c as LoadedCluster) : {cluster: c as DesiredCluster, sshConfigFile: up.sshConfig, knownHostsFile: up.knownHosts}
      return deployCluster(loaded.cluster, t, {sshConfigFile: loaded.sshConfigFile ?? up.sshConfig, knownHostsFile: loaded.knownHostsFile ?? up.knownHosts, convergeTimeoutMs: 20_000, connectTimeoutMs: 4000, ...opts})
    },
    async exec(node, argv) {
      return (await execInHost(host(node), argv, {reject: false})).stdout
    },
    conf(node) {
      try {
        return readFileSync(`/etc/netns/${prefix}-${node}/keepalived/keepalived.conf`, 'utf8')
      } catch {
        return undefined
      }
    },
    async holders(vip) {
      const out: string[] = []
      for (const name of hosts.keys()) {
        const j = JSON.parse((await lab.exec(name, ['ip', '-j', 'addr', 'show', 'dev', 'eth0'])) || '[]') as Array<{addr_info?: Array<{local: string}>}>
        if (j.some((l) => (l.addr_info ?? []).some((a) => a.local === vip.split('/')[0]))) out.push(name)
      }
      return out
    },
    async keepalivedPid(node) {
      const pid = Number((await lab.exec(node, ['pidof', '-s', 'keepalived'])).trim())
      return pid > 0 ? pid : undefined
    },
    async down() {
      await (transport as {closeAll?: () => Promise<void>}).closeAll?.()
      await labDown({name: prefix, stateDir: join(dir, 'lab')}).catch(() => undefined)
      rmSync(dir, {recursive: true, force: true})
    },
  }
  return lab
}

/** `halctl deploy -s <lab spec> ARGS --json` through the CLI: must exit 0; its JSON result. */
export async function deployCli(lab: Lab, args: string[] = []): Promise<DeployCommandResult> {
  const r = await runCommand<DeployCommandResult>(Deploy, ['-s', lab.up.spec, ...args, '--json'])
  expect(r.exitCode, r.stdout + r.stderr).toBe(0)
  return JSON.parse(r.stdout) as DeployCommandResult
}

/** Wait (bounded) until exactly one node holds the VIP; returns the holders seen last. */
export async function settle(lab: Lab, vip: string, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  let h = await lab.holders(vip)
  while (h.length !== 1 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250))
    h = await lab.holders(vip)
  }
  return h
}

/** A fresh ed25519 public key line body, to fake a changed host key. */
export function otherHostKey(dir: string): string {
  const key = join(dir, `other-${Date.now()}`)
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])
  const [type, body] = readFileSync(`${key}.pub`, 'utf8').trim().split(/\s+/)
  return `${type} ${body}`
}
