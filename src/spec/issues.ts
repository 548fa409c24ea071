import {closest, distance} from 'fastest-levenshtein'
import type {z} from 'zod'

/** One problem in a spec, before it is placed at file:line:col. */
export interface SpecIssue {
  path: (string | number)[]
  message: string
  /** point at the key of the last path element rather than its value (unknown keys) */
  atKey?: boolean
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
      return `must be ${(iss.values as unknown[]).map((v) => JSON.stringify(v)).join(', ').replace(/, ([^,]*)$/, ' or $1')}; got ${describeValue(input)}`
    case 'invalid_format':
      return `has the wrong format (${String(iss.format)})`
    case 'invalid_union': {
      const d = (iss as {discriminator?: string; options?: unknown[]}).discriminator
      if (d) return `must be one of ${((iss as {options?: unknown[]}).options ?? []).map(String).join(', ')}`
      const desc = (iss.inst as {description?: string} | undefined)?.description
      return desc ? `expected ${desc}; got ${describeValue(input)}` : `has the wrong form; got ${describeValue(input)}`
    }
    default:
      return undefined
  }
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
        const near = known.length ? closest(key, known) : undefined
        const hint = near && similar(key, near) ? `; did you mean "${near}"?` : known.length ? `; allowed here: ${known.join(', ')}` : ''
        out.push({path: [...path, key], message: `unknown key "${key}"${hint}`, atKey: true})
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
    out.push({path, message: iss.message})
  }
  return out
}

function similar(a: string, b: string): boolean {
  const la = a.toLowerCase()
  const lb = b.toLowerCase()
  if (la === lb || la.includes(lb) || lb.includes(la)) return true
  return distance(la, lb) <= Math.max(2, Math.ceil(Math.max(la.length, lb.length) * 0.4))
}
