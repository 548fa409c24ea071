import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {dirname, isAbsolute, join, resolve} from 'node:path'
import {isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode} from 'yaml'
import type {z} from 'zod'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {fromZodIssues, formatPath, specErrorMap, type SpecIssue} from './issues.js'
import {ClusterSpecSchema, type ClusterSpec} from './schema.js'
import {checkSpecSemantics} from './semantics.js'

const HINT = 'the spec format is in schema/halctl-spec.schema.json; `halctl init --preset active-passive -o spec.yaml` writes a commented example'

/** Read and validate a cluster spec file. Throws HalError (exit 2) naming file:line:col for every problem. */
export async function loadSpec(path: string): Promise<ClusterSpec> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new HalError('SPEC_UNREADABLE', `cannot read spec ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      hint: 'give the path of a cluster spec YAML file with -s/--spec',
      exitCode: ExitCode.BadInput,
      cause: e,
    })
  }
  return loadSpecText(text, path)
}

/**
 * Validate spec text. `file` names the source in messages and anchors relative
 * paths (file: secrets, ssh files). Throws HalError (exit 2).
 */
export function loadSpecText(text: string, file: string): ClusterSpec {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  const where = (offset: number): string => {
    const {line, col} = lineCounter.linePos(offset)
    return `${file}:${line}:${col}`
  }
  if (doc.errors.length > 0) {
    const msgs = doc.errors.map((e) => ({where: where(e.pos[0]), message: `YAML syntax: ${yamlMessage(e.message)}`}))
    throw specError('SPEC_YAML', msgs)
  }
  let data: unknown
  try {
    data = doc.toJS({maxAliasCount: 100})
  } catch (e) {
    throw specError('SPEC_YAML', [{where: `${file}:1:1`, message: `YAML: ${yamlMessage((e as Error).message)}`}])
  }
  if (data === null || data === undefined || typeof data !== 'object' || Array.isArray(data)) {
    throw specError('SPEC_INVALID', [{where: `${file}:1:1`, message: 'the spec must be a YAML mapping with cluster, nodes and instances'}])
  }
  const parsed = ClusterSpecSchema.safeParse(data, {error: specErrorMap})
  let issues: SpecIssue[]
  if (!parsed.success) {
    issues = fromZodIssues(parsed.error.issues, knownKeysAt)
  } else {
    issues = checkSpecSemantics(parsed.data)
  }
  if (issues.length > 0) {
    const seen = new Set<string>()
    const msgs = []
    const placed = issues.map((iss) => ({iss, offset: offsetOf(doc, iss)})).sort((a, b) => a.offset - b.offset)
    for (const {iss, offset} of placed) {
      const m = {where: where(offset), message: `${formatPath(iss.path)}: ${iss.message}`}
      const key = `${m.where} ${m.message}`
      if (!seen.has(key)) msgs.push(m), seen.add(key)
    }
    throw specError('SPEC_INVALID', msgs)
  }
  return anchorPaths(parsed.data!, dirname(resolve(file)))
}

function specError(code: string, msgs: {where: string; message: string}[]): HalError {
  const [first, ...rest] = msgs
  const message = [first.message, ...rest.map((m) => `${m.where}: ${m.message}`)].join('\n')
  return new HalError(code, message, {where: first.where, hint: HINT, exitCode: ExitCode.BadInput})
}

/** yaml's messages carry "at line N, column M" which we already give as file:line:col. */
function yamlMessage(m: string): string {
  return m.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
}

/** Offset in the text of the YAML node an issue path names (nearest existing ancestor). */
function offsetOf(doc: Document, iss: SpecIssue): number {
  let node: unknown = doc.contents
  let keyNode: YamlNode | undefined
  for (const step of iss.path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step))
      if (!pair) break
      keyNode = pair.key as YamlNode
      node = pair.value ?? pair.key
    } else if (isSeq(node) && typeof step === 'number' && step < node.items.length) {
      keyNode = undefined
      node = node.items[step]
    } else break
  }
  const target = (iss.atKey && keyNode) || (node as YamlNode | null)
  return target?.range?.[0] ?? 0
}

/** Keys allowed at a path of the spec schema, for did-you-mean. */
function knownKeysAt(path: (string | number)[]): string[] {
  const keys = new Set<string>()
  const visit = (schema: z.core.$ZodType | undefined, rest: (string | number)[], depth: number): void => {
    if (!schema || depth > 40) return
    const def = schema._zod.def as unknown as Record<string, unknown> & {type: string}
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'nonoptional':
      case 'catch':
        return visit(def.innerType as z.core.$ZodType, rest, depth + 1)
      case 'pipe':
        return visit(def.in as z.core.$ZodType, rest, depth + 1)
      case 'lazy':
        return visit((def.getter as () => z.core.$ZodType)(), rest, depth + 1)
      case 'union':
        for (const o of def.options as z.core.$ZodType[]) visit(o, rest, depth + 1)
        return
      case 'array':
        if (rest.length === 0) return
        return visit(def.element as z.core.$ZodType, rest.slice(1), depth + 1)
      case 'record':
        if (rest.length === 0) return
        return visit(def.valueType as z.core.$ZodType, rest.slice(1), depth + 1)
      case 'object': {
        const shape = def.shape as Record<string, z.core.$ZodType>
        if (rest.length === 0) {
          for (const k of Object.keys(shape)) if (k !== '$schema') keys.add(k)
          return
        }
        return visit(shape[String(rest[0])], rest.slice(1), depth + 1)
      }
      default:
        return
    }
  }
  visit(ClusterSpecSchema, path, 0)
  return [...keys].sort()
}

/** `~/x` is in the home directory, a relative path is relative to the spec file. */
const anchor = (base: string, p: string | undefined): string | undefined => {
  if (p === undefined || isAbsolute(p)) return p
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1))
  return resolve(base, p)
}

/** Make the spec's file paths absolute (ssh files, identity files, file: secrets). */
function anchorPaths(spec: ClusterSpec, base: string): ClusterSpec {
  const out = structuredClone(spec)
  if (out.ssh) {
    out.ssh.configFile = anchor(base, out.ssh.configFile)
    out.ssh.knownHostsFile = anchor(base, out.ssh.knownHostsFile)
  }
  if (out.defaults?.ssh) out.defaults.ssh.identityFile = anchor(base, out.defaults.ssh.identityFile)
  for (const n of out.nodes) if (n.ssh) n.ssh.identityFile = anchor(base, n.ssh.identityFile)
  for (const i of out.instances) {
    if (i.auth?.pass.startsWith('file:')) i.auth.pass = `file:${anchor(base, i.auth.pass.slice(5))}`
  }
  if (out.$schema !== undefined) delete out.$schema
  return out
}

