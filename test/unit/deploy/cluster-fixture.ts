import type {DesiredCluster, DesiredNode} from '../../../src/host/desired.js'
import {emptyConfig, type VrrpInstance} from '../../../src/keepalived/model.js'

/** A rendered 2/3-node cluster in the shape src/spec's renderCluster returns. */
export function node(name: string, address: string, priority: number, opts: {iface?: string; unicast?: string[]; ah?: boolean; script?: boolean} = {}): DesiredNode {
  const iface = opts.iface ?? 'eth0'
  const inst: VrrpInstance = {
    name: 'VI_web',
    state: priority >= 150 ? 'MASTER' : 'BACKUP',
    interface: iface,
    virtualRouterId: 51,
    priority,
    advertInt: 1,
    authentication: opts.ah ? {type: 'AH', pass: 's3cret'} : {type: 'PASS', pass: 's3cret'},
    virtualIpaddress: [{address: '10.0.0.100/24'}],
    unicastSrcIp: opts.unicast ? address : undefined,
    unicastPeer: opts.unicast,
    trackScript: opts.script ? [{name: 'chk_nginx'}] : undefined,
  }
  const config = {...emptyConfig(), instances: [inst]}
  const text = [
    `vrrp_instance VI_web {`,
    `  state ${inst.state}`,
    `  interface ${iface}`,
    `  virtual_router_id 51`,
    `  priority ${priority}`,
    `  authentication {`,
    `    auth_type PASS`,
    `    auth_pass s3cret`,
    `  }`,
    `  virtual_ipaddress {`,
    `    10.0.0.100/24`,
    `  }`,
    `}`,
    '',
  ].join('\n')
  return {
    name,
    address,
    interface: iface,
    ssh: {host: address, port: 22, user: 'root'},
    config,
    text,
    scripts: opts.script ? [{path: '/etc/keepalived/scripts/chk_nginx.sh', content: '#!/bin/sh\npgrep nginx\n', mode: 0o755}] : [],
  }
}

export function cluster(n = 2, opts: Parameters<typeof node>[3] = {}): DesiredCluster {
  const nodes = Array.from({length: n}, (_, i) => node(`lb${i + 1}`, `10.0.0.${11 + i}`, 150 - i * 50, opts))
  return {cluster: 'web', nodes}
}
