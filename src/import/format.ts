import {formatFinding} from '../lint/format.js'
import type {ImportCommandResult} from './index.js'

/** Human report of `halctl import` (the spec itself goes to the file or stdout). */
export function formatImportReport(r: ImportCommandResult): string {
  const out: string[] = []
  out.push(`${r.nodes.length} node(s): ${r.nodes.map((n) => `${n.name} (${n.address}${n.addressFrom === 'placeholder' ? ', placeholder' : ''}) from ${n.file}`).join('; ')}`)
  for (const s of r.sources ?? []) {
    out.push(`  ${s.node} (${s.host}): keepalived ${s.running ? 'runs' : 'does not run'}, reads ${s.configFile} (${s.configFrom})${s.files.length > 1 ? `; includes ${s.files.slice(1).join(', ')}` : ''}`)
  }
  for (const i of r.instances) out.push(`  vrrp_instance ${i.name}: VRID ${i.vrid} on ${i.interface}, nodes ${i.nodes.join(', ')}${i.inRaw ? ' (carried in raw)' : ''}`)
  if (r.raw.length) {
    out.push(`in raw (${r.raw.length}):`)
    for (const x of r.raw) out.push(`  ${x.where}: ${x.keyword} — ${x.reason}`)
  }
  if (r.secrets.length) out.push(`secrets moved out: ${r.secrets.map((s) => `${s.where} -> env:${s.env}`).join('; ')}${r.envFile ? ` (values in ${r.envFile}, mode 0600)` : ''}`)
  if (r.scripts.length) {
    out.push('scripts the configs run (copy them to the nodes yourself):')
    for (const s of r.scripts) out.push(`  ${s.node}: ${s.path} (${s.where})`)
  }
  for (const u of r.unrepresented) out.push(`NOT carried: ${u.where}: ${u.reason}`)
  for (const f of r.findings) out.push(formatFinding(f))
  const rt = r.roundTrip.map((x) => `${x.node} ${x.equal ? 'same' : 'DIFFERS'}`).join(', ')
  out.push(`round trip (rendered config parses to the original's model): ${rt}`)
  out.push(r.spec ? `spec written to ${r.spec}` : 'spec printed above')
  return out.join('\n')
}
