import {closest, distance} from 'fastest-levenshtein'
import type {z} from 'zod'

/** One problem in a spec, before it is placed at file:line:col. */
export interface SpecIssue {
  path: (string | number)[]
  message: string
  /** point at the key of the last path element rather than its value (unknown keys) */
  atKey?: boolean
  /** for unknown keys: the allowed key it was probably meant to be */
  suggestion?: string
  /** a required key is absent */
  missing?: boolean
}

/** "instances[0].vips[1]" */
export function formatPath(path: readonly (string | number | symbol)[]): string {
  let out = ''
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`
    else out += out ? `.${String(p)}` : String(p)
  }
  return out || '(top level)'
}

const describeValue = (v: unknown): string => {
  if (v === null) return 'null'
  if (v === undefined) return 'nothing'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)}`
  return `${typeof v} ${String(v)}`
}

const article = (t: string): string => {
  const words: Record<string, string> = {object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false'}
  return words[t] ?? t
}

/** Per-parse zod error map: plain messages for issues whose schema gave none. */
export const specErrorMap = (iss: z.core.$ZodRawIssue): string | undefined => {
  const input = (iss as {input?: unknown}).input
  switch (iss.code) {
    case 'invalid_type':
      if (input === undefined) return `is required (${article(String(iss.expected))})`
      return `expected ${article(String(iss.expected))}, got ${describeValue(input)}`
    case 'too_big':
      if (iss.origin === 'array') return `has more than ${String(iss.maximum)} entries`
      if (iss.origin === 'string') return `is longer than ${String(iss.maximum)} characters`
      return `must be ${iss.inclusive === false ? '<' : '<='} ${String(iss.maximum)}`
    case 'too_small':
      if (iss.origin === 'array') return `needs at least ${String(iss.minimum)} ${Number(iss.minimum) === 1 ? 'entry' : 'entries'}`
      if (iss.origin === 'string') return Number(iss.minimum) === 1 ? 'must not be empty' : `needs at least ${String(iss.minimum)} characters`
      return `must be ${iss.inclusive === false ? '>' : '>='} ${String(iss.minimum)}`
    case 'invalid_value':
      return `must be ${(iss.values as unknown[]).map((v) => JSON.stringify(v)).join(', ').replace(/, ([^,]*)$/, ' or $1')}; got ${describeValue(input)}${meantValue(input, iss.values as unknown[])}`
    case 'invalid_format':
      return `has the wrong format (${String(iss.format)})`
    case 'invalid_union': {
      const d = (iss as {discriminator?: string; options?: unknown[]}).discriminator
      if (d) {
        const options = (iss as {options?: unknown[]}).options ?? []
        return `must be one of ${options.map(String).join(', ')}${meantValue(input, options)}`
      }
      const desc = (iss.inst as {description?: string} | undefined)?.description
      return desc ? `expected ${desc}; got ${describeValue(input)}` : `has the wrong form; got ${describeValue(input)}`
    }
    default:
      return undefined
  }
}

const meantValue = (input: unknown, values: unknown[]): string => {
  if (typeof input !== 'string') return ''
  const near = suggest(input, values.filter((v): v is string => typeof v === 'string'))
  return near && near !== input ? ` (did you mean "${near}"?)` : ''
}

type ZodIssue = z.core.$ZodIssue

/**
 * zod issues as spec issues: unions report the branch the value was meant for
 * (the one whose shape matches), unknown keys become one issue each with a
 * did-you-mean against the keys allowed there.
 */
export function fromZodIssues(issues: readonly ZodIssue[], knownKeysAt: (path: (string | number)[]) => string[], base: (string | number)[] = []): SpecIssue[] {
  const out: SpecIssue[] = []
  for (const iss of issues) {
    const path = [...base, ...(iss.path as (string | number)[])]
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeysAt(path)
      for (const key of iss.keys) {
        const near = suggest(key, known)
        const hint = near ? `; did you mean "${near}"?` : known.length ? `; allowed here: ${known.join(', ')}` : ''
        out.push({path: [...path, key], message: `unknown key "${key}"${hint}`, atKey: true, suggestion: near})
      }
      continue
    }
    if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      // branches that failed only deeper than the root are the ones the user meant
      const meant = iss.errors.filter((branch) => !branch.some((e) => e.path.length === 0 && e.code === 'invalid_type'))
      if (meant.length === 1) {
        out.push(...fromZodIssues(meant[0], knownKeysAt, path))
        continue
      }
    }
    const missing = iss.code === 'invalid_type' && (iss as {input?: unknown}).input === undefined
    out.push({path, message: iss.message, missing})
  }
  return mergeMisspelt(out)
}

/** The allowed key a misspelt key most likely meant, if any is close enough. */
export function suggest(key: string, known: string[]): string | undefined {
  if (known.length === 0) return undefined
  const norm = (k: string) => k.toLowerCase().replace(/[_-]/g, '')
  const byNorm = new Map(known.map((k) => [norm(k), k]))
  const exact = byNorm.get(norm(key))
  if (exact) return exact
  const prefixed = known.filter((k) => norm(k).startsWith(norm(key)) || norm(key).startsWith(norm(k)))
  if (prefixed.length === 1) return prefixed[0]
  const near = byNorm.get(closest(norm(key), [...byNorm.keys()]))
  return near && similar(norm(key), norm(near)) ? near : undefined
}

/**
 * One message per problem: a required key reported missing next to an unknown
 * key that was meant to be it is the same mistake, told once by the unknown key.
 */
export function mergeMisspelt(issues: SpecIssue[]): SpecIssue[] {
  const meant = new Set(issues.filter((i) => i.atKey && i.suggestion).map((i) => [...i.path.slice(0, -1), i.suggestion].join('\u0000')))
  return issues.filter((i) => !(i.missing && meant.has(i.path.join('\u0000'))))
}

function similar(a: string, b: string): boolean {
  const la = a.toLowerCase()
  const lb = b.toLowerCase()
  if (la === lb || la.includes(lb) || lb.includes(la)) return true
  return distance(la, lb) <= Math.max(2, Math.ceil(Math.max(la.length, lb.length) * 0.4))
}
