import {execa} from 'execa'

/** Times (ms since epoch), sources and priorities of the VRRP adverts in a capture file, as tcpdump reads them. */
export async function tcpdumpAdverts(file: string): Promise<Array<{t: number; src: string; prio: number}>> {
  const r = await execa('tcpdump', ['-r', file, '-n', '-tt'], {reject: false})
  const out: Array<{t: number; src: string; prio: number}> = []
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+\.\d+) IP (\S+) > \S+: VRRPv\d, Advertisement, vrid \d+, prio (\d+)/.exec(line)
    if (m) out.push({t: Number(m[1]) * 1000, src: m[2], prio: Number(m[3])})
  }
  return out
}
