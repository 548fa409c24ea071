import type {SourceLoc} from '../model.js'
import {blocksDefining, keywordSpec, suggestKeyword, type BlockName, type KeywordSpec} from '../keywords.js'
import type {Finding} from '../../lib/findings.js'
import type {LogicalLine} from './lines.js'

/**
 * Stage 2: logical lines to a statement tree, built the way keepalived reads
 * its config. Braces are tokens anywhere on a line; only keywords that open a
 * block in the current context take a `{` (a `{` after any other keyword is
 * "unexpected" and ignored, so the next `}` closes the enclosing block, as in
 * keepalived). Unknown keywords are reported with a did-you-mean.
 */

export interface Statement {
  keyword: string
  args: string[]
  /** the context this statement was read in */
  context: BlockName
  /** children when the keyword opens a block */
  block?: Statement[]
  /** context of the children */
  blockContext?: BlockName
  loc: SourceLoc
  /** where the block's `}` was */
  end?: SourceLoc
  /** the keyword is not valid in its context */
  unknown?: boolean
}

interface Frame {
  context: BlockName
  items: Statement[]
  owner?: Statement
  /** opened at end of line: the next token should be `{` */
  expectBrace: boolean
}

/** keepalived's deepest real nesting is 4 (virtual_server > real_server > HTTP_GET > url) */
const MAX_DEPTH = 32

export interface TreeResult {
  statements: Statement[]
  diagnostics: Finding[]
}

const where = (s: {loc: SourceLoc}) => ({file: s.loc.file, line: s.loc.line})

export function buildTree(lines: LogicalLine[]): TreeResult {
  const diagnostics: Finding[] = []
  const root: Frame = {context: 'top', items: [], expectBrace: false}
  const stack: Frame[] = [root]
  const top = () => stack[stack.length - 1]

  const open = (stmt: Statement, spec: KeywordSpec | undefined, expectBrace: boolean) => {
    const context = stack.length > MAX_DEPTH ? 'list' : (spec?.block ?? 'opaque')
    if (stack.length === MAX_DEPTH + 1) {
      diagnostics.push({rule: 'too-deep', severity: 'error', message: `blocks nested deeper than ${MAX_DEPTH} levels`, ...where(stmt), fix: 'check the braces'})
    }
    stmt.block = []
    stmt.blockContext = context
    if (spec && !spec.named && stmt.args.length > 0) {
      diagnostics.push({
        rule: 'block-extra-args',
        severity: 'error',
        message: `block ${stmt.keyword} takes no parameters, got "${stmt.args.join(' ')}"`,
        ...where(stmt),
        fix: `write the items inside braces: ${stmt.keyword} { ${stmt.args.join(' ')} }`,
      })
    }
    stack.push({context, items: stmt.block, owner: stmt, expectBrace})
  }

  const classify = (stmt: Statement): KeywordSpec | undefined => {
    const ctx = stmt.context
    if (ctx === 'list' || ctx === 'opaque') return undefined
    const spec = keywordSpec(ctx, stmt.keyword)
    if (!spec) {
      stmt.unknown = true
      const guess = suggestKeyword(ctx, stmt.keyword)
      const elsewhere = blocksDefining(stmt.keyword, ctx)
      const hint = guess
        ? `did you mean "${guess}"?`
        : elsewhere.length > 0
          ? `"${stmt.keyword}" belongs in ${elsewhere.join(' or ')}; check the braces above`
          : undefined
      diagnostics.push({
        rule: 'unknown-keyword',
        severity: 'error',
        message: `unknown keyword "${stmt.keyword}" in ${ctx === 'top' ? 'the top level' : ctx}${hint ? `; ${hint}` : ''}`,
        ...where(stmt),
        fix: guess ? `replace with ${guess}` : 'remove it or move it to the block it belongs to',
      })
    }
    return spec
  }

  /** End a statement: add it to the current block; a block keyword opens its block. */
  const finish = (stmt: Statement | undefined, byBrace: boolean): void => {
    if (!stmt) return
    const frame = top()
    frame.items.push(stmt)
    const spec = classify(stmt)
    if (byBrace) {
      if (spec?.block || frame.context === 'opaque') open(stmt, spec, false)
      else {
        diagnostics.push({
          rule: 'unexpected-brace',
          severity: 'error',
          message: `"${stmt.keyword}" does not open a block; keepalived ignores this "{" and the next "}" closes the enclosing block`,
          ...where(stmt),
          fix: stmt.unknown ? 'fix the keyword name' : 'remove the "{"',
        })
      }
    } else if (spec?.block) open(stmt, spec, true)
  }

  const missingBrace = (frame: Frame) => {
    frame.expectBrace = false
    const owner = frame.owner as Statement
    diagnostics.push({
      rule: 'missing-open-brace',
      severity: 'error',
      message: `block ${owner.keyword} has no "{"; keepalived reads the following lines as its contents`,
      ...where(owner),
      fix: `write "${owner.keyword} ${owner.args.join(' ')}${owner.args.length ? ' ' : ''}{" and close it with "}"`,
    })
  }

  for (const ln of lines) {
    let cur: Statement | undefined
    for (const tok of ln.tokens) {
      const loc = {file: ln.file, line: ln.line}
      const frame = top()
      if (!tok.quoted && tok.text === '{') {
        if (cur) {
          finish(cur, true)
          cur = undefined
        } else if (frame.expectBrace) {
          frame.expectBrace = false
        } else if (frame.context === 'opaque') {
          finish({keyword: '', args: [], context: 'opaque', loc}, true)
        } else {
          diagnostics.push({rule: 'unexpected-brace', severity: 'error', message: 'unexpected "{" (keepalived ignores it)', ...loc, fix: 'remove it'})
        }
        continue
      }
      if (frame.expectBrace) missingBrace(frame)
      if (!tok.quoted && tok.text === '}') {
        finish(cur, false)
        cur = undefined
        const closing = top()
        if (closing.expectBrace) missingBrace(closing)
        if (stack.length === 1) {
          diagnostics.push({rule: 'extra-brace', severity: 'error', message: 'extra "}" with no block open', ...loc, fix: 'remove it or add the missing "{" above'})
        } else {
          const f = stack.pop() as Frame
          if (f.owner) f.owner.end = loc
        }
        continue
      }
      if (cur) cur.args.push(tok.text)
      else cur = {keyword: tok.text, args: [], context: frame.context, loc}
    }
    finish(cur, false)
  }
  while (stack.length > 1) {
    const f = stack.pop() as Frame
    const owner = f.owner as Statement
    diagnostics.push({
      rule: 'missing-close-brace',
      severity: 'error',
      message: `block ${owner.keyword} ${owner.args.join(' ')} is never closed`.replace(/\s+is/, ' is'),
      ...where(owner),
      fix: 'add the missing "}"',
    })
  }
  return {statements: root.items, diagnostics}
}
