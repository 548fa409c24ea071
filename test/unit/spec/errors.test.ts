import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {HalError} from '../../../src/lib/errors.js'
import {loadSpec, loadSpecText} from '../../../src/spec/index.js'
import {MINIMAL_SPEC} from '../../helpers/specs.js'

const base = MINIMAL_SPEC

function problems(text: string): {where?: string; lines: string[]; error: HalError} {
  try {
    loadSpecText(text, 'spec.yaml')
  } catch (e) {
    expect(e).toBeInstanceOf(HalError)
    const err = e as HalError
    expect(err.exitCode).toBe(2)
    expect(err.message).not.toMatch(/\n\s+at /) // no stack
    return {where: err.where, lines: [`${err.where}: ${err.message.split('\n')[0]}`, ...err.message.split('\n').slice(1)], error: err}
  }
  throw new Error('spec was accepted')
}

describe('bad specs: one message per problem, with file:line:col, exit 2', () => {
  it('out of range: VRID', () => {
    const r = problems(base.replace('    vips:', '    vrid: 300\n    vips:'))
    expect(r.lines).toEqual(['spec.yaml:9:11: instances[0].vrid: must be 1..255 or "auto"'])
  })

  it('out of range: priority, port, advertInt', () => {
    const r = problems(
      base.replace('address: 10.0.0.11', 'address: 10.0.0.11\n    priority: 255\n    ssh: {port: 70000}').replace('    vips:', '    advertInt: 0\n    vips:'),
    )
    expect(r.lines).toEqual([
      'spec.yaml:5:15: nodes[0].priority: must be 1..254',
      'spec.yaml:6:17: nodes[0].ssh.port: must be a port number 1..65535',
      'spec.yaml:11:16: instances[0].advertInt: must be > 0 seconds',
    ])
  })

  it('wrong types', () => {
    const r = problems(base.replace('    vips: [10.0.0.100/24]', '    vips: [10.0.0.100/24, 5]\n    unicast: yes please\n    preempt: 3'))
    expect(r.lines).toEqual([
      'spec.yaml:9:27: instances[0].vips[1]: expected a virtual address: "10.0.0.100/24" or {address, dev, brd, scope, label}; got number 5',
      'spec.yaml:10:14: instances[0].unicast: expected true or false, got the string "yes please"',
      'spec.yaml:11:14: instances[0].preempt: expected true or false, got number 3',
    ])
  })

  it('bad addresses', () => {
    const r = problems(base.replace('10.0.0.12', '10.0.0.300').replace('10.0.0.100/24', '10.0.0.100/33'))
    expect(r.lines).toEqual([
      'spec.yaml:6:14: nodes[1].address: must be an IPv4 or IPv6 address',
      'spec.yaml:9:12: instances[0].vips[0]: must be an address with optional /prefix, e.g. 10.0.0.100/24',
    ])
  })

  it('unknown keys, with did-you-mean, told once (not also as a missing key)', () => {
    const r = problems(base.replace('    address: 10.0.0.11', '    adress: 10.0.0.11').replace('    vips:', '    advert_int: 1\n    vips:'))
    expect(r.lines).toEqual([
      'spec.yaml:4:5: nodes[0].adress: unknown key "adress"; did you mean "address"?',
      'spec.yaml:9:5: instances[0].advert_int: unknown key "advert_int"; did you mean "advertInt"?',
    ])
  })

  it('unknown enum values and checker types', () => {
    const r = problems(`${base}virtualServers:
  - address: 10.0.0.100
    port: 80
    lbAlgo: rrr
    realServers:
      - ip: 10.0.0.21
        check: {type: HTTP_GT, urls: [{path: /}]}
`)
    expect(r.lines).toEqual([
      'spec.yaml:13:13: virtualServers[0].lbAlgo: must be "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "mh", "dh", "sed", "nq", "fo" or "ovf"; got the string "rrr" (did you mean "rr"?)',
      'spec.yaml:16:23: virtualServers[0].realServers[0].check.type: must be one of HTTP_GET, SSL_GET, TCP_CHECK, MISC_CHECK',
    ])
  })

  it('missing required keys', () => {
    const r = problems('cluster: web\nnodes: []\n')
    expect(r.lines).toEqual(['spec.yaml:1:1: instances: is required (a list)', 'spec.yaml:2:8: nodes: needs at least one node'])
  })

  it('YAML syntax errors', () => {
    expect(problems('cluster: web\nnodes:\n  - name: lb1\n   address: 10.0.0.11\n').lines).toEqual([
      'spec.yaml:4:1: YAML syntax: Sequence item without - indicator',
    ])
    expect(problems('cluster: web\ncluster: api\n').lines).toEqual(['spec.yaml:2:1: YAML syntax: Map keys must be unique'])
    expect(problems('').lines).toEqual(['spec.yaml:1:1: the spec must be a YAML mapping with cluster, nodes and instances'])
    expect(problems('- a\n- b\n').error.code).toBe('SPEC_INVALID')
    let bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n'
    for (let i = 0, prev = 'a'; i < 8; prev = `b${i}`, i++) bomb += `b${i}: &b${i} [${Array(10).fill(`*${prev}`).join(', ')}]\n`
    expect(problems(bomb).lines).toEqual(['spec.yaml:1:1: YAML: Excessive alias count indicates a resource exhaustion attack'])
  })

  it('references and cross-field rules', () => {
    const r = problems(
      base
        .replace('name: lb2', 'name: lb1')
        .replace('    vips: [10.0.0.100/24]', '    vips: [10.0.0.100/24]\n    trackScripts: [chk]\n    auth: {type: PASS, pass: toolongpassword}'),
    )
    // the schema (value) error comes first; references are checked once every value is valid
    expect(r.lines).toEqual([
      'spec.yaml:11:30: instances[0].auth.pass: the secret is longer than 8 bytes; keepalived would cut it to its first 8 (peers with another cut would not match); use at most 8',
    ])
    expect(r.error.message).not.toContain('toolongpassword')
    expect(problems(base.replace('name: lb2', 'name: lb1').replace('    vips: [10.0.0.100/24]', '    vips: [10.0.0.100/24]\n    trackScripts: [chk]')).lines).toEqual([
      'spec.yaml:5:11: nodes[1].name: node "lb1" is already defined at nodes[0]',
      'spec.yaml:10:20: instances[0].trackScripts[0]: no script named "chk" under scripts',
    ])
  })

  it('rules keepalived enforces: v3 has no auth, equal priorities, sync-group track weights', () => {
    expect(problems(base.replace('    vips:', '    version: 3\n    auth: {type: PASS, pass: x}\n    vips:')).lines).toEqual([
      'spec.yaml:10:11: instances[0].auth: VRRP version 3 has no authentication; remove auth',
    ])
    expect(problems(base.replace('    vips:', '    priorities: {lb1: 100, lb2: 100}\n    vips:')).lines[0]).toMatch(
      /^spec\.yaml:9:17: instances\[0\]\.priorities: nodes "lb1" and "lb2" have the same priority 100/,
    )
    const grouped = `${base.replace('    vips:', '    trackInterfaces: [{name: eth1, weight: -20}]\n    vips:')}  - {name: VI_2, vips: [10.0.0.101/24]}\nsyncGroups: [{name: SG, instances: [VI_1, VI_2]}]\n`
    expect(problems(grouped).lines[0]).toMatch(/^spec\.yaml:9:44: instances\[0\]\.trackInterfaces\[0\]\.weight: keepalived ignores track weights/)
  })

  it('rules of vrrp_strict and unicast', () => {
    const strict = `${base.replace('    vips:', '    unicast: true\n    preemptDelay: 5\n    vips:')}globalDefs: {vrrpStrict: true}\n`
    expect(problems(strict).lines).toEqual([
      'spec.yaml:9:14: instances[0].unicast: vrrp_strict (globalDefs.vrrpStrict) does not allow unicast',
      'spec.yaml:10:19: instances[0].preemptDelay: vrrp_strict (globalDefs.vrrpStrict) does not allow a preempt delay',
    ])
    expect(problems(`${base.replace('10.0.0.100/24', 'fd00::1/64')}globalDefs: {vrrpStrict: true}\n`).lines).toEqual([
      'spec.yaml:9:12: instances[0].vips[0]: vrrp_strict (globalDefs.vrrpStrict) needs a link-local (fe80::/10) first IPv6 VIP, as RFC 5798 asks',
    ])
    expect(problems(base.replace('    vips: [10.0.0.100/24]', '    unicast: true\n    vips: ["fd00::1/64"]')).lines).toEqual([
      'spec.yaml:9:14: instances[0].unicast: unicast needs IPv6 node addresses, the family of the first VIP; use multicast for this instance',
    ])
  })

  it('combinations keepalived ignores: unicast without peers, preempt delay with nopreempt, weighted scripts in a sync group', () => {
    expect(problems(base.replace('    vips:', '    nodes: [lb1]\n    unicast: true\n    vips:')).lines).toEqual([
      'spec.yaml:10:14: instances[0].unicast: unicast needs at least two nodes in the instance, or externalPeers (there is no peer to send to)',
    ])
    expect(problems(base.replace('    vips:', '    preempt: false\n    preemptDelay: 10\n    vips:')).lines).toEqual([
      'spec.yaml:10:19: instances[0].preemptDelay: a preempt delay needs preempt: true (keepalived ignores it with nopreempt)',
    ])
    const grouped = `${base.replace('    vips:', '    trackScripts: [chk]\n    vips:')}  - {name: VI_2, vips: [10.0.0.101/24]}\nscripts: {chk: {script: /bin/true, weight: -20}}\nsyncGroups: [{name: SG, instances: [VI_1, VI_2]}]\n`
    expect(problems(grouped).lines).toEqual([
      'spec.yaml:9:20: instances[0].trackScripts[0]: keepalived ignores track weights of instances in a sync group; drop the weight here and in the script (a failure then faults the whole group)',
    ])
  })

  it('virtual servers: quorum within the real servers weight, hysteresis below quorum', () => {
    const vs = (extra: string) => `${base}virtualServers:\n  - address: 10.0.0.100\n    port: 80\n${extra}    realServers: [{ip: 10.0.0.21, port: 80, weight: 0}]\n`
    expect(problems(vs('')).lines).toEqual([
      "spec.yaml:13:18: virtualServers[0].realServers: the real servers' total weight 0 is below the quorum 1; keepalived would lower the quorum to 0",
    ])
    expect(problems(vs('    quorum: 3\n    hysteresis: 0\n').replace('weight: 0', 'weight: 4').replace('quorum: 3\n    hysteresis: 0', 'quorum: 3\n    hysteresis: 3')).lines).toEqual([
      'spec.yaml:14:17: virtualServers[0].hysteresis: hysteresis 3 must be below the quorum 3',
    ])
  })

  it('an HTTP check path with a space (keepalived would read it up to the space)', () => {
    const text = `${base}virtualServers:\n  - address: 10.0.0.100\n    port: 80\n    realServers:\n      - {ip: 10.0.0.21, port: 80, check: {type: HTTP_GET, urls: [{path: /a b}]}}\n`
    expect(problems(text).lines).toEqual([expect.stringMatching(/^spec\.yaml:\d+:\d+: virtualServers\[0\]\.realServers\[0\]\.check\.urls\[0\]\.path: keepalived reads the path up to the first space/)])
  })

  it('sync groups: two or more instances, on the same nodes', () => {
    expect(problems(`${base}syncGroups: [{name: SG, instances: [VI_1]}]\n`).lines).toEqual([
      'spec.yaml:10:36: syncGroups[0].instances: a sync group needs at least two instances',
    ])
    const two = `${base}  - {name: VI_2, nodes: [lb2], vips: [10.0.0.101/24]}\nsyncGroups: [{name: SG, instances: [VI_1, VI_2]}]\n`
    expect(problems(two).lines).toEqual(['spec.yaml:11:36: syncGroups[0].instances: the instances of a sync group must run on the same nodes'])
  })

  it('loadSpec reports an unreadable file with exit 2', async () => {
    await expect(loadSpec('/nonexistent/spec.yaml')).rejects.toMatchObject({code: 'SPEC_UNREADABLE', exitCode: 2})
  })

  it('loadSpec names the file it read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halctl-spec-'))
    const f = join(dir, 'bad.yaml')
    writeFileSync(f, base.replace('VI_1', 'VI 1'))
    await expect(loadSpec(f)).rejects.toMatchObject({where: `${f}:8:11`})
  })
})
