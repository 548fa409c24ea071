/**
 * Lab and ansible inputs for bench/deploy-bench.sh.
 *   up N DIR      bring up the "hdp" lab (10.205.0.0/24) with N hosts, state in DIR/lab
 *   ansible DIR   write DIR/ansible/{inventory.ini,site.yml,files/<node>.conf} doing
 *                 what halctl deploy does on a lab host (config, nftables rule and its
 *                 persistence, keepalived started or reloaded), from the same spec
 *   down DIR      tear the lab down
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {loadCluster} from '../src/deploy/from-spec.js'
import {renderNft, vrrpRules} from '../src/host/firewall.js'
import {labDown, labUp} from '../src/lab/lab.js'

const [cmd, arg1, arg2] = process.argv.slice(2)

if (cmd === 'up') {
  const r = await labUp({name: 'hdp', hosts: Number(arg1), subnet: '10.205.0.0/24', engine: 'keepalived', stateDir: join(arg2, 'lab')})
  console.log(r.spec)
} else if (cmd === 'down') {
  await labDown({name: 'hdp', stateDir: join(arg1, 'lab')})
} else if (cmd === 'ansible') {
  const dir = arg1
  const spec = join(dir, 'lab', 'lab.yaml')
  const {cluster, sshConfigFile} = await loadCluster(spec)
  const out = join(dir, 'ansible')
  mkdirSync(join(out, 'files'), {recursive: true})
  for (const n of cluster.nodes) {
    writeFileSync(join(out, 'files', `${n.name}.conf`), n.text)
    writeFileSync(join(out, 'files', `${n.name}.nft`), renderNft(vrrpRules(n.config)))
  }
  const inventory = ['[lab]', ...cluster.nodes.map((n) => `${n.name} ansible_host=${n.ssh.host} ansible_user=root`), '', '[lab:vars]', `ansible_ssh_common_args=-F ${sshConfigFile}`, 'ansible_python_interpreter=/usr/bin/python3', ''].join('\n')
  writeFileSync(join(out, 'inventory.ini'), inventory)
  const pid = '/run/halctl-keepalived-{{ inventory_hostname }}.pid'
  const site = `- hosts: lab
  gather_facts: true
  tasks:
    - name: keepalived installed
      ansible.builtin.package: {name: keepalived, state: present}
    - name: keepalived.conf
      ansible.builtin.copy: {src: "files/{{ inventory_hostname }}.conf", dest: /etc/keepalived/keepalived.conf, mode: "0600", backup: true, validate: "keepalived -t -f %s"}
      notify: reload keepalived
    - name: directory of the rule file
      ansible.builtin.file: {path: /etc/keepalived/halctl, state: directory, mode: "0755"}
    - name: nftables rule file
      ansible.builtin.copy: {src: "files/{{ inventory_hostname }}.nft", dest: /etc/keepalived/halctl/vrrp.nft, mode: "0644"}
      register: nft
    - name: nftables rule loaded
      ansible.builtin.command: nft -f /etc/keepalived/halctl/vrrp.nft
      when: nft.changed
    - name: nftables rule persisted
      ansible.builtin.lineinfile: {path: /etc/nftables.conf, line: 'include "/etc/keepalived/halctl/vrrp.nft"', unsafe_writes: true}
    - name: keepalived running (no init system in the lab)
      ansible.builtin.command: keepalived -f /etc/keepalived/keepalived.conf -p ${pid} -r /run/halctl-keepalived-{{ inventory_hostname }}-vrrp.pid -c /run/halctl-keepalived-{{ inventory_hostname }}-checkers.pid
      args: {creates: "${pid}"}
  handlers:
    - name: reload keepalived
      ansible.builtin.shell: 'kill -HUP "$(cat ${pid})"'
      args: {removes: "${pid}"}
`
  writeFileSync(join(out, 'site.yml'), site)
  console.log(out)
} else {
  console.error('usage: deploy-lab.ts up N DIR | ansible DIR | down DIR')
  process.exit(2)
}
