/**
 * The layer map of src/ (README, "Layout"), checked by `npm run lint:code`:
 *
 *   commands  src/commands, src/hooks, src/lib/base-command.ts   oclif entry points
 *             src/sniff/{command,lean-cli}.ts, src/engine/daemon-cli.ts  the lean entries bin/run.js starts without oclif
 *   ui        src/ui                                             ink components, drawn by commands
 *   services  deploy doctor engine failover import init lab lint sniff status
 *   cores     spec keepalived vrrp capture remote net            pure models, codecs, parsers, transports
 *   lib       src/lib                                            errors, exit codes, redaction, findings
 *
 * A module imports its own layer or the layers below it, never one above.
 * Services may use each other; cores and lib know nothing of services. No import circles.
 */
const COMMANDS = '^src/(commands|hooks)/|^src/index\\.ts$|^src/lib/base-command\\.ts$|^src/sniff/(command|lean-cli)\\.ts$|^src/engine/daemon-cli\\.ts$'
const UI = '^src/ui/'
const SERVICES = '^src/(deploy|doctor|engine|failover|import|init|lab|lint|sniff|status)/'
const CORES = '^src/(spec|keepalived|vrrp|capture|remote|net)/'

module.exports = {
  forbidden: [
    {
      name: 'nothing-imports-commands',
      comment: 'commands are entry points: nothing below them imports one (move the shared code into a service)',
      severity: 'error',
      from: {path: '^src/', pathNot: COMMANDS},
      to: {path: COMMANDS},
    },
    {
      name: 'ui-only-from-commands',
      comment: 'ink components are drawn by commands; services return data (types may be imported from below, not views)',
      severity: 'error',
      from: {path: `${SERVICES}|${CORES}|^src/lib/`, pathNot: COMMANDS},
      // the embedded engine's daemon draws its own live view (src/engine is being reworked into a runner the run command starts)
      to: {path: UI, pathNot: '^src/ui/run-view\\.tsx$'},
    },
    {
      name: 'cores-not-up',
      comment: 'spec, keepalived, vrrp, capture, remote and net are below the services: they import only each other and lib',
      severity: 'error',
      from: {path: CORES},
      // known: the spec's facts check reads deploy's facts type and the no-init pid file names (to move below deploy)
      to: {path: `${SERVICES}|${UI}|${COMMANDS}`, pathNot: '^src/deploy/(facts|paths)\\.ts$'},
    },
    {
      name: 'lib-is-the-floor',
      comment: 'src/lib imports nothing else from src (the base command is the commands\' base class and sits above)',
      severity: 'error',
      from: {path: '^src/lib/', pathNot: COMMANDS},
      to: {path: '^src/', pathNot: '^src/lib/'},
    },
    {
      name: 'no-tests-in-src',
      comment: 'the product never imports test code',
      severity: 'error',
      from: {path: '^src/'},
      to: {path: '^test/|^bench/'},
    },
    {
      name: 'no-circular',
      comment: 'modules that import each other in a circle cannot be understood or tested one at a time',
      severity: 'error',
      from: {path: '^src/'},
      to: {circular: true},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve to a file or a package',
      severity: 'error',
      from: {},
      to: {couldNotResolve: true},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    enhancedResolveOptions: {exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.d.ts']},
  },
}
