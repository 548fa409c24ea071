import type Handlebars from 'handlebars'
import type {z} from 'zod'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {HalError} from '../lib/errors.js'
import {templates, templatesDir} from '../keepalived/render.js'
import {SCRIPT_PARAMS, type ScriptTemplateName, type TemplatedScriptSpec} from './schema.js'

/** A file a node's keepalived.conf refers to, as it should be on the node. */
export interface ScriptFile {
  /** absolute path on the node */
  path: string
  content: string
  mode: number
}

/** What script templates see about the node they are written for. */
export interface ScriptContext {
  cluster: string
  node: {name: string; address: string}
  peers: {name: string; address: string}[]
  instances: {name: string; interface: string; state: string; designated: 'yes' | 'no'; vips: string[]; vips4: string[]}[]
}

const DEFAULT_PARAMS: {[T in ScriptTemplateName]: Required<z.output<(typeof SCRIPT_PARAMS)[T]>>} = {
  check_web: {service: 'nginx', url: 'http://127.0.0.1/', restart: true, timeout: 2, settle: 2},
  fence: {settle: 3, action: 'stop'},
  notify: {stateDir: '/run/halctl'},
}

/** The compiled template (no parameter checks: renderScriptFile checks them). */
const compiled = new Map<string, Handlebars.TemplateDelegate>()

export function scriptTemplate(name: string): Handlebars.TemplateDelegate {
  let t = compiled.get(name)
  if (!t) {
    const {env} = templates()
    t = env.compile(readFileSync(join(templatesDir(), 'scripts', `${name}.sh.hbs`), 'utf8'), {noEscape: true, strict: true})
    compiled.set(name, t)
  }
  return t
}

export const scriptFileName = (s: TemplatedScriptSpec): string => s.file ?? `${s.template}.sh`

/** The first string in a template's input holding a control character (a line break would end a comment), by path. */
function controlCharAt(v: unknown, path: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (typeof v === 'string') return /[\0-\x1f\x7f]/.test(v) ? path : undefined
  if (Array.isArray(v)) return v.map((x, i) => controlCharAt(x, `${path}[${i}]`)).find(Boolean)
  if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => controlCharAt(x, path ? `${path}.${k}` : k)).find(Boolean)
  return undefined
}

/**
 * Render a templated script for one node. Parameters are typed by the spec
 * schema (SCRIPT_PARAMS) and checked again here; templates put every value in
 * the script through `{{sh ...}}` (one single-quoted shell word).
 */
export function renderScriptFile(s: TemplatedScriptSpec, scriptsDir: string, ctx: ScriptContext): ScriptFile {
  const checked = SCRIPT_PARAMS[s.template].safeParse(s.params ?? {})
  if (!checked.success) {
    throw new HalError('SPEC_INVALID', `script ${s.template}: ${checked.error.issues.map((i) => `params.${i.path.join('.')}: ${i.message}`).join('; ')}`)
  }
  const params = {...DEFAULT_PARAMS[s.template], ...checked.data}
  const bad = controlCharAt({...ctx, params}, '')
  if (bad) throw new HalError('SPEC_INVALID', `script ${s.template}: ${bad} contains a control character`)
  return {path: `${scriptsDir.replace(/\/+$/, '')}/${scriptFileName(s)}`, content: scriptTemplate(s.template)({...ctx, params}), mode: 0o755}
}
