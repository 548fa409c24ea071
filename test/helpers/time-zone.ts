import {afterAll} from 'vitest'

/** tests that set process.env.TZ (tcpdump prints local times): put it back after the suite */
export function restoreTimeZoneAfterAll(): void {
  const tz = process.env.TZ
  afterAll(() => {
    if (tz === undefined) delete process.env.TZ
    else process.env.TZ = tz
  })
}
