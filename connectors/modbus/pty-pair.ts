/**
 * A virtual serial line: two pseudo-terminals joined by socat (`socat -d -d pty,raw,echo=0
 * pty,raw,echo=0`, from Debian's socat package). The simulator serves RTU on one end and a
 * source reads the other, so tests and the demo run the serial transport without hardware.
 */
import { spawn, type ChildProcess } from 'node:child_process'

export interface PtyPair {
  /** One end, e.g. `/dev/pts/3`: give it to the simulator. */
  readonly a: string
  /** The other end: give it to the source as its serialPort. */
  readonly b: string
  /** Stops socat; both ends disappear. */
  close(): Promise<void>
}

/** Starts socat and resolves with the two device paths. Rejects when socat is missing or fails. */
export async function openPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const child: ChildProcess = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  try {
    const paths = await new Promise<string[]>((resolve, reject) => {
      let text = ''
      const found: string[] = []
      const timer = setTimeout(() => reject(new Error(`socat did not announce two ptys within ${timeoutMs} ms: ${text.trim()}`)), timeoutMs)
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(new Error(`cannot run socat (${err.message}); install it (Debian: apt-get install socat)`, { cause: err }))
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`socat exited with ${String(code)}: ${text.trim()}`))
      })
      child.stderr?.setEncoding('utf8')
      child.stderr?.on('data', (chunk: string) => {
        text += chunk
        for (const m of chunk.matchAll(/PTY is (\S+)/g)) found.push(m[1] as string)
        // "starting data transfer loop": both ends are open and joined.
        if (found.length >= 2 && text.includes('starting data transfer loop')) {
          clearTimeout(timer)
          resolve(found)
        }
      })
    })
    child.stderr?.resume()
    return { a: paths[0] as string, b: paths[1] as string, close }
  } catch (err) {
    await close()
    throw err
  }
}
