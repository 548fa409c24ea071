/** The smallest valid cluster spec (two nodes, one instance), for tests that edit it into the case they need. */
export const MINIMAL_SPEC = `cluster: web
nodes:
  - name: lb1
    address: 10.0.0.11
  - name: lb2
    address: 10.0.0.12
instances:
  - name: VI_1
    vips: [10.0.0.100/24]
`
