/**
 * Opening a TCP connection to a device or converter, with a connect timeout and an abort.
 *
 * Node's own connect neither times out (a PLC behind a firewall that drops SYNs hangs for
 * minutes) nor stops when the source is stopped; both are added here.
 */
import { Socket } from 'node:net'
import { LinkError } from './link.ts'

/** Connects; throws {@link LinkError} `connect`, or `closed` when `signal` aborts the attempt. */
export async function connectSocket(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  const socket = new Socket()
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer)
        reject(new LinkError('closed', 'connect abandoned: the source was stopped'))
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        reject(new LinkError('connect', `no answer within ${timeoutMs} ms`))
      }, timeoutMs)
      const settle = (err?: Error): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (err === undefined) resolve()
        else reject(new LinkError('connect', err.message, { cause: err }))
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      socket.once('connect', () => settle())
      socket.once('error', (err) => settle(err))
      socket.connect({ host, port })
    })
  } catch (err) {
    socket.destroy()
    throw err
  }
  // Nagle would hold each small request until the device's delayed ACK: ~40 ms per request.
  socket.setNoDelay(true)
  // A PLC that loses power sends no FIN; keepalive finds the dead connection between polls.
  socket.setKeepAlive(true, 10_000)
  return socket
}
