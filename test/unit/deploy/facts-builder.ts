import {sha256} from '../../../src/deploy/facts.js'

/** Builds FACTS_SCRIPT output as a real node would print it. */
export interface FakeNodeState {
  hostname?: string
  os?: 'debian' | 'rocky'
  init?: 'systemd' | 'sysv' | 'none'
  firewall?: 'firewalld' | 'nftables' | 'iptables' | 'none'
  keepalived?: string | false
  running?: number | false
  ipvsadm?: boolean
  interfaces?: {name: string; addrs: string[]}[]
  files?: Record<string, {content: string; mode: number}>
  sysctls?: Record<string, string>
  nftTable?: boolean
  nftPersisted?: boolean
  firewalldRules?: string[]
}

export function factsOutput(s: FakeNodeState): string {
  const init = s.init ?? 'none'
  const os =
    s.os === 'rocky'
      ? 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"'
      : 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"'
  const running = s.running ? (init === 'systemd' ? `systemd ${s.running}` : init === 'sysv' ? `default ${s.running}` : `pidfile ${s.running}`) : ''
  const addr = JSON.stringify(
    (s.interfaces ?? [{name: 'eth0', addrs: ['10.0.0.11/24']}]).map((i, idx) => ({
      ifindex: idx + 2,
      ifname: i.name,
      flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
      addr_info: i.addrs.map((a) => ({family: a.includes(':') ? 'inet6' : 'inet', local: a.split('/')[0], prefixlen: Number(a.split('/')[1] ?? 32)})),
    })),
  )
  const files = Object.entries(s.files ?? {}).map(([p, f]) => `${sha256(f.content)} ${f.mode.toString(8)} ${p}`)
  const sysctls = {'net.ipv4.ip_forward': '0', 'net.ipv4.ip_nonlocal_bind': '0', 'net.ipv6.ip_nonlocal_bind': '0', ...s.sysctls}
  const sec = (name: string, body: string): string => `\n@@${name}\n${body}${body ? '\n' : ''}`
  return [
    sec('os', os),
    sec('hostname', s.hostname ?? 'node'),
    sec('pm', s.os === 'rocky' ? 'dnf\nyum' : 'apt-get'),
    sec('init', init),
    sec('firewall', s.firewall ?? 'nftables'),
    sec('keepalived', s.keepalived === false ? '' : `Keepalived v${s.keepalived ?? '2.2.7'} (01/16,2022)`),
    sec('ipvsadm', s.ipvsadm ? '/usr/sbin/ipvsadm' : ''),
    sec('running', running),
    sec('addr', addr),
    sec('files', files.join('\n')),
    sec('sysctl', Object.entries(sysctls).map(([k, v]) => `${k}=${v}`).join('\n')),
    sec('nft', [s.nftTable ? 'present' : '', s.nftPersisted ? 'persisted' : ''].filter(Boolean).join('\n')),
    sec('iptables', ''),
    sec('firewalld', (s.firewalldRules ?? []).join('\n')),
    sec('end', ''),
  ].join('')
}
