import type Handlebars from 'handlebars'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {HalError} from '../lib/errors.js'
import {pidFiles} from '../deploy/paths.js'
import {templates, templatesDir} from '../keepalived/render.js'
import type {TemplatedScriptSpec} from './schema.js'

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

const DEFAULT_PARAMS: Record<TemplatedScriptSpec['template'], Record<string, string | number | boolean>> = {
  // onFail: weight (exit 1, keepalived lowers the priority by the script's weight) or stop (also stop keepalived)
  check_web: {service: 'nginx', url: 'http://127.0.0.1/', restart: true, timeout: 1, onFail: 'weight'},
  fence: {settle: 3, action: 'stop'},
  notify: {stateDir: '/run/halctl'},
}

/** Params that take one of a few words, per template. */
const PARAM_CHOICES: Partial<Record<TemplatedScriptSpec['template'], Record<string, readonly string[]>>> = {
  check_web: {onFail: ['weight', 'stop'], restart: ['true', 'false']},
  fence: {action: ['stop']},
}

/** What each template runs that a node may lack (checked by deploy against the node's facts). */
export const SCRIPT_REQUIRES: Partial<Record<TemplatedScriptSpec['template'], string[]>> = {
  fence: ['arping', 'tcpdump'],
}

const compiled = new Map<string, Handlebars.TemplateDelegate>()

function scriptTemplate(name: string): Handlebars.TemplateDelegate {
  let t = compiled.get(name)
  if (!t) {
    const {env} = templates()
    if (!env.partials.service) env.registerPartial('service', env.compile(readFileSync(join(templatesDir(), 'scripts', '_service.sh.hbs'), 'utf8'), {noEscape: true, strict: true}))
    t = env.compile(readFileSync(join(templatesDir(), 'scripts', `${name}.sh.hbs`), 'utf8'), {noEscape: true, strict: true})
    compiled.set(name, t)
  }
  return t
}

export const scriptFileName = (s: TemplatedScriptSpec): string => s.file ?? `${s.template}.sh`

/** Render a templated script for one node. */
export function renderScriptFile(s: TemplatedScriptSpec, scriptsDir: string, ctx: ScriptContext): ScriptFile {
  const params = {...DEFAULT_PARAMS[s.template], ...(s.params ?? {})}
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' && /['\n\\]/.test(v)) {
      throw new HalError('SPEC_INVALID', `script ${s.template}: param ${k} may not hold quotes, backslashes or newlines`)
    }
    const choices = PARAM_CHOICES[s.template]?.[k]
    if (choices && !choices.includes(String(v))) throw new HalError('SPEC_INVALID', `script ${s.template}: param ${k} is ${JSON.stringify(v)}; use one of: ${choices.join(', ')}`)
  }
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
