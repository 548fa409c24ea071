import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Status from '../../src/commands/status.js'
import {colourEnabled, outputColumns, PIPE_COLUMNS} from '../../src/ui/text.js'
import {runCommand} from '../helpers/run-command.js'

const root = join(import.meta.dirname, '..', '..')
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {summary?: string; description?: string; examples?: string[]; flags: Record<string, {name: string; char?: string; charAliases?: string[]; aliases?: string[]; hidden?: boolean}>}>
}
/** the built CLI, as a user runs it (dist/ is built before the unit tests) */
const halctl = (...argv: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...argv], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})

// these start the real binary several times: slow on a loaded machine
describe('halctl command line', {timeout: 180_000}, () => {
  it('every command has a summary, a description and examples', () => {
    for (const [id, c] of Object.entries(manifest.commands)) {
      expect(c.summary, id).toBeTruthy()
      expect(c.description, id).toBeTruthy()
      expect(c.examples?.length, id).toBeGreaterThan(0)
    }
  })

  it('gives each short flag one meaning across commands (the README table)', () => {
    const meaning = new Map<string, Set<string>>()
    for (const c of Object.values(manifest.commands)) {
      for (const [name, f] of Object.entries(c.flags)) if (f.char) meaning.set(f.char, (meaning.get(f.char) ?? new Set()).add(name))
    }
    expect(Object.fromEntries([...meaning].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      s: ['spec'],
      f: ['use-file'],
      i: ['interface'],
      r: ['read'],
      w: ['write'],
      c: ['count'],
      n: ['nodes'],
      o: ['out'],
      v: ['verbose'],
      y: ['yes'],
    })
    // the old spellings stay as aliases, out of the help
    expect(manifest.commands.status.flags.watch.charAliases).toEqual(['w'])
    expect(manifest.commands['lab:up'].flags.nodes.aliases).toEqual(['hosts'])
    expect(manifest.commands.run.flags['use-file'].charAliases).toEqual(['s'])
  })

  it('names the closest flag for an unknown one instead of printing the whole help (exit 2)', async () => {
    const r = await runCommand(Deploy, ['-s', 'cluster.yaml', '--dryrun'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('unknown flag --dryrun')
    expect(r.stderr).toContain('did you mean --dry-run?')
    expect(r.stderr).not.toContain('USAGE')
    const j = await runCommand(Deploy, ['-s', 'cluster.yaml', '--dryrun', '--json'])
    expect(JSON.parse(j.stdout).error).toMatchObject({code: 'UNKNOWN_FLAG', exitCode: 2})
  })

  it('still accepts the deprecated -w for status --watch, with a warning', async () => {
    const r = await runCommand(Status, ['-s', '/nonexistent/cluster.yaml', '-w'])
    expect(r.stderr).toContain('"-w" flag has been deprecated')
    expect(r.stderr).toContain('cannot read spec /nonexistent/cluster.yaml')
    expect(r.exitCode).toBe(2)
  })

  it('names the closest command for a typo and exits 127 without running anything', () => {
    const r = halctl('stauts')
    expect(r.status).toBe(127)
    expect(r.stderr).toContain('"stauts" is not a halctl command')
    expect(r.stderr).toContain('Did you mean "halctl status"?')
    const lab = halctl('lab', 'stat')
    expect(lab.stderr).toContain('Did you mean "halctl lab status"?')
  })

  it('has help as a command, a topic and -h, and bash/zsh completion scripts', () => {
    expect(halctl('help').stdout).toMatch(/TOPICS[\s\S]*lab[\s\S]*COMMANDS[\s\S]*deploy/)
    expect(halctl('help', 'lab').stdout).toContain('lab status')
    const h = halctl('lab', 'status', '-h')
    expect(h.status).toBe(0)
    expect(h.stdout).toContain('DESCRIPTION')
    expect(h.stdout).toContain('EXAMPLES')
    expect(halctl('-h').stdout).toContain('USAGE')
    expect(halctl('autocomplete', 'script', 'bash').stdout).toContain('HALCTL_AC_BASH_SETUP_PATH')
    expect(halctl('autocomplete', 'script', 'zsh').stdout).toContain('HALCTL_AC_ZSH_SETUP_PATH')
  })

  it('colours only on a terminal and never with NO_COLOR; lays out at the terminal width, unbounded in a pipe', () => {
    const tty = {isTTY: true, columns: 163} as NodeJS.WriteStream
    const pipe = {isTTY: false} as NodeJS.WriteStream
    expect(colourEnabled(tty, {})).toBe(true)
    expect(colourEnabled(tty, {NO_COLOR: '1'})).toBe(false)
    expect(colourEnabled(pipe, {})).toBe(false)
    expect(colourEnabled(tty, {TERM: 'dumb'})).toBe(false)
    expect(outputColumns(tty)).toBe(163)
    expect(outputColumns(pipe)).toBe(PIPE_COLUMNS)
    // the real binary on a pseudo-terminal (script(1)): ink's colours, then none with NO_COLOR
    const dir = mkdtempSync(join(tmpdir(), 'halctl-colour-'))
    try {
      const run = (env: string) => spawnSync('script', ['-qc', `env -u CI ${env} HAL_VRRP_PASS=x ${process.execPath} ${join(root, 'bin', 'run.js')} init -s ${join(root, 'examples', 'active-passive.yaml')} -o ${dir}/out --dry-run`, '/dev/null'], {encoding: 'utf8'}).stdout
      expect(run('')).toContain('\u001B[32mMASTER')
      expect(run('NO_COLOR=1')).toMatch(/lb1\s+VI_web\s+MASTER/)
      expect(run('NO_COLOR=1')).not.toContain('\u001B[')
      expect(halctl('init', '-s', join(root, 'examples', 'active-passive.yaml'), '-o', `${dir}/out`, '--dry-run').stdout).not.toContain('\u001B[')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
