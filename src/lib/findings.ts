/** A finding: what is wrong in a config or spec, where, how bad, and how to fix it. Never holds a secret. */
export interface Finding {
  /** stable rule id, e.g. "priority-range" */
  rule: string
  severity: Severity
  message: string
  file?: string
  line?: number
  /** node name for cross-node findings and spec linting */
  node?: string
  fix?: string
}

export type Severity = 'error' | 'warning' | 'info'
