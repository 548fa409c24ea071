import type Handlebars from 'handlebars'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {HalError} from '../lib/errors.js'
import {templates, templatesDir} from '../keepalived/render.js'
import type {TemplatedScriptSpec} from './schema.js'

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

const DEFAULT_PARAMS: Record<TemplatedScriptSpec['template'], Record<string, string | number | boolean>> = {
  check_web: {service: 'nginx', url: 'http://127.0.0.1/', restart: true, timeout: 2, settle: 2},
  fence: {settle: 3, action: 'stop'},
  notify: {stateDir: '/run/halctl'},
}

const compiled = new Map<string, Handlebars.TemplateDelegate>()

function scriptTemplate(name: string): Handlebars.TemplateDelegate {
  let t = compiled.get(name)
  if (!t) {
    const {env} = templates()
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
  }
  return {path: `${scriptsDir.replace(/\/+$/, '')}/${scriptFileName(s)}`, content: scriptTemplate(s.template)({...ctx, params}), mode: 0o755}
}
