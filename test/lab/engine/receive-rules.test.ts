/**
 * Which adverts a multicast instance takes, checked on the same packets against
 * a real keepalived and against `halctl run`: an advert with a higher priority
 * sent to the master's own unicast address is ignored by keepalived (it expects
 * multicast), and must be ignored by the engine too; the same advert sent to
 * 224.0.0.18 makes both give up MASTER (the packet is otherwise valid).
 * The truth is the VIP in `ip addr` on the master.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {execInHost} from '../../../src/lab/netns.js'
import {halctlRunNodeArgs} from '../../helpers/halctl-entry.js'
import {startLab, type Lab} from '../deploy/lab-fixture.js'

const PREFIX = 'x14e'
const SUBNET = '10.114.5.0/24'
const root = join(import.meta.dirname, '..', '..', '..')
const sender = join(import.meta.dirname, 'advert-sender.ts')
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms))

describe.runIf(process.getuid?.() === 0)('receive rules: keepalived and halctl run on the same adverts', () => {
  let lab: Lab
  let vip: string
  let vrid: number
  let lb1Mac: string

  const holds = async (): Promise<boolean> => (await lab.holders(vip)).includes('lb1')
  /** adverts from lb2 (priority 254, same VRID and VIP) to a destination */
  const send = async (dst: string, dstMac?: string): Promise<void> => {
    const args = {src: lab.up.hosts[1].address, dst, dstMac, vrid, priority: 254, vips: [vip], count: 4, intervalMs: 500}
    const r = await execInHost(lab.hosts.get('lb2')!, ['sh', '-c', 'cd "$1" && shift && exec env -u VITEST "$@"', 'x14', root, process.execPath, '--import', 'tsx', sender, JSON.stringify(args)], {reject: false})
    expect(r.stdout, r.stderr).toContain('"sent":4')
  }
  /** whether lb1 let go of the VIP at any moment while the adverts are sent and 2 s after (the sender's start-up is not counted) */
  const letGoDuring = async (sending: Promise<void>): Promise<boolean> => {
    let done = false
    let gone = false
    const finished = sending.then(() => void (done = true))
    while (!done) {
      if (!(await holds())) gone = true
      await sleep(100)
    }
    await finished
    const end = Date.now() + 2000
    while (Date.now() < end && !gone) {
      if (!(await holds())) gone = true
      await sleep(100)
    }
    return gone
  }
  const judge = async (what: string): Promise<void> => {
    expect(await holds(), `${what} holds the VIP`).toBe(true)
    // to lb1's own address: ignored
    expect(await letGoDuring(send(lab.up.hosts[0].address, lb1Mac)), `${what}: an advert to its own unicast address took the VIP away`).toBe(false)
    // the same advert to the multicast group: lb1 steps down (and takes over again once the adverts stop)
    expect(await letGoDuring(send('224.0.0.18')), `${what}: the multicast advert did not make it give up MASTER`).toBe(true)
    for (let i = 0; i < 40 && !(await holds()); i++) await sleep(250)
  }

  beforeAll(async () => {
    lab = await startLab(2, {prefix: PREFIX, subnet: SUBNET})
    vip = lab.up.vip.split('/')[0]
    const spec = lab.specVariant('rx', (d) => void (d.instances[0].priorities = {lb1: 150, lb2: 100}))
    const r = await lab.deploy(await lab.load(spec))
    expect(r.ok, JSON.stringify(r.nodes.map((n) => n.error))).toBe(true)
    // lb2 only sends the test adverts
    await lab.exec('lb2', ['pkill', '-TERM', '-o', '-x', 'keepalived'])
    vrid = Number(/virtual_router_id (\d+)/.exec(lab.conf('lb1')!)![1])
    lb1Mac = (JSON.parse(await lab.exec('lb1', ['ip', '-j', 'link', 'show', 'eth0'])) as Array<{address: string}>)[0].address
    for (let i = 0; i < 40 && !(await holds()); i++) await sleep(250)
  }, 180_000)

  afterAll(async () => {
    await lab?.down()
  })

  it('keepalived: ignores the advert to its own address, yields to the multicast one', async () => {
    await judge('keepalived')
  })

  it('halctl run: the same', async () => {
    await lab.exec('lb1', ['pkill', '-TERM', '-o', '-x', 'keepalived'])
    for (let i = 0; i < 40 && (await lab.keepalivedPid('lb1')) !== undefined; i++) await sleep(250)
    const log = join(lab.dir, 'engine.log')
    const launcher = halctlRunNodeArgs().map((a) => `'${a}'`).join(' ')
    await lab.exec('lb1', ['sh', '-c', `cd '${root}' && env -u VITEST -u VITEST_WORKER_ID -u VITEST_POOL_ID nohup '${process.execPath}' ${launcher} -f /etc/keepalived/keepalived.conf >'${log}' 2>&1 </dev/null &`])
    for (let i = 0; i < 80 && !(await holds()); i++) await sleep(250)
    expect(await holds(), readFileSync(log, 'utf8')).toBe(true)
    await judge('halctl run')
    await lab.exec('lb1', ['sh', '-c', 'pkill -TERM -f "keepalived/keepalived.conf" || true'])
  })
})
