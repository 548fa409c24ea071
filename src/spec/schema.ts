import {z} from 'zod'
import {isValidAddress, isValidCidrOrAddress} from '../net/address.js'
import {secretProblem} from './secrets.js'

/**
 * The cluster spec: one zod schema is both the validator (loadSpec) and the
 * source of schema/halctl-spec.schema.json (see json-schema.ts). Objects are
 * strict: unknown keys are errors with a did-you-mean.
 */

const NAME_RE = /^[A-Za-z0-9_.-]+$/
const name = (what: string) =>
  z.string().min(1).max(64).regex(NAME_RE, {error: `${what} may hold only letters, digits, "_", "." and "-"`})

/**
 * Strings that reach keepalived.conf or a generated script are limited to what
 * the lexer-exact writer (keepalived/lexer.ts) writes exactly; each rule says
 * what is allowed. A value outside these never reaches a rendered file.
 */
/** An interface name as the kernel allows it (dev_valid_name), limited to plain characters. */
export const IFNAME_RE = /^(?!\.\.?$)[A-Za-z0-9_.-]{1,15}$/
const IFNAME_MSG = 'must be an interface name: 1..15 characters of letters, digits, "_", "." and "-" (not "." or "..")'
const ifname = z.string().regex(IFNAME_RE, {error: IFNAME_MSG})
/** A label as `ip addr add ... label` takes it: at most 15 characters. */
const LABEL_RE = /^[A-Za-z0-9:._-]{1,15}$/
/** A host name or address (DNS letters, digits, "-", "." and ":" for IPv6). */
const DNS_LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?'
const HOST_NAME_RE = new RegExp(`^(?=.{1,253}$)${DNS_LABEL}(?:\\.${DNS_LABEL})*\\.?$`)
export const isHostOrAddress = (v: string): boolean => isValidAddress(v) || HOST_NAME_RE.test(v)
const host = (what: string) =>
  z.string().refine(isHostOrAddress, {error: `${what} must be an IP address or a DNS name (labels of letters, digits, "_" and "-" separated by ".")`})
/** One word of a command line: no quotes, backslashes, "$", "#", "!", braces, whitespace or control characters. */
export const COMMAND_WORD_RE = /^[A-Za-z0-9_./:=@%+,^~-]+$/
const COMMAND_WORD_MSG = 'letters, digits and "_./:=@%+,^~-"'
const COMMAND_RE = /^[A-Za-z0-9_./:=@%+,^~-]+( [A-Za-z0-9_./:=@%+,^~-]+)*$/
const commandLine = z
  .string()
  .max(512, {error: 'is longer than 512 characters'})
  .regex(COMMAND_RE, {error: `must be a command and its arguments separated by single spaces, each of ${COMMAND_WORD_MSG} (keepalived runs it without a shell)`})
/** A user or group name as useradd allows it. */
const USER_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/
const scriptUserSpec = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}( [A-Za-z_][A-Za-z0-9_.-]{0,31})?$/, {error: '"user" or "user group": names of letters, digits, "_", "." and "-" (at most 32 characters each)'})
  .describe('"user" or "user group"')
/** An e-mail address, or a local user name alone (the mail server delivers it locally, e.g. "root"). */
const EMAIL_RE = /^[A-Za-z0-9._%+-]{1,64}(@[A-Za-z0-9.-]{1,253})?$/
const email = z.string().regex(EMAIL_RE, {error: 'must be an e-mail address or a local user name (letters, digits, "._%+-", then optionally "@" and a domain)'})

const VRID_MSG = 'must be 1..255 or "auto"'
const ip = z.string().refine(isValidAddress, {error: 'must be an IPv4 or IPv6 address'})
const port = z.int({error: 'must be a port number 1..65535'}).min(1, {error: 'must be a port number 1..65535'}).max(65535, {error: 'must be a port number 1..65535'})
const seconds = z.number({error: 'must be a number of seconds'}).nonnegative({error: 'must be >= 0 seconds'})
const positiveSeconds = z.number({error: 'must be a number of seconds'}).positive({error: 'must be > 0 seconds'})
const priority = z.int({error: 'must be an integer 1..254'}).min(1, {error: 'must be 1..254'}).max(254, {error: 'must be 1..254'})

export const PRESET_NAMES = ['active-passive', 'active-active', 'lvs-dr', 'lvs-nat', 'nginx', 'haproxy'] as const
export type PresetName = (typeof PRESET_NAMES)[number]

const sshEndpoint = z
  .strictObject({
    host: host('host').optional().describe('host name or address to SSH to (default: the node address)'),
    port: port.optional(),
    user: z.string().regex(USER_RE, {error: 'must be a user name: letters, digits, "_", "." and "-", not starting with "-"'}).optional(),
    identityFile: z.string().min(1).optional(),
  })
  .describe('SSH endpoint of a node; unset fields come from defaults.ssh')

/** `env:VAR`, `file:PATH` or the secret inline; an inline secret is checked here, the others when read (secrets.ts). */
const secretRef = z
  .string()
  .min(1)
  .superRefine((v, ctx) => {
    if (/^(env|file):/.test(v)) return
    const p = secretProblem(v)
    if (p) ctx.addIssue({code: 'custom', message: p})
  })
  .describe('the secret inline, or `env:VAR`, or `file:PATH` (relative to the spec file)')

/** the address scopes keepalived names (ip-address(8)) */
export const VIP_SCOPES = ['global', 'site', 'link', 'host', 'nowhere'] as const
const vipObject = z.strictObject({
  address: z.string().refine(isValidCidrOrAddress, {error: 'must be an address with optional /prefix'}),
  dev: ifname.optional(),
  brd: ip.optional(),
  scope: z.enum(VIP_SCOPES).optional(),
  label: z.string().regex(LABEL_RE, {error: 'must be at most 15 characters of letters, digits, ":", ".", "_" and "-" (the kernel\'s label limit)'}).optional(),
})
const vip = z
  .union([z.string().refine(isValidCidrOrAddress, {error: 'must be an address with optional /prefix, e.g. 10.0.0.100/24'}), vipObject])
  .describe('a virtual address: "10.0.0.100/24" or {address, dev, brd, scope, label}')
export type VipSpec = z.infer<typeof vip>

const trackRef = z.union([
  name('a track name'),
  z.strictObject({name: name('a track name'), weight: z.int().min(-253).max(253).optional(), reverse: z.boolean().optional()}),
])
export type TrackRefSpec = z.infer<typeof trackRef>

/** A script the spec asks halctl to write from templates/scripts/<template>.sh.hbs. */
const scriptCommon = {
  /** file name under scriptsDir (default: <template>.sh) */
  file: z
    .string()
    .regex(/^(?!\.\.?$)[\w.-]{1,64}$/, {error: 'must be a file name of letters, digits, "_", "." and "-" (not "." or "..")'})
    .optional(),
  args: z
    .array(z.string().max(64, {error: 'is longer than 64 characters'}).regex(COMMAND_WORD_RE, {error: `each argument must be one word of ${COMMAND_WORD_MSG}`}))
    .max(8, {error: 'has more than 8 arguments'})
    .optional()
    .describe('arguments appended to the command line'),
}
const timing = (max: number) => z.number({error: 'must be a number of seconds'}).nonnegative({error: 'must be >= 0 seconds'}).max(max, {error: `must be <= ${max} seconds`})
/** A systemd unit or service name. */
const SERVICE_RE = /^[A-Za-z0-9][A-Za-z0-9@._:-]{0,127}$/
/** Every parameter a script template takes, typed: nothing reaches the script as free text. */
export const SCRIPT_PARAMS = {
  check_web: z.strictObject({
    service: z.string().regex(SERVICE_RE, {error: 'must be a service name: letters, digits and "@._:-"'}).optional(),
    url: z
      .string()
      .regex(/^https?:\/\/[A-Za-z0-9._~:/?#[\]@!$&()*+,;=%-]+$/, {error: 'must be an http:// or https:// URL without spaces or quotes'})
      .max(1024)
      .optional(),
    restart: z.boolean().optional(),
    timeout: timing(3600).optional(),
    onFail: z.enum(['weight', 'stop']).optional().describe('weight: exit 1 so keepalived lowers the priority by the script\'s weight; stop: also stop keepalived'),
  }),
  fence: z.strictObject({
    settle: timing(3600).optional(),
    action: z.enum(['stop', 'restart']).optional().describe('what the node that steps down does to keepalived'),
  }),
  notify: z.strictObject({
    stateDir: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]{0,255}$/, {error: 'must be an absolute path of letters, digits, "_", ".", "-" and "/"'})
      .refine((p) => !p.split('/').includes('..'), {error: 'must not contain ".."'})
      .optional(),
  }),
} as const
export type ScriptTemplateName = keyof typeof SCRIPT_PARAMS
const templatedScript = z.discriminatedUnion('template', [
  z.strictObject({template: z.literal('check_web'), ...scriptCommon, params: SCRIPT_PARAMS.check_web.optional()}),
  z.strictObject({template: z.literal('fence'), ...scriptCommon, params: SCRIPT_PARAMS.fence.optional()}),
  z.strictObject({template: z.literal('notify'), ...scriptCommon, params: SCRIPT_PARAMS.notify.optional()}),
])
export type TemplatedScriptSpec = z.infer<typeof templatedScript>

const command = z
  .union([commandLine, templatedScript])
  .describe('a command line, or a script halctl writes from a template')
export type CommandSpec = z.infer<typeof command>

const notify = z.strictObject({
  master: command.optional(),
  backup: command.optional(),
  fault: command.optional(),
  stop: command.optional(),
  notify: command.optional().describe('called on every transition with: TYPE NAME STATE PRIORITY'),
  smtpAlert: z.boolean().optional(),
})
export type NotifySpec = z.infer<typeof notify>

export interface RawSpecStatement {
  keyword: string
  args?: (string | number)[]
  block?: (RawSpecStatement | string)[]
}
/** A raw keyword: one plain word, not a line-start form keepalived treats specially (@, $, ~, include). */
const RAW_KEYWORD_RE = /^(?!include[rmwba]?$)[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/
// eslint-disable-next-line no-control-regex
const RAW_WORD_RE = /^[^\s\0-\x1f\x7f"'\\{}#!$]+$/
const RAW_WORD_MSG = 'one word without whitespace, control characters, quotes, backslashes, braces, "#", "!" or "$"'
// eslint-disable-next-line no-control-regex
const RAW_LINE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]*( [^\s\0-\x1f\x7f"'\\{}#!$]+)*$/
const rawStatement: z.ZodType<RawSpecStatement | string> = z.lazy(() =>
  z.union([
    z
      .string()
      .max(512)
      .regex(RAW_LINE_RE, {error: `must be one line: a keyword, then words separated by single spaces, each ${RAW_WORD_MSG}`})
      .refine((l) => !/^include[rmwba]?( |$)/.test(l), {error: 'include lines are not allowed'})
      .describe('one keepalived.conf line, e.g. "vrrp_check_unicast_src"'),
    z.strictObject({
      keyword: z.string().max(64).regex(RAW_KEYWORD_RE, {error: 'must be a keepalived keyword: letters, digits, "_" (not include)'}),
      args: z.array(z.union([z.string().max(512).regex(RAW_WORD_RE, {error: `each argument must be ${RAW_WORD_MSG}`}), z.number()])).optional(),
      block: z.array(rawStatement).optional(),
    }),
  ]),
)
const raw = z.array(rawStatement).describe('keepalived.conf statements the schema does not model, written verbatim')

const remotePath = z
  .string()
  .regex(/^\/[A-Za-z0-9._/+-]{0,200}$/, {error: 'must be an absolute path of letters, digits, "_", ".", "-", "+" and "/"'})
  .refine((p) => !p.split('/').includes('..'), {error: 'must not contain ".."'})
const daemonPaths = z
  .strictObject({
    binary: remotePath.optional().describe('the keepalived binary (e.g. /opt/keepalived/sbin/keepalived for a source install outside PATH)'),
    config: remotePath.optional().describe('the config file keepalived reads (its -f), e.g. /usr/local/etc/keepalived/keepalived.conf'),
  })
  .describe('where keepalived lives on the node when not where a package puts it; unset: found from the running daemon, else the standard paths')
export type DaemonPathsSpec = z.infer<typeof daemonPaths>

const node = z.strictObject({
  name: name('a node name'),
  address: ip.describe("the node's own address on the VRRP interface (unicast_src_ip)"),
  ssh: sshEndpoint.optional(),
  priority: priority.optional().describe('default: derived from the order of nodes (first = highest)'),
  interface: ifname.optional(),
  keepalived: daemonPaths.optional(),
  routerId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, {error: 'must be 1..64 characters of letters, digits, "_", ".", ":" and "-"'})
    .optional()
    .describe('global_defs router_id (default: <cluster>_<node>)'),
})
export type NodeSpec = z.infer<typeof node>

const instance = z.strictObject({
  name: name('an instance name'),
  vrid: z
    .union([z.literal('auto'), z.int({error: VRID_MSG}).min(1, {error: VRID_MSG}).max(255, {error: VRID_MSG})], {error: VRID_MSG})
    .default('auto')
    .describe('virtual_router_id, or "auto": a stable hash of cluster and instance name that skips avoidVrids'),
  interface: ifname.optional(),
  nodes: z.array(z.string()).min(1).optional().describe('nodes taking part (default: all)'),
  master: z.string().optional().describe('node that holds the VIPs (default: the first node); priorities follow from it'),
  priorities: z.record(z.string(), priority).optional().describe('per-node priority overrides'),
  states: z
    .record(z.string(), z.enum(['MASTER', 'BACKUP']))
    .optional()
    .describe('per-node initial state overrides (default: the highest priority starts MASTER, see preempt and preemptDelay)'),
  vips: z.array(vip).describe('the virtual addresses; [] for an instance that only runs notify scripts (e.g. moving a cloud address)'),
  excludedVips: z.array(vip).optional().describe('virtual_ipaddress_excluded'),
  advertInt: positiveSeconds.max(255).default(1),
  version: z.union([z.literal(2), z.literal(3)], {error: 'must be 2 or 3'}).optional(),
  auth: z
    .strictObject({type: z.enum(['PASS', 'AH']), pass: secretRef})
    .optional()
    .describe('VRRPv2 authentication; pass is the secret, env:VAR or file:PATH'),
  unicast: z.boolean().default(false).describe('unicast to the other nodes instead of multicast'),
  externalPeers: z
    .array(ip)
    .optional()
    .describe('with unicast: peers that are not nodes of this spec (keepalived routers halctl does not manage), sent to after the nodes'),
  preempt: z.boolean().default(true).describe('false: every node starts BACKUP with nopreempt'),
  preemptDelay: seconds.max(1000).optional(),
  trackScripts: z.array(trackRef).optional(),
  trackInterfaces: z.array(trackRef).optional(),
  notify: notify.optional(),
  garp: z
    .strictObject({
      masterDelay: z.int().nonnegative().optional(),
      masterRepeat: z.int().nonnegative().optional(),
      masterRefresh: z.int().nonnegative().optional(),
      masterRefreshRepeat: z.int().nonnegative().optional(),
    })
    .optional(),
  nativeIpv6: z.boolean().optional(),
  useVmac: z.union([z.boolean(), ifname]).optional().describe('true, or the name of the VMAC interface'),
  noAccept: z.boolean().optional(),
  accept: z.boolean().optional(),
  dontTrackPrimary: z.boolean().optional(),
  mcastSrcIp: ip.optional(),
  raw: raw.optional(),
})
export type InstanceSpec = z.infer<typeof instance>

const vrrpScript = z.strictObject({
  script: command.describe('command line, or a script halctl writes from a template'),
  interval: positiveSeconds.optional(),
  timeout: positiveSeconds.optional(),
  weight: z.int().min(-253).max(253).optional(),
  reverse: z.boolean().optional(),
  rise: z.int().min(1).optional(),
  fall: z.int().min(1).optional(),
  user: scriptUserSpec.optional(),
  initFail: z.boolean().optional(),
})

const syncGroup = z.strictObject({
  name: name('a sync group name'),
  instances: z.array(z.string()).min(1),
  trackScripts: z.array(trackRef).optional(),
  notify: notify.optional(),
})

const globalDefs = z.strictObject({
  notificationEmail: z.array(email).optional(),
  notificationEmailFrom: email.optional(),
  smtpServer: host('smtpServer').optional(),
  smtpServerPort: port.optional(),
  smtpConnectTimeout: z.int().positive().optional(),
  vrrpMcastGroup4: ip.optional(),
  vrrpMcastGroup6: ip.optional(),
  vrrpSkipCheckAdvAddr: z.boolean().optional(),
  vrrpStrict: z.boolean().optional(),
  vrrpGarpInterval: seconds.optional(),
  vrrpGnaInterval: seconds.optional(),
  vrrpGarpMasterDelay: z.int().nonnegative().optional(),
  vrrpGarpMasterRepeat: z.int().nonnegative().optional(),
  vrrpGarpMasterRefresh: z.int().nonnegative().optional(),
  vrrpGarpMasterRefreshRepeat: z.int().nonnegative().optional(),
  vrrpVersion: z.union([z.literal(2), z.literal(3)], {error: 'must be 2 or 3'}).optional(),
  enableScriptSecurity: z.boolean().optional(),
  scriptUser: scriptUserSpec.optional(),
  maxAutoPriority: z
    .int()
    .min(-1)
    .max(99)
    .optional()
    .describe('max_auto_priority: the highest realtime priority keepalived may give itself, -1: never realtime'),
  raw: raw.optional(),
})

const httpUrl = z.strictObject({
  path: z
    .string()
    .startsWith('/', {error: 'must start with "/"'})
    .regex(/^\S+$/, {error: 'keepalived reads the path up to the first space: write a space as %20'})
    // (a space has its own message above)
    .refine((p) => /\s/.test(p) || /^\/[A-Za-z0-9._~%/:@&=+,;?()*-]*$/.test(p), {
      error: 'must be a URL path of letters, digits and "._~%/:@&=+,;?()*-" (percent-encode anything else)',
    })
    .max(512, {error: 'is longer than 512 characters'}),
  statusCode: z.union([z.int().min(100).max(599), z.string().regex(/^\d{3}(-\d{3})?( \d{3}(-\d{3})?)*$/)]).optional(),
  digest: z.string().regex(/^[0-9a-fA-F]{32}$/, {error: 'must be an MD5 hex digest (32 hex digits)'}).optional(),
})
const connectOpts = {
  connectIp: ip.optional(),
  connectPort: port.optional(),
  bindto: ip.optional(),
  bindPort: port.optional(),
  connectTimeout: positiveSeconds.optional(),
  retry: z.int().nonnegative().optional(),
  delayBeforeRetry: seconds.optional(),
  warmup: seconds.optional(),
}
const checker = z.discriminatedUnion('type', [
  z.strictObject({type: z.literal('HTTP_GET'), urls: z.array(httpUrl).min(1), virtualhost: host('virtualhost').optional(), ...connectOpts}),
  z.strictObject({type: z.literal('SSL_GET'), urls: z.array(httpUrl).min(1), virtualhost: host('virtualhost').optional(), ...connectOpts}),
  z.strictObject({type: z.literal('TCP_CHECK'), ...connectOpts}),
  z.strictObject({
    type: z.literal('MISC_CHECK'),
    path: commandLine.describe('misc_path: the command line'),
    timeout: positiveSeconds.optional(),
    dynamic: z.boolean().optional(),
    user: scriptUserSpec.optional(),
    warmup: seconds.optional(),
  }),
])
export type CheckerSpec = z.infer<typeof checker>

const realServer = z.strictObject({
  ip,
  port: port.optional(),
  weight: z.int().nonnegative().optional(),
  inhibitOnFailure: z.boolean().optional(),
  notifyUp: commandLine.optional(),
  notifyDown: commandLine.optional(),
  delayLoop: positiveSeconds.optional(),
  check: checker.optional(),
})

export const LB_ALGOS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'mh', 'dh', 'sed', 'nq', 'fo', 'ovf'] as const
const virtualServer = z
  .strictObject({
    address: ip.optional(),
    port: port.optional(),
    fwmark: z.int().positive().optional(),
    delayLoop: positiveSeconds.optional(),
    lbAlgo: z.enum(LB_ALGOS).default('wrr'),
    lbKind: z.enum(['NAT', 'DR', 'TUN']).default('DR'),
    protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional().describe('default TCP; not with fwmark'),
    persistenceTimeout: z.int().min(1).max(2678400).optional(),
    virtualhost: host('virtualhost').optional(),
    sorryServer: z.strictObject({ip, port: port.optional()}).optional(),
    quorum: z.int().positive().optional(),
    hysteresis: z.int().nonnegative().optional(),
    quorumUp: commandLine.optional(),
    quorumDown: commandLine.optional(),
    alpha: z.boolean().optional(),
    omega: z.boolean().optional(),
    inhibitOnFailure: z.boolean().optional(),
    realServers: z.array(realServer).min(1, {error: 'needs at least one real server'}),
    raw: raw.optional(),
  })
  .refine((v) => (v.fwmark === undefined) !== (v.address === undefined), {error: 'give either address (+ port) or fwmark'})
  .refine((v) => v.fwmark === undefined || v.protocol === undefined, {error: 'keepalived ignores protocol on a fwmark virtual server; remove it', path: ['protocol']})
  .refine((v) => v.lbKind === 'NAT' || v.sorryServer?.port === undefined || v.sorryServer.port === v.port, {
    error: 'with lbKind DR or TUN the sorry server port must equal the virtual server port',
    path: ['sorryServer', 'port'],
  })
export type VirtualServerSpec = z.infer<typeof virtualServer>

/** A log file path rsyslog can take as-is: absolute, plain characters, no "..". */
const LOG_FILE_RE = /^\/[A-Za-z0-9._/-]+$/
export const SYSLOG_LOCAL_FACILITIES = 8

const logging = z
  .strictObject({
    file: z
      .string()
      .regex(LOG_FILE_RE, {error: 'must be an absolute path of letters, digits, "_", ".", "-" and "/"'})
      .refine((p) => !p.split('/').includes('..') && !p.endsWith('/'), {error: 'must be a plain file path (no "..", no trailing "/")'})
      .default('/var/log/keepalived.log')
      .describe('the file rsyslog writes keepalived messages to'),
    facility: z
      .int({error: 'must be 0..7 (local0..local7)'})
      .min(0, {error: 'must be 0..7 (local0..local7)'})
      .max(SYSLOG_LOCAL_FACILITIES - 1, {error: 'must be 0..7 (local0..local7)'})
      .default(6)
      .describe('syslog facility localN keepalived logs to (keepalived -S N)'),
  })
  .describe('keepalived logs to its own file: keepalived -S N plus an rsyslog drop-in routing localN to the file. Unset: deploy leaves logging alone')
export type LoggingSpec = z.output<typeof logging>

export const ClusterSpecSchema = z
  .strictObject({
    $schema: z.string().optional(),
    cluster: name('the cluster name').describe('cluster name: feeds VRID "auto" and router_id'),
    preset: z.enum(PRESET_NAMES).optional().describe('the layout this spec started from (informational)'),
    defaults: z
      .strictObject({
        interface: ifname.optional(),
        keepalived: daemonPaths.optional(),
        ssh: z.strictObject({user: z.string().regex(USER_RE, {error: 'must be a user name: letters, digits, "_", "." and "-", not starting with "-"'}).optional(), port: port.optional(), identityFile: z.string().min(1).optional()}).optional(),
      })
      .optional(),
    ssh: z.strictObject({configFile: z.string().min(1).optional(), knownHostsFile: z.string().min(1).optional()}).optional(),
    scriptsDir: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]{0,200}$/, {error: 'must be an absolute path of letters, digits, "_", ".", "-" and "/"'})
      .refine((p) => !p.split('/').includes('..'), {error: 'must not contain ".."'})
      .default('/etc/keepalived/scripts'),
    avoidVrids: z.array(z.int().min(1).max(255)).optional().describe('VRIDs "auto" never picks (other clusters on the LAN)'),
    nodes: z.array(node).min(1, {error: 'needs at least one node'}),
    instances: z.array(instance).min(1, {error: 'needs at least one instance'}),
    scripts: z.record(name('a script name'), vrrpScript).optional().describe('vrrp_script blocks by name'),
    syncGroups: z.array(syncGroup).optional(),
    globalDefs: globalDefs.optional(),
    virtualServers: z.array(virtualServer).optional(),
    logging: logging.optional(),
    manage: z
      .strictObject({
        firewall: z.boolean().default(true).describe('false: deploy leaves the nodes\' firewall as it is (it lets VRRP in already)'),
        sysctls: z.boolean().default(true).describe('false: deploy leaves kernel settings (ip_nonlocal_bind, ip_forward) as they are'),
      })
      .optional()
      .describe('what deploy manages besides keepalived itself (default: all); an adopted cluster may keep its own firewall and sysctls'),
    raw: raw.optional(),
  })
  .describe('halctl cluster spec: one YAML file that becomes matched keepalived.conf files')

export type ClusterSpecInput = z.input<typeof ClusterSpecSchema>
/** A validated spec (defaults applied, relative file paths made absolute). */
export type ClusterSpec = z.output<typeof ClusterSpecSchema>
