/** Lab names, pure: the prefix and host name rules, and the link and namespace names derived from them. */
import {HalError} from '../lib/errors.js'

const NAME_RE = /^[a-z][a-z0-9]*$/
const IFNAMSIZ = 15

export function bridgeName(prefix: string): string {
  return `${prefix}-br`
}

export function hostNetnsName(prefix: string, name: string): string {
  return `${prefix}-${name}`
}

/** Root-namespace end of the host's veth (the other end is eth0 in the host). */
export function hostVethName(prefix: string, name: string): string {
  return `${prefix}-${name}`
}

/** Validate a prefix and host names so every derived link name fits IFNAMSIZ. */
export function checkNames(prefix: string, hostNames: string[] = []): void {
  if (!NAME_RE.test(prefix) || prefix.length > 6)
    throw new HalError('LAB_BAD_NAME', `lab name/prefix "${prefix}" is not usable`, {
      hint: 'use 1-6 lowercase letters or digits, starting with a letter',
    })
  for (const h of hostNames) {
    if (!NAME_RE.test(h) || h === 'br' || hostVethName(prefix, h).length > IFNAMSIZ)
      throw new HalError('LAB_BAD_NAME', `lab host name "${h}" is not usable with prefix "${prefix}"`, {
        hint: `use lowercase letters and digits, not "br", at most ${IFNAMSIZ - prefix.length - 1} characters`,
      })
  }
}
