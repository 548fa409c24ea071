import {stringify} from 'yaml'
import type {KeepalivedConfig} from '../../../src/keepalived/model.js'
import {HalError} from '../../../src/lib/errors.js'
import {rng} from '../render/random-specs.js'
import {loadSpecText, renderCluster, type RenderedCluster} from '../../../src/spec/index.js'

/**
 * Hostile values for every spec string that reaches a rendered file, and where
 * each lands in the keepalived.conf model. Shared by the unit property test
 * (halctl's parser as oracle) and the lab test (the real keepalived).
 */

export type Rng = () => number
export {rng}

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]

export const HOSTILE_PIECES = [
  '\n', '\r\n', '\r', '{', '}', '"', "'", '#', '!', '\\', '\\\n', '$', '${_PWD}', '$_HASH', '$(id)', '`id`', ';', '|', '&', '>', '<',
  ' ', '\t', '  ', '*', '?', '~', '@', '%', '=', ',', ':', '/', '..', '-', '^', '+', '[', ']', '(', ')',
  'é', '😀', 'ß', '\u2028', '\u0085', '\u00a0', '\u200b', '\x01', '\x1b', '\x7f', '\0', '\f', '\v',
  '}\nnotify_master "/bin/touch /tmp/x13-pwned"\n{', '\nnotify_master /bin/sh\n', ' } vrrp_instance X { ', 'include /etc/passwd', '@lb1 ', '~SEQ(a,1,1,2)',
]
const SAFE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-'
const safeWord = (r: Rng, min = 1, max = 12): string => {
  const n = min + Math.floor(r() * (max - min + 1))
  let s = ''
  for (let i = 0; i < n; i++) s += SAFE[Math.floor(r() * SAFE.length)]
  return s
}

/** One value: mostly hostile, sometimes plain, sometimes very long, sometimes a field-shaped value with a twist. */
export function hostileValue(r: Rng, valid?: (r: Rng) => string): string {
  const k = r()
  if (valid && k < 0.3) {
    const v = valid(r)
    if (r() < 0.5) return v
    const at = Math.floor(r() * (v.length + 1))
    return v.slice(0, at) + pick(r, HOSTILE_PIECES) + v.slice(at)
  }
  if (k < 0.45) return safeWord(r)
  if (k < 0.5) return ''
  if (k < 0.57) {
    const n = 200 + Math.floor(r() * 3000)
    return r() < 0.5 ? 'a'.repeat(n) : Array.from({length: Math.ceil(n / 8)}, () => pick(r, HOSTILE_PIECES) + safeWord(r, 1, 4)).join('')
  }
  if (k < 0.62) return Array.from({length: 1 + Math.floor(r() * 5)}, () => pick(r, ['é', '😀', 'ß', '中文', '\u2028', '\u00a0', 'Ω'])).join('')
  const parts = 1 + Math.floor(r() * 6)
  let s = ''
  for (let i = 0; i < parts; i++) s += r() < 0.5 ? pick(r, HOSTILE_PIECES) : safeWord(r, 1, 6)
  return s
}

/** A spec as plain data (before YAML), with the fields below at known places. */
export type SpecData = Record<string, unknown> & {
  nodes: Record<string, unknown>[]
  instances: (Record<string, unknown> & {vips: Record<string, unknown>[]; notify: Record<string, unknown>})[]
  globalDefs: Record<string, unknown>
  scripts: Record<string, Record<string, unknown>>
  virtualServers: (Record<string, unknown> & {realServers: Record<string, unknown>[]})[]
}

export function baseSpec(iface = 'x13d0'): SpecData {
  return {
    cluster: 'hv',
    defaults: {interface: iface},
    nodes: [
      {name: 'lb1', address: '10.113.1.11'},
      {name: 'lb2', address: '10.113.1.12'},
    ],
    instances: [
      {
        name: 'VI_1',
        vrid: 51,
        vips: [{address: '10.113.1.100/24'}],
        auth: {type: 'PASS', pass: 'pw1'},
        notify: {backup: '/usr/bin/true'},
      },
    ],
    scripts: {chk: {script: '/usr/bin/true', interval: 2}},
    globalDefs: {},
    virtualServers: [{address: '10.113.1.100', port: 80, realServers: [{ip: '10.113.1.21', port: 80}]}],
  }
}

export interface Field {
  /** the spec path an error must name */
  path: string
  set: (s: SpecData, v: string) => void
  /** the value keepalived should read back, from node lb1's model */
  get: (c: KeepalivedConfig) => unknown
  /** what the value becomes in the model (default: itself) */
  expect?: (v: string) => unknown
  valid?: (r: Rng) => string
  /** an env: secret: refused at render time, never shown */
  secret?: boolean
  /** a raw statement: the keyword the spec itself asked for (halctl's parser does not know it) */
  rawKeyword?: (v: string) => string
}

const ip4 = (r: Rng) => `10.113.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`
const cmd = (r: Rng) => `/usr/bin/${pick(r, ['true', 'logger', 'echo'])}${r() < 0.7 ? ` ${safeWord(r)}` : ''}${r() < 0.4 ? ` ${safeWord(r)}:${safeWord(r)}` : ''}`
const user = (r: Rng) => pick(r, ['root', 'nobody', 'daemon', 'root root', 'nobody nogroup', 'keepalived_script'])
const host = (r: Rng) => pick(r, [ip4(r), `${safeWord(r, 1, 8).replace(/^[-.]+/, 'h')}.example.net`, 'localhost'])
const inst = (c: KeepalivedConfig) => c.instances[0]

export const FIELDS: Field[] = [
  {path: 'instances[0].vips[0].dev', set: (s, v) => (s.instances[0].vips[0].dev = v), get: (c) => inst(c).virtualIpaddress[0].dev, valid: (r) => pick(r, ['x13d0', 'eth0', 'bond0.12', 'ens3'])},
  {path: 'instances[0].vips[0].label', set: (s, v) => (s.instances[0].vips[0].label = v), get: (c) => inst(c).virtualIpaddress[0].label, valid: (r) => `x13d0:${safeWord(r, 1, 4)}`},
  {path: 'instances[0].vips[0].scope', set: (s, v) => (s.instances[0].vips[0].scope = v), get: (c) => inst(c).virtualIpaddress[0].scope, valid: (r) => pick(r, ['global', 'link', 'host', 'site'])},
  {path: 'instances[0].vips[0].brd', set: (s, v) => (s.instances[0].vips[0].brd = v), get: (c) => inst(c).virtualIpaddress[0].brd, valid: ip4},
  {path: 'instances[0].interface', set: (s, v) => (s.instances[0].interface = v), get: (c) => inst(c).interface, valid: (r) => pick(r, ['x13d0', 'eth1', 'veth-a.1'])},
  {path: 'defaults.interface', set: (s, v) => ((s.defaults as Record<string, unknown>).interface = v), get: (c) => inst(c).interface, valid: (r) => pick(r, ['x13d0', 'eth1'])},
  {path: 'nodes[0].routerId', set: (s, v) => (s.nodes[0].routerId = v), get: (c) => c.globalDefs?.routerId, valid: (r) => safeWord(r)},
  {path: 'nodes[0].name', set: (s, v) => (s.nodes[0].name = v), get: (c) => c.globalDefs?.routerId, expect: (v) => `hv_${v}`, valid: (r) => safeWord(r)},
  {path: 'cluster', set: (s, v) => (s.cluster = v), get: (c) => c.globalDefs?.routerId, expect: (v) => `${v}_lb1`, valid: (r) => safeWord(r)},
  {path: 'instances[0].name', set: (s, v) => (s.instances[0].name = v), get: (c) => inst(c).name, valid: (r) => safeWord(r)},
  {path: 'globalDefs.smtpServer', set: (s, v) => (s.globalDefs.smtpServer = v), get: (c) => c.globalDefs?.smtpServer, valid: host},
  {path: 'globalDefs.notificationEmail[0]', set: (s, v) => (s.globalDefs.notificationEmail = [v]), get: (c) => c.globalDefs?.notificationEmail?.[0], valid: (r) => `${safeWord(r)}@example.org`},
  {path: 'globalDefs.notificationEmailFrom', set: (s, v) => (s.globalDefs.notificationEmailFrom = v), get: (c) => c.globalDefs?.notificationEmailFrom, valid: (r) => `${safeWord(r)}@example.org`},
  {
    path: 'globalDefs.scriptUser',
    set: (s, v) => (s.globalDefs.scriptUser = v),
    get: (c) => (c.globalDefs?.scriptUser ? [c.globalDefs.scriptUser.user, c.globalDefs.scriptUser.group].filter(Boolean).join(' ') : undefined),
    valid: user,
  },
  {path: 'instances[0].useVmac', set: (s, v) => (s.instances[0].useVmac = v), get: (c) => inst(c).useVmac, valid: (r) => `vrrp.${1 + Math.floor(r() * 255)}`},
  {path: 'instances[0].notify.master', set: (s, v) => (s.instances[0].notify.master = v), get: (c) => inst(c).notifyMaster, valid: cmd},
  {path: 'scripts.chk.script', set: (s, v) => (s.scripts.chk.script = v), get: (c) => c.scripts[0].script, valid: cmd},
  {
    path: 'scripts.chk.user',
    set: (s, v) => (s.scripts.chk.user = v),
    get: (c) => (c.scripts[0].user ? [c.scripts[0].user.user, c.scripts[0].user.group].filter(Boolean).join(' ') : undefined),
    valid: user,
  },
  {
    path: 'instances[0].auth.pass',
    set: (s, v) => ((s.instances[0].auth as Record<string, unknown>).pass = v),
    get: (c) => inst(c).authentication?.pass,
    valid: (r) => pick(r, ['s3cr#t', 'a b', "it's", 'x', 'ab', '!x!', '{}', 'pw']),
  },
  {
    path: 'instances[0].auth.pass',
    secret: true,
    set: (s) => ((s.instances[0].auth as Record<string, unknown>).pass = 'env:HAL_X13_SECRET'),
    get: (c) => inst(c).authentication?.pass,
    valid: (r) => pick(r, ['s3cr#t', 'a b', "it's", 'x', 'ab', '!x!']),
  },
  {path: 'virtualServers[0].virtualhost', set: (s, v) => (s.virtualServers[0].virtualhost = v), get: (c) => c.virtualServers[0].virtualhost, valid: host},
  {path: 'virtualServers[0].quorumUp', set: (s, v) => (s.virtualServers[0].quorumUp = v), get: (c) => c.virtualServers[0].quorumUp, valid: cmd},
  {path: 'virtualServers[0].realServers[0].notifyDown', set: (s, v) => (s.virtualServers[0].realServers[0].notifyDown = v), get: (c) => c.virtualServers[0].realServers[0].notifyDown, valid: cmd},
  {
    path: 'virtualServers[0].realServers[0].check.path',
    set: (s, v) => (s.virtualServers[0].realServers[0].check = {type: 'MISC_CHECK', path: v}),
    get: (c) => {
      const ch = c.virtualServers[0].realServers[0].checkers[0]
      return ch?.type === 'MISC_CHECK' ? ch.miscPath : undefined
    },
    valid: cmd,
  },
  {
    path: 'virtualServers[0].realServers[0].check.urls[0].path',
    set: (s, v) => (s.virtualServers[0].realServers[0].check = {type: 'HTTP_GET', urls: [{path: v}]}),
    get: (c) => {
      const ch = c.virtualServers[0].realServers[0].checkers[0]
      return ch?.type === 'HTTP_GET' ? ch.urls[0].path : undefined
    },
    valid: (r) => `/${safeWord(r)}${r() < 0.5 ? `?a=${safeWord(r)}` : ''}`,
  },
  {
    path: 'instances[0].raw[0]',
    rawKeyword: (v) => v.split(' ')[0],
    set: (s, v) => (s.instances[0].raw = [v]),
    get: (c) => {
      const x = inst(c).extra?.[0]
      return x ? [x.keyword, ...x.args].join(' ') : undefined
    },
    valid: (r) => `${pick(r, ['vrrp_x13', 'x13_opt', 'x13_extra'])}${r() < 0.6 ? ` ${safeWord(r)}` : ''}`,
  },
  {
    path: 'instances[0].raw[0].args[0]',
    rawKeyword: () => 'x13_opt',
    set: (s, v) => (s.instances[0].raw = [{keyword: 'x13_opt', args: [v]}]),
    get: (c) => inst(c).extra?.[0]?.args[0],
    valid: (r) => safeWord(r),
  },
  {path: 'instances[0].raw[0].keyword', rawKeyword: (v) => v, set: (s, v) => (s.instances[0].raw = [{keyword: v}]), get: (c) => inst(c).extra?.[0]?.keyword, valid: (r) => `x13_${safeWord(r)}`},
  {path: 'instances[0].trackInterfaces[0]', set: (s, v) => (s.instances[0].trackInterfaces = [v]), get: (c) => inst(c).trackInterface?.[0]?.name, valid: (r) => pick(r, ['eth1', 'x13d1'])},
  {
    path: 'instances[0].notify.notify.args[0]',
    set: (s, v) => (s.instances[0].notify.notify = {template: 'notify', args: [v]}),
    get: (c) => inst(c).notify,
    expect: (v) => `/etc/keepalived/scripts/notify.sh ${v}`,
    valid: (r) => safeWord(r),
  },
  {
    path: 'scriptsDir',
    set: (s, v) => {
      s.scriptsDir = v
      s.scripts.chk.script = {template: 'check_web'}
    },
    get: (c) => c.scripts[0].script, expect: (v) => `${v.replace(/\/+$/, '')}/check_web.sh`, valid: (r) => `/etc/${safeWord(r)}`},
]

export type Outcome = {kind: 'error'; message: string} | {kind: 'ok'; rendered: RenderedCluster}

/** The spec with the value in the field, through YAML, validated and rendered; or the error it gave. */
export function tryValue(f: Field, v: string): Outcome {
  const spec = baseSpec()
  f.set(spec, v)
  if (f.secret) process.env.HAL_X13_SECRET = v
  try {
    return {kind: 'ok', rendered: renderCluster(loadSpecText(stringify(spec), 'spec.yaml'))}
  } catch (e) {
    if (!(e instanceof HalError)) throw e
    return {kind: 'error', message: [e.where, e.message, e.hint].filter(Boolean).join(': ')}
  } finally {
    delete process.env.HAL_X13_SECRET
  }
}

