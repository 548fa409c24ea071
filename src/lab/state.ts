/**
 * What a lab made, on disk: <stateDir>/state.json and a copy in
 * /run/halctl-lab/<name>.json, so `lab down` finds it after a crash and from
 * any working directory.
 */
import {mkdir, readFile, rm} from 'node:fs/promises'
import {writeFileSafeAsync} from '../lib/safe-write.js'
import {join, resolve} from 'node:path'
import type {EmbeddedEngineFiles} from './embedded.js'
import type {LabFilePaths, LabSudo} from './files.js'
import type {LabEngine} from './plan.js'

export const LAB_RECORD_DIR = '/run/halctl-lab'
export const STATE_FILE = 'state.json'

export interface LabHostState {
  name: string
  netns: string
  veth: string
  hostname: string
  /** address without prefix */
  address: string
  cidr: string
  sshdConfig: string
  sshdPidFile: string
  sshdLog: string
  hostKey: string
  /** --engine embedded: the files of the host's `halctl run` */
  embedded?: EmbeddedEngineFiles
}

export interface LabState {
  version: 1
  name: string
  /** name prefix of every netns, link and /etc/netns dir of this lab */
  prefix: string
  bridge: string
  subnet: string
  control: string
  vip: string
  engine: LabEngine
  createdAt: string
  files: LabFilePaths
  hosts: LabHostState[]
  /** login users besides root on every host (the spec logs in as the first) */
  users?: Array<{name: string; uid: number; sudo: LabSudo}>
  /** the hosts have a copy-on-write /usr, /var and /etc */
  packageRoot?: boolean
}

export function defaultStateDir(name: string, cwd = process.cwd()): string {
  return resolve(cwd, '.lab', name)
}

export function labRecordPath(name: string): string {
  return join(LAB_RECORD_DIR, `${name}.json`)
}

export async function writeLabState(state: LabState): Promise<void> {
  const text = JSON.stringify(state, null, 2) + '\n'
  await mkdir(state.files.stateDir, {recursive: true})
  await writeFileSafeAsync(join(state.files.stateDir, STATE_FILE), text)
  // another lab's `lab down` removes the record dir when it empties it: made again and tried again once
  for (let i = 0; ; i++) {
    await mkdir(LAB_RECORD_DIR, {recursive: true})
    try {
      await writeFileSafeAsync(labRecordPath(state.name), text)
      return
    } catch (e) {
      if (i > 0 || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
  }
}

async function readJson(path: string): Promise<LabState | undefined> {
  try {
    const s = JSON.parse(await readFile(path, 'utf8')) as LabState
    return s && s.version === 1 && typeof s.name === 'string' ? s : undefined
  } catch {
    return undefined
  }
}

/** <stateDir>/state.json, when it holds a lab state. */
export async function readStateDir(stateDir: string): Promise<LabState | undefined> {
  return readJson(join(stateDir, STATE_FILE))
}

/** The recorded state of lab `name`: the /run record first, then <stateDir>/state.json. */
export async function readLabState(name: string, stateDir?: string): Promise<LabState | undefined> {
  return (await readJson(labRecordPath(name))) ?? (await readStateDir(stateDir ?? defaultStateDir(name)))
}

export async function removeLabRecord(name: string): Promise<void> {
  await rm(labRecordPath(name), {force: true})
}
