import {Box, Text, useApp, useInput} from 'ink'
import {useState} from 'react'

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
  const [index, setIndex] = useState(0)
  const [value, setValue] = useState(fields[0]?.initial ?? '')
  const [answers, setAnswers] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | undefined>()
  const field = fields[index]

  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) {
      onDone(undefined)
      exit()
      return
    }
    if (key.return) {
      const err = field.check?.(value)
      if (err) return setError(err)
      const next = {...answers, [field.key]: value}
      setError(undefined)
      if (index + 1 >= fields.length) {
        onDone(next)
        exit()
        return
      }
      setAnswers(next)
      setIndex(index + 1)
      setValue(fields[index + 1].initial)
      return
    }
    if (key.backspace || key.delete) return setValue((v) => v.slice(0, -1))
    if (input && !key.ctrl && !key.meta) setValue((v) => v + input)
  })

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
