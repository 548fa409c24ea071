/** Where deploy puts things on a node. One place, so status and rollback read the same paths. */
export const KEEPALIVED_DIR = '/etc/keepalived'
export const KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf'
/** staging area for a new config before `keepalived -t` accepts it (same filesystem as the target) */
export const STAGE_PREFIX = '/etc/keepalived/.halctl-stage-'
/** backups stay inside /etc/keepalived (one directory per deploy, named by timestamp) */
export const BACKUP_DIR = '/etc/keepalived/.halctl-backups'
export const SYSCTL_FILE = '/etc/sysctl.d/60-halctl-keepalived.conf'
/** halctl's firewall records live beside the config they belong to (/etc/keepalived/halctl) */
export const NFT_FILE = '/etc/keepalived/halctl/vrrp.nft'
/** files nftables loads at boot: Debian/Ubuntu, then RHEL-like; the first that exists gets halctl's include */
export const NFT_CONF_CANDIDATES = ['/etc/nftables.conf', '/etc/sysconfig/nftables.conf']
export const IPTABLES_FILE = '/etc/keepalived/halctl/vrrp.iptables'
/** files iptables rules are restored from at boot (netfilter-persistent, iptables-services), per family */
export const IPTABLES_SAVE_CANDIDATES = {
  ipv4: ['/etc/iptables/rules.v4', '/etc/sysconfig/iptables'],
  ipv6: ['/etc/iptables/rules.v6', '/etc/sysconfig/ip6tables'],
} as const
/** rsyslog drop-in that routes keepalived's syslog facility to its own file (before 50-default.conf) */
export const RSYSLOG_DROP_IN = '/etc/rsyslog.d/40-keepalived-halctl.conf'
/** where the distribution's keepalived unit/init script reads its command-line options, per OS family */
export const DAEMON_DEFAULTS = {
  debian: {path: '/etc/default/keepalived', variable: 'DAEMON_ARGS'},
  rhel: {path: '/etc/sysconfig/keepalived', variable: 'KEEPALIVED_OPTIONS'},
} as const
export const IPTABLES_CHAIN = 'HALCTL-VRRP'
export const NFT_TABLE = 'halctl'

/** where the distribution's init script (Debian's /etc/init.d/keepalived) has keepalived write its pid */
export const DISTRO_PID_FILE = '/run/keepalived.pid'

/**
 * Pid files for keepalived started by halctl on a host without an init system.
 * Named after the node so several lab hosts sharing one /run never collide.
 */
export function pidFiles(node: string): {main: string; vrrp: string; checkers: string} {
  const safe = node.replace(/[^\w.-]/g, '_')
  return {
    main: `/run/halctl-keepalived-${safe}.pid`,
    vrrp: `/run/halctl-keepalived-${safe}-vrrp.pid`,
    checkers: `/run/halctl-keepalived-${safe}-checkers.pid`,
  }
}

/** An absolute, normalized path with no shell-hostile characters a file system would also dislike. */
export function isSafeAbsolutePath(p: string): boolean {
  return p.startsWith('/') && !p.includes('\0') && !p.includes('\n') && !p.split('/').includes('..')
}
