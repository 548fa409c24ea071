import {readFileSync} from 'node:fs'
import {isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode} from 'yaml'
import type {Finding} from './types.js'

/**
 * Point findings about a rendered node config back at the cluster spec: the
 * spec entry of the instance, script or node they are about. The rendered
 * position stays in the message ("in lb1/keepalived.conf:43").
 */

type Lines = {instances: Map<string, number>; scripts: Map<string, number>; nodes: Map<string, number>}

function entryLines(path: string): Lines | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
  const lc = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lc})
  const line = (n: YamlNode | null | undefined) => (n?.range ? lc.linePos(n.range[0]).line : undefined)
  const out: Lines = {instances: new Map(), scripts: new Map(), nodes: new Map()}
  const root = doc.contents
  if (!isMap(root)) return out
  for (const key of ['instances', 'nodes'] as const) {
    const seq = root.get(key, true)
    if (!isSeq(seq)) continue
    for (const item of seq.items) {
      if (!isMap(item)) continue
      const name = item.get('name')
      const l = line(item as YamlNode)
      if (typeof name === 'string' && l) out[key].set(name, l)
    }
  }
  const scripts = root.get('scripts', true)
  if (isMap(scripts)) {
    for (const pair of scripts.items) {
      const k = pair.key as YamlNode & {value?: unknown}
      const l = line(k)
      if (typeof k?.value === 'string' && l) out.scripts.set(k.value, l)
    }
  }
  return out
}

/**
 * Findings on `SPEC#node/keepalived.conf` moved to SPEC:line of the entry they
 * concern; the same finding on several nodes becomes one, naming each rendered place.
 */
export function toSpecLocations(findings: Finding[], specPath: string, readPath = specPath): Finding[] {
  const lines = entryLines(readPath)
  if (!lines) return findings
  const merged = new Map<string, {finding: Finding; places: string[]; nodes: Set<string>}>()
  const out: Finding[] = []
  for (const f of findings) {
    if (!f.file?.startsWith(`${specPath}#`)) {
      out.push(f)
      continue
    }
    const rendered = `${f.file.slice(specPath.length + 1)}${f.line ? `:${f.line}` : ''}`
    const inst = /vrrp_instance (\S+?):? /.exec(f.message)?.[1]
    const script = /vrrp_script (\S+?):? /.exec(f.message)?.[1]
    const line = (inst && lines.instances.get(inst)) || (script && lines.scripts.get(script)) || (f.node && lines.nodes.get(f.node)) || undefined
    const key = `${f.rule}|${line}|${f.severity}|${f.message}`
    const m = merged.get(key)
    if (m) {
      m.places.push(rendered)
      if (f.node) m.nodes.add(f.node)
      continue
    }
    const moved: Finding = {...f, file: specPath}
    if (line) moved.line = line
    else delete moved.line
    merged.set(key, {finding: moved, places: [rendered], nodes: new Set(f.node ? [f.node] : [])})
  }
  for (const {finding, places, nodes} of merged.values()) {
    const f: Finding = {...finding, message: `${finding.message} (in ${places.join(', ')})`}
    if (nodes.size !== 1) delete f.node
    out.push(f)
  }
  return out.sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0))
}
