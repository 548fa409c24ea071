import {renderToString} from 'ink'
import {createElement} from 'react'
import {describe, expect, it} from 'vitest'
import type {LabStatusResult, LabUpResult} from '../../../src/lab/lab.js'
import {LabStatusView, LabUpView} from '../../../src/ui/lab-view.js'

describe('lab views', () => {
  it('shows the hosts and the next commands after lab up', () => {
    const result: LabUpResult = {
      name: 'demo',
      stateDir: '/x/.lab/demo',
      spec: '/x/.lab/demo/lab.yaml',
      sshConfig: '/x/.lab/demo/ssh_config',
      knownHosts: '/x/.lab/demo/known_hosts',
      identityFile: '/x/.lab/demo/id_ed25519',
      subnet: '10.213.0.0/24',
      control: '10.213.0.1/24',
      vip: '10.213.0.100/24',
      engine: 'keepalived',
      hosts: [{name: 'lb1', address: '10.213.0.11', netns: 'demo-lb1', hostname: 'lb1'}],
    }
    const out = renderToString(createElement(LabUpView, {result}))
    expect(out).toContain('lab demo is up: 1 hosts on 10.213.0.0/24')
    expect(out).toMatch(/lb1\s+10\.213\.0\.11\s+demo-lb1/)
    expect(out).toContain('halctl deploy -s /x/.lab/demo/lab.yaml')
    expect(out).toContain('halctl lab down --name demo')
  })

  it('points an embedded lab at lab status (the engines already run; deploy would start keepalived beside them)', () => {
    const result: LabUpResult = {
      name: 'hem',
      stateDir: '/x',
      spec: '/x/lab.yaml',
      sshConfig: '/x/ssh_config',
      knownHosts: '/x/known_hosts',
      identityFile: '/x/id_ed25519',
      subnet: '10.208.0.0/24',
      control: '10.208.0.1/24',
      vip: '10.208.0.100/24',
      engine: 'embedded',
      hosts: [{name: 'lb1', address: '10.208.0.11', netns: 'hem-lb1', hostname: 'lb1'}],
    }
    const out = renderToString(createElement(LabUpView, {result}))
    expect(out).toContain('embedded VRRP engine (halctl run) running on every host')
    expect(out).toContain('halctl lab status --name hem')
    expect(out).not.toContain('halctl deploy')
  })

  it('shows sshd, keepalived and VIPs per host', () => {
    const result: LabStatusResult = {
      name: 'lab',
      stateDir: '/x/.lab/lab',
      subnet: '10.213.0.0/24',
      control: '10.213.0.1/24',
      vip: '10.213.0.100/24',
      engine: 'keepalived',
      hosts: [
        {name: 'lb1', address: '10.213.0.11', netns: 'lab-lb1', present: true, sshd: 'up', keepalived: true, vips: ['10.213.0.100/24']},
        {name: 'lb2', address: '10.213.0.12', netns: 'lab-lb2', present: false, sshd: 'down', keepalived: false, vips: []},
      ],
      vipHolders: ['lb1'],
    }
    const out = renderToString(createElement(LabStatusView, {result}))
    expect(out).toMatch(/lb1\s+10\.213\.0\.11\s+present\s+up\s+running\s+10\.213\.0\.100\/24/)
    expect(out).toMatch(/lb2\s+10\.213\.0\.12\s+MISSING\s+down\s+-\s+-/)
  })

  it('shows the embedded engine per host and the VIP holder, loudly when there are two', () => {
    const host = (name: string, state: string | undefined, vips: string[]) => ({
      name,
      address: `10.208.0.${name === 'lb1' ? 11 : 12}`,
      netns: `hem-${name}`,
      present: true,
      sshd: 'up' as const,
      keepalived: false,
      embedded: {running: state !== undefined, instances: state ? {VI_hem: state} : ({} as Record<string, string>), log: `/x/hosts/${name}/halctl-run.log`},
      vips,
    })
    const result: LabStatusResult = {
      name: 'hem',
      stateDir: '/x',
      subnet: '10.208.0.0/24',
      control: '10.208.0.1/24',
      vip: '10.208.0.100/24',
      engine: 'embedded',
      hosts: [host('lb1', 'MASTER', ['10.208.0.100/24']), host('lb2', undefined, [])],
      vipHolders: ['lb1'],
    }
    const out = renderToString(createElement(LabStatusView, {result}))
    expect(out).toContain('halctl run')
    expect(out).toMatch(/lb1\s+10\.208\.0\.11\s+present\s+up\s+MASTER\s+10\.208\.0\.100\/24/)
    expect(out).toMatch(/lb2\s+10\.208\.0\.12\s+present\s+up\s+stopped\s+-/)
    expect(out).toContain('VIP 10.208.0.100/24 held by lb1')
    const split = renderToString(createElement(LabStatusView, {result: {...result, vipHolders: ['lb1', 'lb2']}}))
    expect(split).toContain('SPLIT BRAIN: VIP 10.208.0.100/24 held by lb1, lb2')
    expect(renderToString(createElement(LabStatusView, {result: {...result, vipHolders: []}}))).toContain('held by no host')
  })
})
