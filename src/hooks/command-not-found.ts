import type {Hook} from '@oclif/core'

/**
 * `halctl stauts`: name the closest command (as git does) and exit 127, the
 * shell's "command not found", without asking and without running anything.
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  const {suggest} = await import('../spec/issues.js')
  const sep = opts.config.topicSeparator
  const visible = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const topics = opts.config.topics.filter((t) => !t.hidden).map((t) => t.name)
  const typed = opts.id.replaceAll(':', sep)
  const near = suggest(opts.id, [...visible, ...topics])
  const lines = [`halctl: "${typed}" is not a halctl command.`]
  if (near) lines.push(`Did you mean "${opts.config.bin} ${near.replaceAll(':', sep)}"?`)
  lines.push(`Run "${opts.config.bin} help" for the list of commands.`)
  process.stderr.write(`${lines.join('\n')}\n`)
  this.exit(127)
}

export default hook
