import net, {type AddressInfo} from 'node:net'

/** A TCP port nothing listens on at the moment, on this address (bound, read, released). */
export async function freePort(host: string): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, host, r))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}
