/** Lint's findings: the one definition lives in lib/findings.ts (the parser and the spec report them too). */
export type {Finding, Severity} from '../lib/findings.js'
