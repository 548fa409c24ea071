import {describe, expect, it} from 'vitest'
import Doctor, {type DoctorResult} from '../../src/commands/doctor.js'
import {runCommand} from '../helpers/run-command.js'

describe('halctl doctor', () => {
  it('returns a typed --json payload listing the tools', async () => {
    const r = await runCommand<DoctorResult>(Doctor, ['--json'])
    expect(r.exitCode).toBe(0)
    const json = JSON.parse(r.stdout) as DoctorResult
    expect(Object.keys(json).sort()).toEqual(['root', 'tools'])
    expect(json.tools.map((t) => t.name)).toContain('keepalived')
    for (const t of json.tools) expect(typeof t.found).toBe('boolean')
  })
})
