// A Kafka broker of a test's own, for tests that stop and start it or need its SASL/TLS
// listeners: deploy/kafka/kafka.sh on free ports under .kafka/own/<name>-<pid>, sharing the
// downloaded jars. The shared broker of test/setup/kafka.ts is for everything else.
import { spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const script = join(repoRoot, 'deploy', 'kafka', 'kafka.sh')

export interface OwnBroker {
  /** `127.0.0.1:PORT`, the plain listener. */
  readonly address: string
  readonly port: number
  /** With `security`: SASL over plain TCP (PORT+2), SASL over TLS (PORT+3), TLS only (PORT+4). */
  readonly saslAddress: string
  readonly saslTlsAddress: string
  readonly tlsAddress: string
  /** With `security`: the PEM the broker's certificate is trusted by. */
  readonly caPem: string
  /** With `security`: the one SASL user and its password. */
  readonly user: { username: string; password: string }
  /** Starts it again on the same ports, with its data. */
  start(): Promise<void>
  /** Stops it (SIGTERM), keeping its data. */
  stop(): Promise<void>
  /** Stops it and deletes its home. */
  destroy(): Promise<void>
}

function run(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [script, command], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, out }))
  })
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer()
    server.once('error', () => resolvePromise(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePromise(true)))
  })
}

/** The first of `count` consecutive free loopback ports at or above `from`. */
async function freePortRange(count: number, from: number): Promise<number> {
  for (let base = from; base < 65000; base += count) {
    let ok = true
    for (let i = 0; i < count && ok; i++) ok = await portFree(base + i)
    if (ok) return base
  }
  throw new Error(`no ${count} consecutive free ports above ${from}`)
}

export async function startOwnBroker(opts: { name: string; security?: boolean; fromPort?: number }): Promise<OwnBroker> {
  const port = await freePortRange(5, opts.fromPort ?? 20000 + (process.pid % 200) * 50)
  const home = join(repoRoot, '.kafka', 'own', `${opts.name}-${process.pid}`)
  const user = { username: 'shopfloor', password: 'shopfloor-secret' }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SHOPFLOOR_KAFKA_HOME: home,
    SHOPFLOOR_KAFKA_PORT: String(port),
    SHOPFLOOR_KAFKA_LIBS: process.env.SHOPFLOOR_KAFKA_LIBS ?? join(repoRoot, '.kafka', 'libs'),
    SHOPFLOOR_KAFKA_SECURITY: opts.security ? '1' : '0',
    SHOPFLOOR_KAFKA_SASL_USER: user.username,
    SHOPFLOOR_KAFKA_SASL_PASSWORD: user.password,
  }
  const start = async (): Promise<void> => {
    const r = await run('start', env)
    if (r.code !== 0) throw new Error(`kafka.sh start (${opts.name}, port ${port}) exited ${r.code}:\n${r.out}`)
  }
  await run('reset', env)
  await start()
  return {
    address: `127.0.0.1:${port}`,
    port,
    saslAddress: `127.0.0.1:${port + 2}`,
    saslTlsAddress: `127.0.0.1:${port + 3}`,
    tlsAddress: `127.0.0.1:${port + 4}`,
    caPem: opts.security ? readFileSync(join(home, 'run', 'tls', 'ca.pem'), 'utf8') : '',
    user,
    start,
    stop: async () => {
      const r = await run('stop', env)
      if (r.code !== 0) throw new Error(`kafka.sh stop (${opts.name}) exited ${r.code}:\n${r.out}`)
    },
    destroy: async () => {
      await run('reset', env)
      rmSync(home, { recursive: true, force: true })
    },
  }
}
