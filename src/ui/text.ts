/**
 * Output that adapts to where it goes: on a terminal, its full width and
 * colour; into a pipe or a file, no wrapping and no colour; never colour with
 * NO_COLOR (https://no-color.org). One home for these decisions.
 */
/** Width for piped output: wide enough that ink never wraps a real line (diffs, tables). */
export const PIPE_COLUMNS = 1000

/** Columns to lay out for: the terminal's width on a TTY, else wide enough not to wrap. */
export function outputColumns(stream: NodeJS.WriteStream = process.stdout): number {
  return stream.isTTY && stream.columns ? stream.columns : PIPE_COLUMNS
}

/** Colour only on a terminal, never with NO_COLOR set (to anything but ""); FORCE_COLOR=0 too. */
export function colourEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return Boolean(stream.isTTY) && env.TERM !== 'dumb'
}

const SGR = {bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39]} as const
export type Style = keyof typeof SGR

/** `text` in a style when colour is on for stdout, else as is. */
export function paint(style: Style, text: string, on = colourEnabled()): string {
  return on ? `\u001B[${SGR[style][0]}m${text}\u001B[${SGR[style][1]}m` : text
}

/** A unified diff line coloured as `git diff` does (headers bold, - red, + green, @@ cyan). */
export function paintDiffLine(line: string, on = colourEnabled()): string {
  if (line.startsWith('+++') || line.startsWith('---')) return paint('bold', line, on)
  if (line.startsWith('+')) return paint('green', line, on)
  if (line.startsWith('-')) return paint('red', line, on)
  if (line.startsWith('@@')) return paint('cyan', line, on)
  return line
}
