#!/usr/bin/env node
// Writes man/halctl.1 and man/halctl-<command>.1 (lab commands: halctl-lab-up.1, ...) from the
// same help text `halctl COMMAND --help` prints (oclif's help formatter, 72 columns, no colour),
// so the man pages never disagree with --help. Run by `npm run build`; npm installs them with -g.
import {Config, Help} from '@oclif/core'
import {mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const config = await Config.load({root})
class ManHelp extends Help {
  command(cmd) {
    return this.formatCommand(cmd)
  }
  root() {
    return this.formatRoot() + '\n' + this.formatTopics(this.sortedTopics.filter((t) => !t.hidden)) + '\n' + this.formatCommands(this.sortedCommands.filter((c) => !c.hidden))
  }
}
const help = new ManHelp(config, {maxWidth: 72, stripAnsi: true})
const strip = (s) => s.replace(/\u001B\[[0-9;]*m/g, '')
// roff: a backslash is \e; a line starting with . or ' is a request unless escaped
const roff = (line) => line.replace(/\\/g, '\\e').replace(/^([.'])/, '\\&$1')

/** help text -> man page: each capitalised heading becomes a section, its body kept as laid out. */
function page(name, summary, text) {
  const out = [`.TH ${name.toUpperCase()} 1 "" "halctl ${config.version}" "halctl manual"`, '.SH NAME', `${name} \\- ${roff(summary)}`]
  let open = false
  for (const line of strip(text).split('\n')) {
    const heading = /^([A-Z][A-Z ]+)$/.exec(line)
    if (heading) {
      if (open) out.push('.fi')
      out.push(`.SH ${heading[1]}`, '.nf')
      open = true
    } else if (open) out.push(roff(line.replace(/^ {2}/, '')))
  }
  if (open) out.push('.fi')
  return out.join('\n') + '\n'
}

const dir = join(root, 'man')
mkdirSync(dir, {recursive: true})
for (const f of readdirSync(dir)) if (f.endsWith('.1')) rmSync(join(dir, f))
const rootSummary = config.pjson.description ?? 'halctl'
writeFileSync(join(dir, 'halctl.1'), page('halctl', rootSummary, help.root()))
const written = ['halctl.1']
for (const cmd of config.commands.filter((c) => !c.hidden && c.pluginName === config.name)) {
  const name = `halctl-${cmd.id.replace(/[: ]/g, '-')}`
  writeFileSync(join(dir, `${name}.1`), page(name, cmd.summary ?? cmd.description?.split('\n')[0] ?? '', help.command(cmd)))
  written.push(`${name}.1`)
}
console.log(`man: ${written.length} pages in man/`)
// npm installs only the pages package.json's "man" lists: say when a command was added or removed
const listed = (config.pjson.man ?? []).map((m) => m.replace(/^\.\/man\//, '')).sort()
if (JSON.stringify(listed) !== JSON.stringify([...written].sort()))
  console.warn(`man: package.json "man" should list exactly: ${[...written].sort().map((w) => `./man/${w}`).join(', ')}`)
