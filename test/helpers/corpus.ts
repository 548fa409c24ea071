import {join} from 'node:path'

/** ../shared/corpus beside the repository (CI clones the repo with shared/ next to it). */
export const CORPUS_DIR = process.env.HALCTL_SHARED_CORPUS ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus')
export const CORPUS_CONFIGS = join(CORPUS_DIR, 'configs')
export const CORPUS_PCAP = join(CORPUS_DIR, 'pcap')
/** the reference VRRP capture and tcpdump's own output for it */
export const REFERENCE_PCAP = join(CORPUS_PCAP, 'vrrp.pcap')
