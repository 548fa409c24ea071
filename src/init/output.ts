import {createHash} from 'node:crypto'
import {chmodSync, existsSync, lstatSync, readFileSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'
import {createTwoFilesPatch} from 'diff'
import {HalError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {nameWriteFlag, writeFilesSafe} from '../lib/safe-write.js'
import type {RenderedCluster} from '../spec/index.js'

/**
 * The files `halctl init -s spec -o out/` owns: out/<node>/keepalived.conf and
 * out/<node>/scripts/<absolute path on the node>. A manifest of what halctl
 * last wrote lets it tell its own files from files somebody edited since.
 */
export const MANIFEST = '.halctl-manifest.json'

export type FileAction = 'create' | 'update' | 'unchanged' | 'overwrite'

export interface PlannedFile {
  /** relative to the output directory */
  path: string
  /** where the file goes on the node */
  target: string
  node: string
  mode: number
  content: string
  action: FileAction
  /** the file is there and differs from what halctl last wrote */
  editedSinceWritten: boolean
  /** current content when the file exists */
  current?: string
}

interface Manifest {
  version: 1
  files: Record<string, string>
}

const lstatOrUndefined = (p: string) => {
  try {
    return lstatSync(p)
  } catch {
    return undefined
  }
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

function readManifest(outDir: string): Manifest {
  const p = join(outDir, MANIFEST)
  if (!existsSync(p)) return {version: 1, files: {}}
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as Manifest
    return m && typeof m.files === 'object' ? m : {version: 1, files: {}}
  } catch {
    return {version: 1, files: {}}
  }
}

/** What writing `rendered` into `outDir` would do to each file. Reads, never writes. */
export function planOutput(rendered: RenderedCluster, outDir: string): PlannedFile[] {
  const manifest = readManifest(outDir)
  const files: PlannedFile[] = []
  for (const node of rendered.nodes) {
    const wanted = [
      {path: join(node.name, 'keepalived.conf'), target: '/etc/keepalived/keepalived.conf', content: node.text, mode: 0o600},
      ...node.scripts.map((s) => ({path: join(node.name, 'scripts', s.path.replace(/^\/+/, '')), target: s.path, content: s.content, mode: s.mode})),
    ]
    for (const w of wanted) {
      const abs = join(outDir, w.path)
      if (relative(resolve(outDir), resolve(abs)).startsWith('..')) {
        throw new HalError('OUTPUT_PATH', `refusing to write ${w.path} outside ${outDir}`, {exitCode: ExitCode.BadInput})
      }
      let current: string | undefined
      const st = lstatOrUndefined(abs)
      if (st) {
        if (st.isDirectory()) throw new HalError('OUTPUT_PATH', `${abs} is a directory; halctl writes a file there`, {exitCode: ExitCode.BadInput})
        // never read (nor later write) through a link or a special file planted in the output tree
        if (!st.isFile()) throw new HalError('UNSAFE_PATH', `${abs} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; halctl never writes through one`, {
          hint: 'remove it and run init again',
          exitCode: ExitCode.BadInput,
        })
        current = readFileSync(abs, 'utf8')
      }
      const written = manifest.files[w.path]
      const editedSinceWritten = current !== undefined && current !== w.content && written !== sha256(current)
      const action: FileAction =
        current === undefined ? 'create' : current === w.content ? 'unchanged' : editedSinceWritten ? 'overwrite' : 'update'
      files.push({...w, node: node.name, action, editedSinceWritten, current})
    }
  }
  return files
}

/** Unified diff of one planned file against what is there now. */
export function fileDiff(f: PlannedFile): string {
  if (f.action === 'unchanged') return ''
  return createTwoFilesPatch(f.current === undefined ? '/dev/null' : `a/${f.path}`, `b/${f.path}`, f.current ?? '', f.content, undefined, undefined, {context: 3})
}

/**
 * Write the plan. Files edited by hand since halctl wrote them stop the whole
 * write (nothing is touched) unless `force`. Writes are atomic per file.
 */
export function applyOutput(files: PlannedFile[], outDir: string, opts: {force?: boolean} = {}): void {
  const edited = files.filter((f) => f.editedSinceWritten)
  if (edited.length > 0 && !opts.force) {
    throw new HalError('OUTPUT_EDITED', `${edited.length} file(s) in ${outDir} changed since halctl wrote them: ${edited.map((f) => f.path).join(', ')}`, {
      hint: 'move your edits into the spec (or its raw: escape hatch), or run again with --force to overwrite them',
      exitCode: ExitCode.BadInput,
    })
  }
  try {
    writeFiles(files, outDir)
  } catch (e) {
    if (e instanceof HalError) throw nameWriteFlag(e, '-o')
    const err = e as NodeJS.ErrnoException
    throw new HalError('OUTPUT_WRITE', `cannot write into ${outDir}: ${err.code ?? ''} ${err.path ?? err.message}`.trim(), {
      hint: 'give -o a directory you can write to',
      exitCode: ExitCode.BadInput,
      cause: e,
    })
  }
}

/** All or nothing: the changed files and the manifest go to disk first, then into place together (a full disk changes nothing). */
function writeFiles(files: PlannedFile[], outDir: string): void {
  const manifest = readManifest(outDir)
  const writes: Parameters<typeof writeFilesSafe>[0] = []
  for (const f of files) {
    const abs = join(outDir, f.path)
    if (f.action !== 'unchanged') writes.push({path: abs, data: f.content, opts: {mode: f.mode, root: outDir}})
    else {
      const st = lstatSync(abs)
      if (!st.isFile()) throw new HalError('UNSAFE_PATH', `${abs} is not a regular file; halctl never writes through one`, {exitCode: ExitCode.BadInput})
    }
    manifest.files[f.path] = sha256(f.content)
  }
  const sorted: Manifest = {version: 1, files: Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => a.localeCompare(b)))}
  writes.push({path: join(outDir, MANIFEST), data: `${JSON.stringify(sorted, null, 2)}\n`, opts: {mode: 0o644, root: outDir}})
  writeFilesSafe(writes)
  // modes of unchanged files: after the content, so a failed write leaves them as they were too
  for (const f of files) {
    if (f.action !== 'unchanged') continue
    const abs = join(outDir, f.path)
    if ((lstatSync(abs).mode & 0o777) !== f.mode) chmodSync(abs, f.mode)
  }
}
