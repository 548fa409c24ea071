#!/usr/bin/env node
// `halctl run` (the VRRP daemon) starts without the CLI framework when it can: loading it
// would cost the daemon most of its start-up time and a third of its memory
const lean = process.argv[2] === 'run' ? await import('../dist/engine/daemon-cli.js').catch(() => undefined) : undefined
if (!(lean && (await lean.runFromArgv(process.argv.slice(3))))) {
  // oclif checks its own engines range (Node >= 18) with semver on every start; ours (>= 20, in
  // package.json) is stricter, so that check only costs start-up time (about 15 ms)
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
  const {execute} = await import('@oclif/core')

  await execute({dir: import.meta.url})
}
