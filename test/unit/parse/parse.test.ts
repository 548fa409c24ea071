import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {stripLocations, type KeepalivedConfig} from '../../../src/keepalived/model.js'
import {parseKeepalivedConfig, parseKeepalivedFile, tokenize} from '../../../src/keepalived/parse/index.js'
import {CORPUS_CONFIGS} from '../../helpers/corpus.js'

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'configs')
const CORPUS = process.env.HALCTL_CORPUS ?? CORPUS_CONFIGS

const parse = (text: string, opts: {configId?: string; files?: Record<string, string>} = {}) =>
  parseKeepalivedConfig(text, {file: '/etc/keepalived/keepalived.conf', configId: opts.configId ?? 'lb1', readFile: (p) => opts.files?.[p]})
const rules = (r: {diagnostics: {rule: string; line?: number}[]}) => r.diagnostics.map((d) => `${d.line}:${d.rule}`)

describe('tokenizer', () => {
  it('splits on whitespace, keeps quoted words together and makes braces tokens anywhere', () => {
    expect(tokenize('virtual_server 10.0.0.1 80{').map((t) => t.text)).toEqual(['virtual_server', '10.0.0.1', '80', '{'])
    expect(tokenize(`script "/bin/check -x 'a b'"`).map((t) => t.text)).toEqual(['script', "/bin/check -x 'a b'"])
    expect(tokenize("script 'killall -0 haproxy'").map((t) => t.text)).toEqual(['script', 'killall -0 haproxy'])
    expect(tokenize('a "{" }').map((t) => [t.text, t.quoted])).toEqual([['a', false], ['{', true], ['}', false]])
  })
})

describe('parseKeepalivedConfig', () => {
  it('lowers a full instance into exactly the model fields', () => {
    const r = parse(`
global_defs {
  router_id lb1
  vrrp_strict
  vrrp_garp_interval 0.001
  enable_script_security
  script_user keepalived_script users
}
vrrp_script chk_nginx {
  script "/usr/bin/pgrep nginx"
  interval 2
  weight -60
  fall 2
  rise 2
}
vrrp_instance VI_web {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  nopreempt
  preempt_delay 5
  authentication {
    auth_type PASS
    auth_pass s3cret
  }
  unicast_src_ip 10.0.0.11
  unicast_peer {
    10.0.0.12
  }
  track_script {
    chk_nginx weight -70
  }
  virtual_ipaddress {
    10.0.0.100/24 dev eth0 label eth0:1
    fd00::100/64
  }
  notify_master "/etc/keepalived/notify.sh master"
  use_vmac
  vmac_xmit_base
}`)
    const expected: KeepalivedConfig = {
      globalDefs: {routerId: 'lb1', vrrpStrict: true, vrrpGarpInterval: 0.001, enableScriptSecurity: true, scriptUser: {user: 'keepalived_script', group: 'users'}},
      scripts: [{name: 'chk_nginx', script: '/usr/bin/pgrep nginx', interval: 2, weight: -60, fall: 2, rise: 2}],
      syncGroups: [],
      instances: [
        {
          name: 'VI_web',
          state: 'MASTER',
          interface: 'eth0',
          virtualRouterId: 51,
          priority: 150,
          advertInt: 1,
          nopreempt: true,
          preemptDelay: 5,
          authentication: {type: 'PASS', pass: 's3cret'},
          unicastSrcIp: '10.0.0.11',
          unicastPeer: ['10.0.0.12'],
          trackScript: [{name: 'chk_nginx', weight: -70}],
          virtualIpaddress: [{address: '10.0.0.100/24', dev: 'eth0', label: 'eth0:1'}, {address: 'fd00::100/64'}],
          notifyMaster: '/etc/keepalived/notify.sh master',
          useVmac: true,
          vmacXmitBase: true,
        },
      ],
      virtualServers: [],
    }
    expect(stripLocations(r.config)).toEqual(expected)
    expect(r.diagnostics).toEqual([])
    const vi = r.config.instances[0]
    expect(vi.loc).toEqual({file: '/etc/keepalived/keepalived.conf', line: 16})
    expect(vi.keyLocs?.priority?.line).toBe(20)
    expect(vi.keyLocs?.auth_pass?.line).toBe(26)
    expect(vi.keyLocs?.['}']?.line).toBe(42)
    expect(vi.virtualIpaddress[1].loc?.line).toBe(37)
  })

  it('lowers virtual servers with every checker', () => {
    const r = parse(`virtual_server 10.0.0.100 80 {
  delay_loop 6
  lb_algo wrr
  lb_kind DR
  protocol TCP
  persistence_timeout 50
  sorry_server 10.0.0.9 8080
  quorum 1
  hysteresis 0
  real_server 10.0.0.21 80 {
    weight 2
    HTTP_GET {
      url {
        path /health
        status_code 200
      }
      connect_timeout 3
      nb_get_retry 3
      delay_before_retry 2
    }
  }
  real_server 10.0.0.22 80 {
    TCP_CHECK {
      connect_port 80
      bindto 10.0.0.11
    }
    MISC_CHECK {
      misc_path "/usr/local/bin/check 10.0.0.22"
      misc_timeout 5
      misc_dynamic
    }
  }
}
virtual_server fwmark 7 { lb_algo rr
  real_server 10.0.0.23 { weight 1 }
}`)
    expect(rules(r)).toEqual(['18:deprecated-keyword'])
    const [vs, fw] = stripLocations(r.config).virtualServers
    expect(vs).toEqual({
      address: '10.0.0.100',
      port: 80,
      delayLoop: 6,
      lbAlgo: 'wrr',
      lbKind: 'DR',
      protocol: 'TCP',
      persistenceTimeout: 50,
      sorryServer: {ip: '10.0.0.9', port: 8080},
      quorum: 1,
      hysteresis: 0,
      realServers: [
        {ip: '10.0.0.21', port: 80, weight: 2, checkers: [{type: 'HTTP_GET', urls: [{path: '/health', statusCode: '200'}], connectTimeout: 3, retry: 3, delayBeforeRetry: 2}]},
        {
          ip: '10.0.0.22',
          port: 80,
          checkers: [
            {type: 'TCP_CHECK', connectPort: 80, bindto: '10.0.0.11'},
            {type: 'MISC_CHECK', miscPath: '/usr/local/bin/check 10.0.0.22', miscTimeout: 5, miscDynamic: true},
          ],
        },
      ],
    })
    expect(fw).toEqual({fwmark: 7, lbAlgo: 'rr', realServers: [{ip: '10.0.0.23', weight: 1, checkers: []}]})
  })

  it('reads includes relative to the including file, with globs, in sorted order', () => {
    const r = parseKeepalivedFile(join(FIXTURES, 'include', 'keepalived.conf'))
    expect(r.diagnostics).toEqual([])
    expect(r.files.map((f) => f.slice(FIXTURES.length + 1))).toEqual(['include/keepalived.conf', 'include/conf.d/10-script.conf', 'include/conf.d/20-instance.conf'])
    expect(r.config.scripts[0].name).toBe('chk_web')
    expect(r.config.instances[0].keyLocs?.priority).toEqual({file: join(FIXTURES, 'include', 'conf.d', '20-instance.conf'), line: 5})
  })

  it('reports an include that matches nothing and an include loop, without throwing', () => {
    const files = {'/etc/keepalived/a.conf': 'include keepalived.conf\n'}
    const r = parse('include a.conf\ninclude missing/*.conf\n', {files})
    expect(r.diagnostics.map((d) => d.rule).sort()).toEqual(['include', 'include-missing'])
  })

  it('keeps @id lines for the config id, @^id lines for the others', () => {
    const text = 'vrrp_instance VI_1 {\n@lb1 priority 150\n@lb2 priority 100\n@^lb1 state BACKUP\n interface eth0\n virtual_router_id 5\n}\n'
    expect(parse(text, {configId: 'lb1'}).config.instances[0]).toMatchObject({priority: 150})
    expect(parse(text, {configId: 'lb1'}).config.instances[0].state).toBeUndefined()
    expect(parse(text, {configId: 'lb2'}).config.instances[0]).toMatchObject({priority: 100, state: 'BACKUP'})
  })

  it('substitutes $VAR and ${VAR}; reports undefined variables', () => {
    const r = parse('$VRID=51\n$PRIO=15\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id $VRID\n priority ${PRIO}0\n state ${STATE}\n}\n')
    expect(r.config.instances[0]).toMatchObject({virtualRouterId: 51, priority: 150})
    expect(r.diagnostics.filter((d) => d.rule === 'undefined-variable').map((d) => [d.line, d.severity])).toEqual([[7, 'error']])
    const quoted = parse('vrrp_script s {\n script "/bin/check ${TARGET}"\n}\n')
    expect(quoted.diagnostics.map((d) => [d.rule, d.severity])).toEqual([['undefined-variable', 'warning']])
    expect(quoted.config.scripts[0].script).toBe('/bin/check ${TARGET}')
  })

  it('substitutes recursively at use time, expands multi-line definitions and predefined parameters', () => {
    const text = [
      '$BASE=10.2.${SUB}',
      '$SUB=0',
      '$INSTANCE= \\',
      'vrrp_instance VI_${NUM} { \\',
      '  interface eth0 \\',
      '  virtual_router_id 1${NUM} \\',
      '@lb1 priority 130 \\',
      '@lb2 priority 120 \\',
      '  virtual_ipaddress { \\',
      '    ${BASE}.${NUM}/24 \\',
      '  } \\',
      '  notify "${_PWD}/notify.sh ${_HASH}${NUM} $HOME" \\',
      '}',
      '$NUM=1',
      '$INSTANCE',
      '$SUB=10',
      '$NUM=2',
      '${INSTANCE}',
    ].join('\n')
    const r = parse(text)
    // "$HOME" before a quote is not a parameter reference (keepalived needs whitespace after $NAME)
    expect(r.diagnostics).toEqual([])
    expect(r.config.instances.map((i) => [i.name, i.virtualRouterId, i.priority, i.virtualIpaddress[0].address, i.notify])).toEqual([
      ['VI_1', 11, 130, '10.2.0.1/24', '/etc/keepalived/notify.sh #1 $HOME'],
      ['VI_2', 12, 130, '10.2.10.2/24', '/etc/keepalived/notify.sh #2 $HOME'],
    ])
    expect(r.config.instances[1].loc?.line).toBe(18)
  })

  it('repeats ~SEQ lines', () => {
    const r = parse('vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 3\n virtual_ipaddress {\n  ~SEQ(N, 1, 3) 10.0.${N}.1/24\n  ~SEQx(H, 0x90, 0x10, 0xa0) fd00::${H}/64\n }\n}\n')
    expect(r.config.instances[0].virtualIpaddress.map((a) => a.address)).toEqual(['10.0.1.1/24', '10.0.2.1/24', '10.0.3.1/24', 'fd00::90/64', 'fd00::a0/64'])
    expect(parse('~SEQ(N, 1, 0, 3) x\n').diagnostics[0].rule).toBe('invalid-value')
  })

  it('applies a conditional that a parameter expands to', () => {
    const text = '$IF_LB1=@lb1\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n $IF_LB1 priority 240\n}\n'
    expect(parse(text, {configId: 'lb1'}).config.instances[0].priority).toBe(240)
    expect(parse(text, {configId: 'lb2'}).config.instances[0].priority).toBeUndefined()
  })

  it('reads CRLF, a BOM, one-line blocks and no final newline', () => {
    const r = parseKeepalivedFile(join(FIXTURES, 'crlf-no-final-newline.conf'))
    expect(r.diagnostics).toEqual([])
    expect(stripLocations(r.config.instances[0])).toEqual({
      name: 'VI_1',
      state: 'BACKUP',
      interface: 'eth0',
      virtualRouterId: 7,
      priority: 90,
      virtualIpaddress: [{address: '192.168.1.7/24'}],
    })
    expect(parse('\uFEFFvrrp_script s { script "/bin/true" }').config.scripts[0].script).toBe('/bin/true')
  })

  it('treats ! and # as comments anywhere outside quotes, UTF-8 included', () => {
    const r = parse('vrrp_script s { # 检查 nginx\n  script "/bin/check #1 !x" ! 注释\n}\n')
    expect(r.config.scripts[0].script).toBe('/bin/check #1 !x')
    expect(r.diagnostics).toEqual([])
  })

  it('follows keepalived on braces: a "{" after a non-block keyword is ignored and the next "}" closes the enclosing block', () => {
    const r = parse('vrrp_instance VI_1 {\n interface eth0\n foo_block {\n  bar 1\n }\n priority 100\n}\n')
    expect(rules(r)).toEqual(['3:unknown-keyword', '3:unexpected-brace', '4:unknown-keyword', '6:unknown-keyword', '7:extra-brace'])
  })

  it('follows keepalived on a one-line url block: path takes one word, the rest of the line (a digest) is dropped and reported', () => {
    // keepalived -t accepts `url { path /x digest zz }` silently (an invalid digest on its own line is an error): the digest is never read
    const r = parse('virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  HTTP_GET {\n   url { path /x digest zz }\n  }\n }\n}\n')
    const check = r.config.virtualServers[0].realServers[0].checkers[0]
    expect(check.type === 'HTTP_GET' && stripLocations(check.urls[0])).toEqual({path: '/x'})
    expect(r.diagnostics).toEqual([expect.objectContaining({rule: 'extra-arguments', severity: 'warning', line: 4, message: 'path takes one value; "digest zz" is ignored'})])
  })

  it('suggests the closest keyword for a typo', () => {
    const r = parse('vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n priorty 100\n}\n')
    expect(r.diagnostics[0]).toMatchObject({rule: 'unknown-keyword', line: 4, fix: 'replace with priority'})
    expect(r.config.instances[0].extra?.[0]).toMatchObject({keyword: 'priorty', args: ['100']})
  })

  it('reports unclosed blocks, missing values and bad numbers', () => {
    const r = parse('vrrp_instance VI_1 {\n interface\n virtual_router_id x\n')
    expect(rules(r)).toEqual(['1:missing-close-brace', '2:missing-value', '3:invalid-number'])
  })

  it('never throws on garbage', () => {
    let seed = 42
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const alphabet = ['{', '}', '"', "'", '\\', '$', '${', '@', '@^', '!', '#', '\n', '\r\n', ' ', '\t', 'vrrp_instance', 'include', '*', 'x', '1', '\u0000', '€']
    for (let i = 0; i < 300; i++) {
      let text = ''
      const n = Math.floor(rand() * 200)
      for (let j = 0; j < n; j++) text += alphabet[Math.floor(rand() * alphabet.length)]
      expect(() => parse(text)).not.toThrow()
    }
    expect(() => parse('}}}}{{{{')).not.toThrow()
    expect(() => parse('{'.repeat(5000))).not.toThrow()
    // every block keepalived knows is checked: an unknown keyword cannot open a block, so braces cannot nest deeply
    const deep = parse('bfd_instance b {' + ' a {'.repeat(100_000))
    expect(deep.diagnostics.map((d) => d.rule)).toContain('unexpected-brace')
    expect(parse('~SEQ(A, 1, 4000) ~SEQ(B, 1, 4000) x\n').diagnostics.map((d) => d.rule)).toContain('too-large')
    expect(() => parse('"unterminated\n\'also')).not.toThrow()
  })

  it('reports an unreadable file instead of throwing', () => {
    expect(parseKeepalivedFile('/nonexistent/keepalived.conf').diagnostics[0].rule).toBe('unreadable')
  })
})

describe.skipIf(!existsSync(CORPUS))('corpus', () => {
  it('parses every real-world config without a crash', () => {
    const files = readdirSync(CORPUS).filter((f) => f.endsWith('.conf'))
    expect(files.length).toBeGreaterThan(30)
    for (const f of files) {
      const r = parseKeepalivedConfig(readFileSync(join(CORPUS, f), 'utf8'), {file: join(CORPUS, f), configId: 'lb1'})
      expect(r.config.instances.length + r.config.virtualServers.length + (r.config.globalDefs ? 1 : 0), f).toBeGreaterThan(0)
    }
  })
})
