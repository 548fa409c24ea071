/**
 * The generated fence and check_web scripts on a real 2-node lab (real
 * keepalived runs them; copy-on-write /usr per host so each host can have its
 * own arping): a real split brain (VRRP dropped on the backup) ends with exactly
 * one VIP holder, a clean stop or a SIGKILL of the master never ends with no
 * holder, and a failing check hands the VIP over by lowering the priority while
 * keepalived keeps running. Both arping flavours are the real Debian packages:
 * iputils-arping from the machine on lb1, Habets' `arping` installed with dpkg
 * in lb2's own package root (the two packages conflict, so never on one host).
 */
import {execa} from 'execa'
import {existsSync, mkdirSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {sshTargetFor} from '../../../src/host/connect.js'
import {gatherFacts} from '../../../src/host/facts.js'
import {settle, startLab, type Lab} from '../deploy/lab-fixture.js'

const PREFIX = 'x14d'
const SUBNET = '10.114.4.0/24'
// scripts/setup.sh keeps them there (fetched here with apt-get when missing)
const DEBS = '/var/cache/halctl-lab/debs'

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms))

/** the .deb files of Habets' arping and its library, fetched with apt-get once */
async function habetsDebs(): Promise<string[]> {
  mkdirSync(DEBS, {recursive: true})
  const have = () => readdirSync(DEBS).filter((f) => /^(arping|libnet1)_.*\.deb$/.test(f))
  if (have().length < 2) {
    const r = await execa('apt-get', ['download', 'arping', 'libnet1'], {cwd: DEBS, reject: false})
    if (have().length < 2) throw new Error(`apt-get download arping libnet1 failed: ${r.stderr}`)
  }
  return have().map((f) => join(DEBS, f))
}

describe.runIf(process.getuid?.() === 0)('fence and check_web scripts on a lab (real keepalived, both arping flavours)', () => {
  let lab: Lab
  let vip: string
  let spec: string

  const running = async (node: string): Promise<boolean> => (await lab.keepalivedPid(node)) !== undefined
  /** wait (bounded) until pred holds */
  const until = async (pred: () => Promise<boolean>, ms: number): Promise<boolean> => {
    const end = Date.now() + ms
    while (Date.now() < end) {
      if (await pred()) return true
      await sleep(250)
    }
    return pred()
  }
  /** drop VRRP coming into a node (it stops hearing the master: split brain); returns the undo */
  const deaf = async (node: string): Promise<() => Promise<void>> => {
    await lab.exec(node, ['nft', 'add table inet x14_split; add chain inet x14_split in { type filter hook input priority -20; }; add rule inet x14_split in ip protocol vrrp drop'])
    return async () => void (await lab.exec(node, ['nft', 'delete', 'table', 'inet', 'x14_split']))
  }
  const redeploy = async (): Promise<void> => {
    const r = await lab.deploy(await lab.load(spec))
    expect(r.ok, JSON.stringify(r.nodes.map((n) => n.error))).toBe(true)
    expect(await settle(lab, vip, 20_000)).toEqual(['lb1'])
  }

  beforeAll(async () => {
    const debs = await habetsDebs()
    lab = await startLab(2, {prefix: PREFIX, subnet: SUBNET, packageRoot: true})
    vip = lab.up.vip.split('/')[0]
    // lb2: Habets' arping in place of iputils', in its own package root only
    await lab.exec('lb2', ['dpkg', '-r', 'iputils-arping'])
    const out = await lab.exec('lb2', ['sh', '-c', 'dpkg -i "$@" >/dev/null 2>&1; echo $?', 'x14', ...debs])
    expect(out.trim()).toBe('0')
    expect(await lab.exec('lb1', ['sh', '-c', 'arping -V 2>&1'])).toMatch(/iputils/)
    expect(await lab.exec('lb2', ['sh', '-c', 'arping --help 2>&1'])).toMatch(/Habets/)
    // the machine keeps its own arping
    expect(existsSync('/usr/bin/arping')).toBe(true)
    // the service behind the VIP on both nodes
    for (const n of ['lb1', 'lb2']) await lab.exec(n, ['sh', '-c', 'cd /tmp && nohup python3 -m http.server 8080 --bind 0.0.0.0 >/dev/null 2>&1 </dev/null &'])
    spec = lab.specVariant('fenced', (d) => {
      Object.assign(d.instances[0], {
        version: 3,
        advertInt: 0.5,
        priorities: {lb1: 150, lb2: 100},
        trackScripts: ['chk_web'],
        notify: {notify: {template: 'fence', params: {settle: 1}}},
      })
      d.scripts = {chk_web: {script: {template: 'check_web', params: {service: 'python3', url: 'http://127.0.0.1:8080/', restart: false}}, interval: 1, timeout: 1, fall: 2, rise: 2, weight: -60}}
    })
    await redeploy()
  }, 240_000)

  afterAll(async () => {
    await lab?.down()
  })

  it('deploy reads which arping each node has, and refuses a node without one', async () => {
    const loaded = await lab.load(spec)
    for (const [node, flavour] of [
      ['lb1', 'iputils'],
      ['lb2', 'habets'],
    ] as const) {
      const n = loaded.cluster.nodes.find((x) => x.name === node)!
      const host = await lab.transport.connect(sshTargetFor(n, {sshConfigFile: loaded.sshConfigFile, knownHostsFile: loaded.knownHostsFile}))
      try {
        expect((await gatherFacts(host, node, [])).arping).toBe(flavour)
      } finally {
        await host.close()
      }
    }
    // lb1 without arping (hidden in its own /usr): deploy refuses before touching anything
    await lab.exec('lb1', ['mv', '/usr/bin/arping', '/usr/bin/arping.x14'])
    try {
      const r = await lab.deploy(await lab.load(spec))
      expect(r.ok).toBe(false)
      expect(JSON.stringify(r)).toMatch(/fence\.sh needs arping on the node; install iputils-arping \(or arping\)/)
      expect(await running('lb1')).toBe(true)
    } finally {
      await lab.exec('lb1', ['mv', '/usr/bin/arping.x14', '/usr/bin/arping'])
    }
    expect(existsSync('/usr/bin/arping')).toBe(true)
  })

  it('a real split brain (VRRP dropped on lb2) ends with lb1 the only holder: lb2 fences itself with Habets\' arping', async () => {
    const undo = await deaf('lb2')
    try {
      // lb2 stops hearing lb1, becomes MASTER too; its fence hears lb1's adverts (before the firewall) and an ARP answer
      expect(await until(async () => !(await running('lb2')), 20_000), 'lb2 stepped down').toBe(true)
      expect(await running('lb1')).toBe(true)
      expect(await settle(lab, vip, 10_000)).toEqual(['lb1'])
    } finally {
      await undo()
    }
    await redeploy()
  })

  it('a clean stop or a SIGKILL of the master never ends with no holder: the fence on the new master leaves it alone', async () => {
    for (const how of ['stop', 'kill'] as const) {
      // stop: SIGTERM to the parent (the oldest keepalived), which resigns with priority 0
      await lab.exec('lb1', how === 'stop' ? ['pkill', '-TERM', '-o', '-x', 'keepalived'] : ['sh', '-c', 'pkill -STOP -x keepalived; pkill -KILL -x keepalived'])
      expect(await until(async () => (await lab.holders(vip)).includes('lb2'), 10_000), `${how}: lb2 took over`).toBe(true)
      // past the fence's settle and listening time: lb2 still runs and still holds the VIP
      await sleep(8000)
      expect(await running('lb2'), `${how}: lb2's fence left it running`).toBe(true)
      expect(await lab.holders(vip), how).toContain('lb2')
      if (how === 'kill') await lab.exec('lb1', ['ip', 'addr', 'del', `${vip}/${lab.up.vip.split('/')[1]}`, 'dev', 'eth0'])
      await redeploy()
    }
  })

  it('lb1 (iputils arping) hands over to lb2 on a failed check and fences nothing; with lb2 as master, a split brain stops lb1 only if it loses', async () => {
    // check_web: the service on lb1 dies; keepalived keeps running and lowers lb1 below lb2
    await lab.exec('lb1', ['pkill', '-f', 'http.server 8080'])
    try {
      expect(await until(async () => (await lab.holders(vip)).join() === 'lb2', 15_000), 'lb2 holds the VIP alone').toBe(true)
      expect(await running('lb1'), 'check_web left keepalived running on lb1').toBe(true)
      // lb2 is master at 100, lb1 backup at 90: drop VRRP on lb1, it becomes master too at 90, hears lb2 (100) and steps down
      const undo = await deaf('lb1')
      try {
        expect(await until(async () => !(await running('lb1')), 20_000), 'lb1 stepped down').toBe(true)
        expect(await running('lb2')).toBe(true)
        expect(await settle(lab, vip, 10_000)).toEqual(['lb2'])
      } finally {
        await undo()
      }
    } finally {
      await lab.exec('lb1', ['sh', '-c', 'cd /tmp && nohup python3 -m http.server 8080 --bind 0.0.0.0 >/dev/null 2>&1 </dev/null &'])
    }
    await sleep(1000)
    await redeploy()
  })
})
