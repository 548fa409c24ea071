import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import {InitPrompt} from '../../../src/ui/init-prompt.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Poll (bounded: 3 s) until `ok` holds. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 150 && !ok(); i++) await sleep(20)
}
type Ui = ReturnType<typeof render>
/** Type keys one at a time, waiting for each to be drawn. */
async function keys(ui: Ui, ...ks: string[]): Promise<void> {
  for (const k of ks) {
    const before = ui.frames.length
    ui.stdin.write(k)
    await until(() => ui.frames.length > before)
  }
}
const BACKSPACE = '\u007f'

describe('init prompts (ink)', () => {
  it('asks each field in turn, keeps defaults on Enter, checks answers', async () => {
    let answers: Record<string, string> | undefined
    const ui = render(
      <InitPrompt
        title="halctl init --preset active-passive"
        fields={[
          {key: 'cluster', label: 'cluster name', initial: 'web', check: (v) => (/^\w+$/.test(v) ? undefined : 'letters only')},
          {key: 'vips', label: 'VIPs', initial: '10.0.0.100/24'},
        ]}
        onDone={(a) => (answers = a)}
      />,
    )
    await until(() => (ui.lastFrame() ?? '').includes('cluster name: web'))
    expect(ui.lastFrame()).toContain('cluster name: web')
    await keys(ui, BACKSPACE, BACKSPACE, BACKSPACE, 'd', ' ', 'b', '\r')
    await until(() => (ui.lastFrame() ?? '').includes('letters only'))
    expect(ui.lastFrame()).toContain('letters only')
    await keys(ui, BACKSPACE, BACKSPACE, 'b', '\r')
    await until(() => (ui.lastFrame() ?? '').includes('VIPs: 10.0.0.100/24'))
    expect(ui.lastFrame()).toContain('VIPs: 10.0.0.100/24')
    ui.stdin.write('\r')
    await until(() => answers !== undefined)
    expect(answers).toEqual({cluster: 'db', vips: '10.0.0.100/24'})
    ui.unmount()
  })

  it('Esc cancels', async () => {
    let answers: Record<string, string> | undefined = {}
    const ui = render(<InitPrompt title="t" fields={[{key: 'a', label: 'a', initial: 'x'}]} onDone={(a) => (answers = a)} />)
    await until(() => (ui.lastFrame() ?? '').includes('a: x'))
    ui.stdin.write('\u001b')
    await until(() => answers === undefined)
    expect(answers).toBeUndefined()
    ui.unmount()
  })
})
