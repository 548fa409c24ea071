/** Mounts the live `SniffTable` with ink and re-renders it from tracker snapshots. */
import {render} from 'ink'
import type {SniffTracker} from '../sniff/tracker.js'
import {SniffTable} from './sniff-table.js'

export function startSniffView(source: string, live: boolean): {update(tracker: SniffTracker): void; done(): void} {
  const app = render(<SniffTable source={source} packets={0} vrids={[]} findings={[]} nowMs={Date.now()} />, {patchConsole: false})
  return {
    update(tracker) {
      const vrids = tracker.vrids()
      const packets = vrids.reduce((a, v) => a + v.adverts, 0)
      // a file is seen at its own end; a live capture at the local clock
      const last = Math.max(0, ...vrids.map((v) => v.lastMs))
      const nowMs = live ? Math.max(Date.now(), last) : last
      app.rerender(<SniffTable source={source} packets={packets} vrids={vrids} findings={tracker.findings()} nowMs={nowMs} />)
    },
    done() {
      app.unmount()
    },
  }
}
