import {SERVICE_MANAGER_SH} from '../host/service-manager.js'
import type Handlebars from 'handlebars'
import type {z} from 'zod'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {HalError} from '../lib/errors.js'
import {pidFiles} from '../host/paths.js'
import {templates, templatesDir} from '../keepalived/render.js'
import {SCRIPT_PARAMS, type ScriptTemplateName, type TemplatedScriptSpec} from './schema.js'

/** A file a node's keepalived.conf refers to, as it should be on the node. */
export interface ScriptFile {
  /** absolute path on the node */
  path: string
  content: string
  mode: number
  /** commands the script cannot do its job without; deploy refuses a node that lacks one */
  requires?: string[]
}

/** What script templates see about the node they are written for. */
export interface ScriptContext {
  cluster: string
  node: {name: string; address: string}
  peers: {name: string; address: string}[]
  instances: {name: string; vrid: number; advertInt: number; priority: number; interface: string; state: string; designated: 'yes' | 'no'; vips: string[]; vips4: string[]}[]
}

const DEFAULT_PARAMS: {[T in ScriptTemplateName]: Required<z.output<(typeof SCRIPT_PARAMS)[T]>>} = {
  // onFail: weight (exit 1, keepalived lowers the priority by the script's weight) or stop (also stop keepalived)
  check_web: {service: 'nginx', url: 'http://127.0.0.1/', restart: true, timeout: 1, onFail: 'weight'},
  fence: {settle: 3, action: 'stop'},
  notify: {stateDir: '/run/halctl'},
}

/** What each template runs that a node may lack (checked by deploy against the node's facts). */
export const SCRIPT_REQUIRES: Partial<Record<ScriptTemplateName, string[]>> = {
  fence: ['arping', 'tcpdump'],
}

/** The compiled template (no parameter checks: renderScriptFile checks them). */
const compiled = new Map<string, Handlebars.TemplateDelegate>()

export function scriptTemplate(name: string): Handlebars.TemplateDelegate {
  let t = compiled.get(name)
  if (!t) {
    const {env} = templates()
    if (!env.partials.serviceManager) env.registerPartial('serviceManager', `${SERVICE_MANAGER_SH}\n`)
    if (!env.partials.service) env.registerPartial('service', env.compile(readFileSync(join(templatesDir(), 'scripts', '_service.sh.hbs'), 'utf8'), {noEscape: true, strict: true}))
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
  const view = {
    ...ctx,
    // how long the fence listens for another master: three adverts, at least 2 s
    instances: ctx.instances.map((i) => ({...i, listen: Math.max(2, Math.ceil(3 * i.advertInt) + 1)})),
    pidFile: pidFiles(ctx.node.name).main,
    params,
  }
  const requires = SCRIPT_REQUIRES[s.template]
  return {path: `${scriptsDir.replace(/\/+$/, '')}/${scriptFileName(s)}`, content: scriptTemplate(s.template)(view), mode: 0o755, ...(requires ? {requires} : {})}
}
