import {Box, Text, useApp, useInput} from 'ink'
import {useRef, useState} from 'react'

export interface PromptField {
  key: string
  label: string
  initial: string
  /** error text, or undefined when the value is acceptable */
  check?: (value: string) => string | undefined
}

export interface PromptState {
  /** the field being asked; fields.length when all are answered */
  index: number
  value: string
  answers: Record<string, string>
  error?: string
}

/**
 * One key on the prompt: Backspace (DEL or ^H) deletes, Enter (CR or LF) checks and
 * accepts the value, other control characters are ignored, the rest is typed.
 */
export function promptKey(s: PromptState, ch: string, fields: PromptField[]): PromptState {
  const field = fields[s.index]
  if (!field) return s
  if (ch === '\u007f' || ch === '\b') return {...s, value: [...s.value].slice(0, -1).join('')}
  if (ch === '\r' || ch === '\n') {
    const error = field.check?.(s.value)
    if (error) return {...s, error}
    const answers = {...s.answers, [field.key]: s.value}
    return {index: s.index + 1, answers, value: fields[s.index + 1]?.initial ?? '', error: undefined}
  }
  if (ch < ' ') return s
  return {...s, value: s.value + ch}
}

/**
 * Asks for each field in turn (Enter accepts the shown value, Esc cancels) and
 * hands the answers to onDone. Used by `halctl init --preset` on a terminal.
 */
export function InitPrompt({title, fields, onDone}: {title: string; fields: PromptField[]; onDone: (answers: Record<string, string> | undefined) => void}) {
  const {exit} = useApp()
  // keystrokes can arrive faster than renders: the handler works on a ref, renders follow it
  const state = useRef<PromptState>({index: 0, value: fields[0]?.initial ?? '', answers: {}})
  const [, redraw] = useState(0)

  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) {
      onDone(undefined)
      exit()
      return
    }
    // a terminal can deliver several keys in one read (typing fast, held Backspace, paste):
    // handle the chunk key by key rather than trusting ink's one-key flags
    const chunk = key.return ? '\r' : (key.backspace || key.delete) && !input ? '\u007f' : key.ctrl || key.meta ? '' : input
    let next = state.current
    for (const ch of chunk) {
      next = promptKey(next, ch, fields)
      if (next.index >= fields.length) break
    }
    state.current = next
    redraw((n) => n + 1)
    if (next.index >= fields.length) {
      onDone(next.answers)
      exit()
    }
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
