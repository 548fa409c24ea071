/**
 * Exit codes shared by every halctl command (documented in the README).
 */
export const ExitCode = {
  /** Success; for lint: no findings (or warnings only without --strict). */
  Ok: 0,
  /** Warnings only, with --strict; or an unexpected internal failure. */
  Warnings: 1,
  /** Bad input: spec, config or flags are invalid; lint found errors. */
  BadInput: 2,
  /** A diagnosis found a problem: sniff saw an error-severity finding, failover-test verdict failed. */
  Finding: 3,
  /** A remote or host operation failed (SSH, deploy step, rollback performed). */
  Remote: 4,
  /** Missing privilege or system requirement (root, a tool, a kernel feature). */
  Environment: 5,
  /** Interrupted by the user (SIGINT); cleanup was done. */
  Interrupted: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]
