/** Plain-text renderings of lab results (what the commands print without --json). */
import type {LabStatusResult, LabUpResult} from './lab.js'

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}

export function formatLabUp(r: LabUpResult): string {
  return [
    `lab ${r.name} is up: ${r.hosts.length} hosts on ${r.subnet} (control ${r.control}, VIP ${r.vip})`,
    table([['NODE', 'ADDRESS', 'NAMESPACE'], ...r.hosts.map((h) => [h.name, h.address, h.netns])]),
    '',
    `spec:        ${r.spec}`,
    `ssh config:  ${r.sshConfig}`,
    `known_hosts: ${r.knownHosts}`,
    '',
    'next:',
    `  halctl deploy -s ${r.spec}`,
    `  ssh -F ${r.sshConfig} ${r.hosts[0]?.name ?? ''}`,
    `  halctl lab down${r.name === 'lab' ? '' : ` --name ${r.name}`}`,
  ].join('\n')
}

export function formatLabStatus(r: LabStatusResult): string {
  const rows = r.hosts.map((h) => [
    h.name,
    h.address,
    h.present ? 'present' : 'MISSING',
    h.sshd,
    h.keepalived ? 'running' : '-',
    h.vips.join(',') || '-',
  ])
  return [
    `lab ${r.name}: ${r.subnet}, control ${r.control}, spec VIP ${r.vip}, state in ${r.stateDir}`,
    table([['NODE', 'ADDRESS', 'NETNS', 'SSHD', 'KEEPALIVED', 'VIPS'], ...rows]),
  ].join('\n')
}
