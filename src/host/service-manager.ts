/**
 * How a node's service manager is found: systemd (PID 1 is systemd and
 * systemctl exists), SysV init (PID 1 is called init and `service` exists),
 * or none. One shell function, used by deploy's facts script and by the
 * generated scripts that start or stop services on the node (the template
 * partial `serviceManager`), so both always agree.
 */
export const SERVICE_MANAGER_SH = `service_manager() {
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo systemd
    elif [ "$(cat /proc/1/comm 2>/dev/null)" = init ] && command -v service >/dev/null 2>&1; then echo sysv
    else echo none; fi
}`

export type InitSystem = 'systemd' | 'sysv' | 'none'
