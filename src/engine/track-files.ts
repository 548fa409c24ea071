/**
 * vrrp_track_file: the number in each tracked file, read at start and again on
 * every change the kernel reports for its directory (inotify, as keepalived).
 * A file that is missing or holds no number counts as 0.
 */
import {watch, type FSWatcher} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {basename, dirname} from 'node:path'
import type {EngineTrackFile} from './config.js'

/** keepalived reads the file's leading integer (strtol) */
export function fileValue(text: string): number {
  const n = Number.parseInt(text.trim(), 10)
  return Number.isFinite(n) ? n : 0
}

export class FileTracker {
  private readonly values = new Map<string, number>()
  private readonly watchers: FSWatcher[] = []
  private stopped = false

  constructor(
    private readonly files: readonly EngineTrackFile[],
    private readonly onChange: (name: string) => void,
  ) {}

  /** reads every file once (resolves when read), then follows their directories */
  async start(): Promise<void> {
    await Promise.all(this.files.map((f) => this.read(f, false)))
    for (const dir of new Set(this.files.map((f) => dirname(f.path)))) {
      try {
        const w = watch(dir, {persistent: false}, (_ev, name) => {
          for (const f of this.files) if (dirname(f.path) === dir && (!name || name === basename(f.path))) void this.read(f, true)
        })
        w.on('error', () => undefined)
        this.watchers.push(w)
      } catch {
        // no such directory: the value stays as read
      }
    }
  }

  value(name: string): number | undefined {
    return this.values.get(name)
  }

  stop(): void {
    this.stopped = true
    for (const w of this.watchers) w.close()
    this.watchers.length = 0
  }

  private async read(f: EngineTrackFile, notify: boolean): Promise<void> {
    const v = fileValue(await readFile(f.path, 'utf8').catch(() => ''))
    if (this.stopped || this.values.get(f.name) === v) return
    this.values.set(f.name, v)
    if (notify) this.onChange(f.name)
  }
}
