import {describe, expect, it} from 'vitest'
import type {RemoteHost, SshTarget, Transport} from '../../../src/remote/types.js'
import {connectSpecNode} from '../../../src/sniff/remote-node.js'

const SPEC = 'examples/active-passive.yaml'

describe('sniff --node', () => {
  it('connects to the node named in the spec with its SSH settings and captures on its VRRP interface', async () => {
    process.env.HAL_VRRP_PASS ??= 'testpass'
    const seen: SshTarget[] = []
    let closed = false
    const transport: Transport = {
      async connect(t) {
        seen.push(t)
        return {name: t.name, address: t.host, isRoot: true, close: async () => void (closed = true)} as unknown as RemoteHost
      },
    }
    const {host, iface, close} = await connectSpecNode(SPEC, 'lb2', undefined, transport)
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({name: 'lb2', host: '10.0.0.12', port: 22, user: 'root'})
    expect(host.name).toBe('lb2')
    expect(iface).toBe('eth0')
    await close()
    expect(closed).toBe(true)
    expect((await connectSpecNode(SPEC, 'lb1', 'eth1', transport)).iface).toBe('eth1')
  })

  it('names the nodes of the spec when the node is unknown', async () => {
    process.env.HAL_VRRP_PASS ??= 'testpass'
    const transport: Transport = {connect: async () => ({}) as RemoteHost}
    await expect(connectSpecNode(SPEC, 'lb9', undefined, transport)).rejects.toMatchObject({code: 'SNIFF_UNKNOWN_NODE', hint: 'nodes in this spec: lb1, lb2'})
  })
})
