import {execa} from 'execa'
import {createRequire} from 'node:module'

export interface ToolReport {
  name: string
  found: boolean
  path?: string
  version?: string
}

const TOOLS: Array<{name: string; versionArgs: string[]}> = [
  {name: 'keepalived', versionArgs: ['--version']},
  {name: 'ip', versionArgs: ['-V']},
  {name: 'tcpdump', versionArgs: ['--version']},
  {name: 'nft', versionArgs: ['--version']},
  {name: 'iptables', versionArgs: ['--version']},
  {name: 'sshd', versionArgs: ['-V']},
  {name: 'firewall-cmd', versionArgs: ['--version']},
  {name: 'arping', versionArgs: ['-V']},
  {name: 'curl', versionArgs: ['--version']},
  {name: 'rsyslogd', versionArgs: ['-v']},
]

/** Locate a program on PATH (plus /usr/sbin and /sbin, where Debian keeps daemons). */
export async function which(name: string): Promise<string | undefined> {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/local/sbin`
  const r = await execa('sh', ['-c', 'command -v "$1"', 'sh', name], {reject: false, env: {PATH: path}})
  return r.exitCode === 0 && r.stdout ? r.stdout.trim() : undefined
}

/** libpcap through the pcap addon (live capture, `halctl run`): loads or says why not. */
export async function checkLibpcap(): Promise<ToolReport & {error?: string}> {
  try {
    const version = (createRequire(import.meta.url)('pcap') as {lib_version?: string}).lib_version
    return {name: 'libpcap', found: true, path: 'pcap addon', version: version?.match(/\d+(\.\d+)+/)?.[0]}
  } catch (e) {
    return {name: 'libpcap', found: false, error: `${(e as Error).message.split('\n')[0]}; install libpcap-dev and rebuild (npm rebuild pcap)`}
  }
}

export async function checkTools(): Promise<ToolReport[]> {
  return Promise.all(
    TOOLS.map(async ({name, versionArgs}) => {
      const path = await which(name)
      if (!path) return {name, found: false}
      const r = await execa(path, versionArgs, {reject: false, all: true, timeout: 5000})
      const line = (r.all ?? '').split('\n').find((l) => /\d+\.\d+/.test(l))
      return {name, found: true, path, version: line?.match(/v?\d+(\.\d+)+[\w.+-]*/)?.[0]}
    }),
  )
}
