import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import {InitPrompt} from '../../../src/ui/init-prompt.js'

const tick = () => new Promise((r) => setTimeout(r, 20))
const backspace = async (ui: ReturnType<typeof render>, n: number) => {
  for (let i = 0; i < n; i++) {
    ui.stdin.write('\u007f')
    await tick()
  }
}

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
    await tick()
    expect(ui.lastFrame()).toContain('cluster name: web')
    await backspace(ui, 3)
    ui.stdin.write('d b')
    await tick()
    ui.stdin.write('\r')
    await tick()
    expect(ui.lastFrame()).toContain('letters only')
    await backspace(ui, 2)
    ui.stdin.write('b')
    await tick()
    ui.stdin.write('\r')
    await tick()
    expect(ui.lastFrame()).toContain('VIPs: 10.0.0.100/24')
    ui.stdin.write('\r')
    await tick()
    expect(answers).toEqual({cluster: 'db', vips: '10.0.0.100/24'})
    ui.unmount()
  })

  it('Esc cancels', async () => {
    let answers: Record<string, string> | undefined = {}
    const ui = render(<InitPrompt title="t" fields={[{key: 'a', label: 'a', initial: 'x'}]} onDone={(a) => (answers = a)} />)
    await tick()
    ui.stdin.write('\u001b')
    await tick()
    expect(answers).toBeUndefined()
    ui.unmount()
  })
})
