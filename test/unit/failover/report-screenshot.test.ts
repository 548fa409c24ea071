import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {chromium, type Browser} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {renderReportHtml} from '../../../src/failover/report-html.js'
import {failingBlock, passingStop} from './report-rounds.js'

// the page's DOM as far as the check below reads it (it runs in chromium; the test program has no DOM library)
interface PageElement {
  textContent: string | null
  getAttribute(name: string): string | null
  querySelector(selector: string): PageElement | null
  querySelectorAll(selector: string): Iterable<PageElement>
  getBoundingClientRect(): {width: number}
}
declare const document: PageElement
declare function getComputedStyle(el: PageElement): {color: string}

/**
 * The failover report as people see it: rendered by Debian's headless
 * Chromium, screenshots of a passing and a failing round (kept in
 * HALCTL_SCREENSHOTS, else in a temporary directory removed afterwards), and
 * what is on screen checked from the laid-out page.
 */
const keep = process.env.HALCTL_SCREENSHOTS
const dir = keep ?? mkdtempSync(join(tmpdir(), 'halctl-report-'))
let browser: Browser

beforeAll(async () => {
  mkdirSync(dir, {recursive: true})
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  if (!keep) rmSync(dir, {recursive: true, force: true})
})

describe('failover report in headless Chromium', {timeout: 120_000}, () => {
  for (const [name, round] of [
    ['passing', passingStop],
    ['failing', failingBlock],
  ] as const) {
    it(`draws the ${name} round with legend, time axis, shading and markers`, async () => {
      const file = join(dir, `report-${name}.html`)
      writeFileSync(file, renderReportHtml(`halctl failover-test: lab/VI_web (${name})`, [['verdict', round.ok ? 'PASS' : 'FAIL']], [round]))
      const page = await browser.newPage({viewport: {width: 1100, height: 900}})
      try {
        await page.goto(`file://${file}`)
        await page.locator('section').screenshot({path: join(dir, `report-${name}.png`)})
        const seen = await page.evaluate(() => {
          const svg = document.querySelector('svg.timeline')!
          const texts = [...svg.querySelectorAll('text')].map((t) => t.textContent ?? '')
          const box = (el: PageElement) => el.getBoundingClientRect()
          const rects = [...svg.querySelectorAll('rect')]
          const titled = (re: RegExp) => rects.filter((r) => re.test(r.querySelector('title')?.textContent ?? '')).map((r) => ({width: box(r).width, fill: r.getAttribute('fill')}))
          return {
            texts,
            svgWidth: box(svg).width,
            held: titled(/holds the VIP/),
            dual: titled(/VIP on two nodes/),
            none: titled(/VIP on no node/),
            failedProbes: titled(/probe failed/).length,
            badRows: [...document.querySelectorAll('tr.bad')].map((r) => [r.textContent, getComputedStyle(r.querySelector('td')!).color]),
          }
        })
        // legend
        for (const l of ['holds the VIP', 'advert', 'probe failed', 'VIP on two nodes', 'VIP on no node', 'fault', 'restore']) expect(seen.texts).toContain(l)
        // an axis with ticks from the fault, not just "0 s" and the end
        const ticks = seen.texts.filter((t) => /^(0|[+-][\d.]+ s)$/.test(t))
        expect(ticks.length).toBeGreaterThanOrEqual(6)
        expect(ticks).toContain('0')
        expect(seen.texts).toContain('time from the fault')
        expect(seen.failedProbes).toBeGreaterThan(10)
        if (name === 'passing') {
          // the VIP's return to the preempting master is a bar one can see, and labelled
          expect(seen.texts.some((t) => t.startsWith('VIP back on lb1'))).toBe(true)
          expect(seen.held.at(-1)!.width).toBeGreaterThan(30)
          expect(seen.none.length).toBeGreaterThan(0)
          expect(seen.badRows).toEqual([])
        } else {
          // split brain: the overlap shaded wide across the lanes; the failed check in red
          expect(seen.dual.length).toBe(1)
          expect(seen.dual[0].width).toBeGreaterThan(200)
          const failed = seen.badRows.find(([text]) => text?.startsWith('split brain ended'))
          expect(failed?.[1]).toBe('rgb(198, 40, 40)')
          expect(seen.badRows.map(([text]) => text)).toEqual(['verdictFAIL', 'split brain endedFAILED: the VIP stayed on two nodes until the restore'])
        }
      } finally {
        await page.close()
      }
    })
  }
})
