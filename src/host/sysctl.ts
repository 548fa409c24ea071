import type {KeepalivedConfig} from '../keepalived/model.js'
import {SYSCTL_FILE} from './paths.js'

/**
 * Kernel settings the rendered config needs:
 * - net.ipv4.ip_forward=1 when an LVS virtual server uses NAT;
 * - net.ipv4.ip_nonlocal_bind=1 (and the v6 twin for v6 VIPs) when the config
 *   tracks a local service with a vrrp_script: that service binds the VIP and
 *   must start on a backup that does not hold it.
 */
export function desiredSysctls(config: KeepalivedConfig): Record<string, string> {
  const out: Record<string, string> = {}
  if (config.virtualServers.some((vs) => vs.lbKind === 'NAT')) out['net.ipv4.ip_forward'] = '1'
  const tracksService = config.instances.some((i) => (i.trackScript?.length ?? 0) > 0)
  if (tracksService) {
    const vips = config.instances.flatMap((i) => i.virtualIpaddress.map((v) => v.address))
    if (vips.some((a) => !a.includes(':'))) out['net.ipv4.ip_nonlocal_bind'] = '1'
    if (vips.some((a) => a.includes(':'))) out['net.ipv6.ip_nonlocal_bind'] = '1'
  }
  return out
}

export function renderSysctlFile(values: Record<string, string>): {path: string; content: string} {
  const lines = Object.entries(values)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} = ${v}`)
  return {path: SYSCTL_FILE, content: ['# written by halctl deploy: settings keepalived needs', ...lines, ''].join('\n')}
}
