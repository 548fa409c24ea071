/**
 * POSIX shell quoting. Every argument that crosses to a remote shell goes
 * through shellQuote: it is wrapped in single quotes, and single quotes inside
 * become '\'' , so no `;`, `$()`, backticks or quotes can reach the shell as syntax.
 */
export function shellQuote(arg: string): string {
  if (arg === '') return "''"
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg
  return `'${arg.replace(/'/g, `'\\''`)}'`
}

export function shellJoin(argv: string[]): string {
  return argv.map(shellQuote).join(' ')
}
