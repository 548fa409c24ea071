import {HalError} from '../lib/errors.js'

/**
 * The lexer-exact writer: how a value must be written so that keepalived
 * 2.2.7's reader (lib/parser.c: read_line, decomment, the `{`/`}` split,
 * alloc_strvec_r; and alloc_strvec_quoted_escaped, applied twice, for script
 * command lines) gives back exactly that value as one word. A value it cannot
 * write exactly is refused with a HalError; nothing is ever rewritten.
 *
 * What keepalived does to a line, in order:
 * - reads at most MAXBUF-1 = 1023 bytes per fgets: a longer line is cut in two;
 * - decomment: `!` or `#` outside `"` starts a comment, `\#` `\!` outside `"`
 *   lose the backslash, a `\` at the end continues the line;
 * - a line starting with `@`, `$NAME=`, `~SEQ`/`~LST` or `include` is special;
 *   `$NAME`/`${NAME}` anywhere is replaced when NAME is defined (`_PWD`, `_HASH`, ... always are);
 * - the first `{` or `}` outside `"` ends the line (the rest is the next line);
 * - words are split at " \t\f\n\r\v"; a word starting with `"` runs to the next
 *   `"` (no escapes), any other word stops at whitespace or `"`;
 * - script command lines are read again with `'` and `"` quotes and `\` escapes.
 */

/** Longest line keepalived reads whole: fgets(buf, MAXBUF=1024) keeps 1023 bytes, newline included. */
export const MAX_LINE_BYTES = 1022

/** Characters that end or change a bare word: whitespace, quotes, comment starts, braces, backslash. */
const NEEDS_QUOTES = /[ \t'!#{}]/
const NEVER = /[\0-\x08\x0a-\x1f\x7f"\\]/
/** A command line: words of plain characters separated by single spaces, as keepalived runs it (no shell). */
const COMMAND_CHAR = /^[^\0-\x1f\x7f"'\\]+$/
const INCLUDE = /^include[rmwba]?$/

export class UnrepresentableValue extends HalError {
  constructor(what: string, why: string) {
    super('CONFIG_UNREPRESENTABLE', `${what} cannot be written to keepalived.conf exactly: ${why}`, {
      hint: 'change the value in the spec; halctl never rewrites a value keepalived would read differently',
    })
  }
}

/** Why a value cannot be one keepalived word, or undefined when it can. Never quotes the value (it may be a secret). */
export function wordProblem(value: string): string | undefined {
  if (/\n|\r/.test(value)) return 'it contains a line break'
  if (value.includes('"')) return 'it contains a double quote, which keepalived cannot read inside a word'
  if (value.includes('\\')) return 'it contains a backslash, which keepalived treats as an escape or line continuation'
  if (/\$[A-Za-z0-9_{]/.test(value)) return 'it contains "$" followed by a letter, digit, "_" or "{", which keepalived replaces by a definition ($_HASH, ${_PWD}, ...)'
  // eslint-disable-next-line no-control-regex
  if (NEVER.test(value)) return 'it contains a control character'
  if (Buffer.byteLength(value) > MAX_LINE_BYTES - 8) return `it is longer than keepalived reads on one line (${MAX_LINE_BYTES} bytes)`
  return undefined
}

/** Why a value cannot be one keepalived command line, or undefined when it can. */
export function commandProblem(value: string): string | undefined {
  const w = wordProblem(value)
  if (w) return w
  if (!COMMAND_CHAR.test(value)) return "it contains a quote or a control character, which keepalived's command reader interprets"
  if (/^ | $| {2}|\t/.test(value)) return 'words must be separated by single spaces (no tab, no leading or trailing space)'
  return undefined
}

/** One argument, bare when keepalived reads it bare, else in double quotes. */
export function confWord(value: string, what = 'a value'): string {
  const p = wordProblem(value)
  if (p) throw new UnrepresentableValue(what, p)
  return value === '' || NEEDS_QUOTES.test(value) ? `"${value}"` : value
}

/** A script command line (notify_*, script, misc_path, quorum_up/down): one double-quoted word. */
export function confCommand(value: string, what = 'a command line'): string {
  const p = commandProblem(value)
  if (p) throw new UnrepresentableValue(what, p)
  return `"${value}"`
}

/** The first word of a line: always bare, never one of the line-start forms keepalived treats specially. */
export function confKeyword(value: string, what = 'a keyword'): string {
  const p = wordProblem(value)
  if (p) throw new UnrepresentableValue(what, p)
  if (value === '' || NEEDS_QUOTES.test(value)) throw new UnrepresentableValue(what, 'a keyword is one word without spaces, quotes, braces, "#" or "!"')
  if (/^[@$~]/.test(value)) throw new UnrepresentableValue(what, 'a line starting with "@", "$" or "~" is a conditional, definition or sequence to keepalived')
  if (INCLUDE.test(value)) throw new UnrepresentableValue(what, '"include" lines are not written by halctl')
  return value
}

/** A whole line: checks it fits in what keepalived reads at once. */
export function confLine(text: string, what = 'a line'): string {
  if (Buffer.byteLength(text) > MAX_LINE_BYTES) throw new UnrepresentableValue(what, `the line is longer than keepalived reads at once (${MAX_LINE_BYTES} bytes)`)
  return text
}
