// A schema registry for tests: Apicurio Registry (in memory, its jar fetched from Maven Central by
// deploy/avro/avro-tools.sh, as .ci/run does) on a free port, spoken to through its
// Confluent-compatible API /apis/ccompat/v7.
import { execFile, spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { freePort, waitFor } from './wait.ts'

const repo = resolve(import.meta.dirname, '..', '..')

export interface TestRegistry {
  /** The Confluent-compatible API's base URL (what SCHEMA_REGISTRY_URL holds). */
  readonly url: string
  stop(): Promise<void>
}

export async function startApicurio(): Promise<TestRegistry> {
  const { stdout } = await promisify(execFile)('bash', [join(repo, 'deploy', 'avro', 'avro-tools.sh'), 'registry-jar'], { cwd: repo })
  const jar = stdout.trim().split('\n').at(-1) ?? ''
  const port = await freePort()
  const child = spawn('java', ['-Xms64m', '-Xmx384m', '-Dquarkus.http.host=127.0.0.1', `-Dquarkus.http.port=${port}`, '-jar', jar], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-20_000)))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-20_000)))
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }
  try {
    await waitFor(
      `Apicurio Registry on port ${port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`Apicurio Registry exited ${child.exitCode}:\n${log}`)
        return fetch(`${url}/subjects`).then((r) => r.ok, () => false)
      },
      120_000,
    )
  } catch (e) {
    await stop()
    throw new Error(`${(e as Error).message}\n${log}`)
  }
  return { url, stop }
}
