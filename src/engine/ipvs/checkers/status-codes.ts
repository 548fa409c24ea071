/** An inclusive range of HTTP status codes. */
export interface StatusRange {
  from: number
  to: number
}

/** keepalived's default when a url has no status_code. */
export const DEFAULT_STATUS_RANGES: readonly StatusRange[] = [{from: 200, to: 299}]

/** Parse `status_code` as keepalived writes it: "200", "200-299", "200-299 400-499 503". */
export function parseStatusCodes(text: string | undefined): StatusRange[] {
  if (!text || !text.trim()) return [...DEFAULT_STATUS_RANGES]
  const out: StatusRange[] = []
  for (const word of text.trim().split(/[\s,]+/)) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(word)
    if (!m) throw new Error(`status_code "${word}" is not a code or a range like 200-299`)
    const from = Number(m[1])
    const to = m[2] === undefined ? from : Number(m[2])
    out.push(from <= to ? {from, to} : {from: to, to: from})
  }
  return out
}

export const statusMatches = (code: number, ranges: readonly StatusRange[]): boolean =>
  ranges.some((r) => code >= r.from && code <= r.to)
