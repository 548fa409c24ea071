/**
 * `halctl run` with vrrp_instance + virtual_server: the userspace IPVS listens
 * on the VIP while the engine is MASTER, and stops when it is not.
 */
import {spawn} from 'node:child_process'
import {execa} from 'execa'
import {expect, it} from 'vitest'
import {EngineLab, sleep, vrrpConf, useEngineLab} from './lab.js'

const VIP = '10.203.0.100'
let lab: EngineLab

useEngineLab(['e', 'r', 'c'], (l) => (lab = l))

async function fetchFromClient(): Promise<string> {
  const js = `require('http').get({host:'${VIP}',port:8080,path:'/',timeout:2000},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>{console.log(b);process.exit(0)})}).on('error',e=>{console.log('ERR '+e.code);process.exit(0)}).on('timeout',()=>{console.log('ERR timeout');process.exit(0)})`
  const r = await execa('ip', ['netns', 'exec', lab.host('c').netns, process.execPath, '-e', js], {reject: false, timeout: 10_000})
  return r.stdout.trim()
}

it('virtual_server on the VIP is served while MASTER and released on stop', async () => {
  const rip = lab.host('r').ipv4
  const server = spawn('ip', ['netns', 'exec', lab.host('r').netns, process.execPath, '-e', `require('http').createServer((q,s)=>s.end('hello from real server')).listen(8080,'${rip}')`], {stdio: 'ignore'})
  try {
    const conf =
      vrrpConf({priority: 150}) +
      [
        `virtual_server ${VIP} 8080 {`,
        '  delay_loop 1',
        '  lb_algo rr',
        '  lb_kind NAT',
        '  protocol TCP',
        `  real_server ${rip} 8080 {`,
        '    weight 1',
        '    TCP_CHECK {',
        '      connect_timeout 1',
        '    }',
        '  }',
        '}',
      ].join('\n') +
      '\n'
    const e = await lab.startEngine('e', conf)
    expect(await lab.waitHolder(VIP, 'e', 8000)).toBeGreaterThan(0)
    await sleep(1500)
    expect(await fetchFromClient()).toBe('hello from real server')
    const st = (await lab.status(e)) as unknown as {ipvs?: unknown}
    expect(st.ipvs).toBeDefined()
    expect(await lab.stop(e)).toBe(0)
    expect(await fetchFromClient()).toMatch(/^ERR/)
  } finally {
    server.kill('SIGKILL')
  }
})
