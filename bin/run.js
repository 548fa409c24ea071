#!/usr/bin/env node
import {readFileSync} from 'node:fs'
import {release} from 'node:os'

// `halctl --version` answers without loading the CLI framework (most of halctl's start-up):
// the same line oclif prints (its config.userAgent). oclif says "wsl" for Linux under WSL (a
// kernel release naming Microsoft): left to oclif there, as on other platforms.
if (process.argv[2] === '--version' && (process.platform === 'darwin' || (process.platform === 'linux' && !release().toLowerCase().includes('microsoft')))) {
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // `halctl run` (the VRRP daemon) starts without the CLI framework when it can: loading it
  // would cost the daemon most of its start-up time and a third of its memory. Its bundle
  // (one module instead of some forty: the build's scripts/bundle-daemon.mjs) when built.
  const lean =
    process.argv[2] === 'run'
      ? await import('../dist/daemon/daemon-cli.js').catch(() => import('../dist/engine/daemon-cli.js')).catch(() => undefined)
      : undefined
  // `halctl sniff -r FILE` too: loading the framework costs more than decoding a million packets
  const leanSniff = process.argv[2] === 'sniff' ? await import('../dist/sniff/lean-cli.js').catch(() => undefined) : undefined
  if (!(lean && (await lean.runFromArgv(process.argv.slice(3)))) && !(leanSniff && (await leanSniff.runSniffFromArgv(process.argv.slice(3))))) {
    // oclif checks its own engines range (Node >= 18) with semver on every start; ours (>= 20, in
    // package.json) is stricter, so that check only costs start-up time (about 15 ms)
    process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
    const {execute} = await import('@oclif/core')
    await execute({dir: import.meta.url})
  }
}
