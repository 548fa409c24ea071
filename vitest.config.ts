import {defineConfig} from 'vitest/config'

/**
 * Lab files create namespaces and run daemons. Two groups, one after the other:
 * 1. lab-parallel: files whose labs have their own name and subnet and that measure no
 *    timing, two at a time;
 * 2. lab: files that measure takeover gaps, stop times or capture what a shared interface
 *    sees (engine, failover, sniff, ipvs, lab up --engine embedded, monitor), one at a time, with the machine to themselves.
 * Run lab files with `--project 'lab*' FILE` (either group).
 */
const LAB_SERIAL = [
  'test/lab/engine/**/*.test.ts',
  'test/lab/failover/**/*.test.ts',
  'test/lab/sniff/**/*.test.ts',
  'test/lab/ipvs/**/*.test.ts',
  'test/lab/cli/sniff-ctrl-c.test.ts',
  'test/lab/lab/lab-embedded.test.ts',
  'test/lab/monitor/**/*.test.ts',
]

const lab = {testTimeout: 180_000, hookTimeout: 120_000}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          testTimeout: 30_000,
          sequence: {groupOrder: 0},
        },
      },
      {
        test: {
          name: 'lab-parallel',
          include: ['test/lab/**/*.test.{ts,tsx}'],
          exclude: LAB_SERIAL,
          // two files at a time on the 2-core machine; every file's lab has its own name and subnet
          maxWorkers: 2,
          sequence: {groupOrder: 1},
          ...lab,
        },
      },
      {
        test: {
          name: 'lab',
          include: LAB_SERIAL,
          // timing-sensitive: one file at a time, after the parallel group
          fileParallelism: false,
          sequence: {groupOrder: 2},
          ...lab,
        },
      },
    ],
  },
})
