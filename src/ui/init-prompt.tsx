import {Box, Text, useApp, useInput} from 'ink'
import {useRef, useState} from 'react'

export interface PromptField {
  key: string
  label: string
  initial: string
  /** error text, or undefined when the value is acceptable */
  check?: (value: string) => string | undefined
}

/**
 * Asks for each field in turn (Enter accepts the shown value, Esc cancels) and
 * hands the answers to onDone. Used by `halctl init --preset` on a terminal.
 */
export function InitPrompt({title, fields, onDone}: {title: string; fields: PromptField[]; onDone: (answers: Record<string, string> | undefined) => void}) {
  const {exit} = useApp()
  // keystrokes can arrive faster than renders: the handler works on a ref, renders follow it
  const state = useRef({index: 0, value: fields[0]?.initial ?? '', answers: {} as Record<string, string>, error: undefined as string | undefined})
  const [, redraw] = useState(0)
  const update = (patch: Partial<typeof state.current>) => {
    state.current = {...state.current, ...patch}
    redraw((n) => n + 1)
  }

  useInput((input, key) => {
    const {index, value, answers} = state.current
    const field = fields[index]
    if (!field) return
    if (key.escape || (key.ctrl && input === 'c')) {
      onDone(undefined)
      exit()
      return
    }
    if (key.return) {
      const error = field.check?.(value)
      if (error) return update({error})
      const next = {...answers, [field.key]: value}
      if (index + 1 >= fields.length) {
        update({answers: next, error: undefined, index: index + 1})
        onDone(next)
        exit()
        return
      }
      return update({answers: next, error: undefined, index: index + 1, value: fields[index + 1].initial})
    }
    if (key.backspace || key.delete) return update({value: value.slice(0, -1)})
    if (input && !key.ctrl && !key.meta) update({value: value + input})
  })

  const {index, value, answers, error} = state.current
  const field = fields[index]
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      {fields.slice(0, index).map((f) => (
        <Text key={f.key} color="gray">{`${f.label}: ${answers[f.key]}`}</Text>
      ))}
      {field && (
        <Text>
          <Text color="cyan">{`${field.label}: `}</Text>
          {value}
          <Text inverse> </Text>
        </Text>
      )}
      {error && <Text color="red">{error}</Text>}
    </Box>
  )
}
