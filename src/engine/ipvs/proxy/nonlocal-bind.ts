import {readFile, writeFile} from 'node:fs/promises'

/**
 * Let this network namespace bind addresses it does not hold (the VIP before
 * VRRP has added it, or on a backup): net.ipv4.ip_nonlocal_bind /
 * net.ipv6.ip_nonlocal_bind. Node cannot set IP_FREEBIND per socket, so the
 * namespace-wide sysctl is the way. Returns true when it is on.
 */
export async function enableNonlocalBind(family: 4 | 6): Promise<boolean> {
  const path = `/proc/sys/net/ipv${family}/ip_nonlocal_bind`
  try {
    if ((await readFile(path, 'utf8')).trim() === '1') return true
    await writeFile(path, '1\n')
    return true
  } catch {
    return false
  }
}
