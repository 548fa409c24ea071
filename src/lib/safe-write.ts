import {randomBytes} from 'node:crypto'
import {closeSync, constants, fchmodSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync} from 'node:fs'
import {basename, dirname, isAbsolute, join, relative, resolve, sep} from 'node:path'
import {HalError} from './errors.js'
import {ExitCode} from './exit-codes.js'

/**
 * The one way halctl writes a local file (init output, reports, pcaps, lab
 * files): an exclusive temp file with a random name in the target directory
 * (O_CREAT|O_EXCL|O_NOFOLLOW, so nothing planted there is opened or
 * followed), its mode set before any content, the content, fsync, then an
 * atomic rename over the target and an fsync of the directory. A symlink at
 * the target, or at a directory halctl creates below `root`, is refused.
 */
export interface SafeWriteOptions {
  /** file mode (default 0o644); set on the temp file before its content */
  mode?: number
  /**
   * a directory the caller trusts: the directories between it and the file are
   * created when missing and must be real directories (no symlink), so a link
   * planted inside an output tree cannot redirect a write
   */
  root?: string
}

/**
 * A failed local write as an error that says what to do: a full disk (or quota) names the file
 * and the directory to free; a read-only or forbidden place names the path. Other errors as they are.
 */
export function localWriteError(e: unknown, path: string): unknown {
  if (e instanceof HalError) return e
  const code = (e as NodeJS.ErrnoException).code
  const dir = dirname(resolve(path))
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new HalError('DISK_FULL', `no space left on device writing ${resolve(path)}${code === 'EDQUOT' ? ' (disk quota exceeded)' : ''}; nothing was replaced`, {
      hint: `free space on the file system of ${dir} (df -h ${dir}), or write somewhere else, then run again`,
      exitCode: ExitCode.Environment,
      where: resolve(path),
      cause: e,
    })
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM')
    return new HalError('WRITE_REFUSED', `cannot write ${resolve(path)}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}`, {
      hint: `write somewhere you may write, or fix the permissions of ${dir}`,
      exitCode: ExitCode.Environment,
      where: resolve(path),
      cause: e,
    })
  return e
}

/** A local write error (localWriteError) whose "somewhere else" is a flag: the hint names it. Other errors as they are. */
export function nameWriteFlag(e: unknown, flag: string): unknown {
  if (!(e instanceof HalError) || (e.code !== 'DISK_FULL' && e.code !== 'WRITE_REFUSED') || !e.hint) return e
  return new HalError(e.code, e.message, {hint: e.hint.replace(/write (somewhere else|somewhere you may write)/, `give ${flag} another path`), exitCode: e.exitCode, where: e.where, cause: e})
}

const O_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

function refuse(path: string, why: string): HalError {
  return new HalError('UNSAFE_PATH', `refusing to write ${path}: ${why}`, {
    hint: 'remove what is there (halctl never writes through a symbolic link) or choose another path',
    exitCode: ExitCode.BadInput,
    where: path,
  })
}

const lstatOrUndefined = (p: string) => {
  try {
    return lstatSync(p)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}

/** Create `dir` (and the directories from `root` to it) refusing any symlink or non-directory on the way. */
export function ensureDirectory(dir: string, root?: string): void {
  const abs = resolve(dir)
  const top = root === undefined ? abs : resolve(root)
  const rel = relative(top, abs)
  if (rel.startsWith('..') || isAbsolute(rel)) throw refuse(abs, `it is outside ${top}`)
  mkdirSync(top, {recursive: true})
  let cur = top
  for (const part of rel === '' ? [] : rel.split(sep)) {
    cur = join(cur, part)
    const st = lstatOrUndefined(cur)
    if (!st) {
      try {
        mkdirSync(cur, {mode: 0o755})
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      const again = lstatSync(cur)
      if (!again.isDirectory()) throw refuse(cur, 'it is not a directory')
    } else if (st.isSymbolicLink()) throw refuse(cur, 'it is a symbolic link')
    else if (!st.isDirectory()) throw refuse(cur, 'it is not a directory')
  }
}

/** The target must be absent or a regular file: never a symlink, directory, fifo or device. */
function checkTarget(path: string): void {
  const st = lstatOrUndefined(path)
  if (!st) return
  if (st.isSymbolicLink()) throw refuse(path, 'it is a symbolic link')
  if (!st.isFile()) throw refuse(path, 'it is not a regular file')
}

/** An open exclusive temp file next to `path`; commit() renames it over `path`, abort() removes it. */
export class AtomicFile {
  private closed = false
  private constructor(
    readonly path: string,
    readonly tmp: string,
    private readonly fd: number,
  ) {}

  static open(path: string, opts: SafeWriteOptions = {}): AtomicFile {
    try {
      const dir = dirname(resolve(path))
      if (opts.root !== undefined) ensureDirectory(dir, opts.root)
      checkTarget(path)
      const mode = opts.mode ?? 0o644
      const tmp = join(dir, `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`)
      const fd = openSync(tmp, O_FLAGS, mode & 0o600)
      try {
        // the mode before any content (the umask may have narrowed it; never wider than asked)
        fchmodSync(fd, mode)
      } catch (e) {
        closeSync(fd)
        unlinkSync(tmp)
        throw e
      }
      return new AtomicFile(resolve(path), tmp, fd)
    } catch (e) {
      throw localWriteError(e, path)
    }
  }

  write(data: string | Uint8Array): void {
    const buf = typeof data === 'string' ? Buffer.from(data) : data
    let off = 0
    try {
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off)
    } catch (e) {
      throw localWriteError(e, this.path)
    }
  }

  /** Content on disk (fsync) and the file closed; a full disk shows here at the latest. The target is untouched. */
  sync(): void {
    if (this.closed) return
    try {
      fsyncSync(this.fd)
    } catch (e) {
      throw localWriteError(e, this.path)
    } finally {
      closeSync(this.fd)
      this.closed = true
    }
  }

  commit(): void {
    try {
      this.sync()
      checkTarget(this.path)
      renameSync(this.tmp, this.path)
    } catch (e) {
      this.removeTmp()
      throw localWriteError(e, this.path)
    }
    syncDirectory(dirname(this.path))
  }

  abort(): void {
    if (!this.closed) {
      closeSync(this.fd)
      this.closed = true
    }
    this.removeTmp()
  }

  private removeTmp(): void {
    try {
      unlinkSync(this.tmp)
    } catch {
      // already gone
    }
  }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0))
    fsyncSync(fd)
  } catch {
    // some file systems cannot fsync a directory; the rename itself is atomic
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Write a whole file safely (see the module comment). */
export function writeFileSafe(path: string, data: string | Uint8Array, opts: SafeWriteOptions = {}): void {
  const f = AtomicFile.open(path, opts)
  try {
    f.write(data)
  } catch (e) {
    f.abort()
    throw e
  }
  f.commit()
}

/**
 * Several files, all or nothing: every file is written and synced to its temp file first; only
 * when all are on disk are they renamed into place. A failure (a full disk) removes every temp
 * file and leaves every target as it was.
 */
export function writeFilesSafe(files: Array<{path: string; data: string | Uint8Array; opts?: SafeWriteOptions}>): void {
  const open: AtomicFile[] = []
  try {
    for (const f of files) {
      const a = AtomicFile.open(f.path, f.opts)
      open.push(a)
      a.write(f.data)
      a.sync()
    }
  } catch (e) {
    for (const a of open) a.abort()
    throw e
  }
  for (const a of open) a.commit()
}

/** writeFileSafe for async call sites. */
export async function writeFileSafeAsync(path: string, data: string | Uint8Array, opts: SafeWriteOptions = {}): Promise<void> {
  writeFileSafe(path, data, opts)
}
