import type {LintReport} from './files.js'
import type {Finding} from './types.js'

/** Human lint output: `file:line: severity rule: message (fix: ...)`, grouped per file, then a summary line. */

export function formatFinding(f: Finding): string {
  const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}: ` : ''
  const node = f.node && !(f.file ?? '').includes(f.node) ? ` [${f.node}]` : ''
  return `${where}${f.severity} ${f.rule}: ${f.message}${node}${f.fix ? ` (fix: ${f.fix})` : ''}`
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

export function formatSummary(r: LintReport): string {
  const s = r.summary
  const verdict = s.errors > 0 ? 'FAIL' : s.warnings > 0 ? 'ok with warnings' : 'ok'
  return `${plural(s.files, 'file')} checked: ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${plural(s.infos, 'info')} — ${verdict}`
}

export function formatLintReport(r: LintReport): string {
  const byFile = new Map<string, Finding[]>()
  for (const f of r.findings) byFile.set(f.file ?? '', [...(byFile.get(f.file ?? '') ?? []), f])
  const out: string[] = []
  for (const [file, findings] of byFile) {
    if (file) out.push(file)
    for (const f of findings) out.push(`  ${formatFinding(f)}`)
  }
  out.push(formatSummary(r))
  return out.join('\n')
}
