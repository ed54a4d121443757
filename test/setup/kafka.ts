// vitest globalSetup of the integration project: provides a Kafka bootstrap address as
// inject('kafkaBrokers') and as process.env.KAFKA_BROKERS (for child processes).
//
// KAFKA_BROKERS set: that cluster is used and nothing is started or stopped.
// Otherwise: deploy/kafka/kafka.sh starts a broker of its own under .kafka/test on port
// SHOPFLOOR_TEST_KAFKA_PORT (19192), apart from the dev broker (.kafka, 19092) but sharing its
// downloaded jars, and deletes it with its data at teardown so every run starts empty.
// A broker that cannot be had fails the run: integration tests never skip.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap addresses, e.g. `127.0.0.1:19192`. */
    kafkaBrokers: string
  }
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const script = join(repoRoot, 'deploy', 'kafka', 'kafka.sh')
const defaultTestPort = 19192

interface ScriptResult {
  code: number | null
  stdout: string
  stderr: string
}

function runScript(command: string, env: NodeJS.ProcessEnv): Promise<ScriptResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [script, command], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
  })
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function testPort(): number {
  const raw = process.env.SHOPFLOOR_TEST_KAFKA_PORT
  if (raw === undefined || raw === '') return defaultTestPort
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1024 || port > 65534) {
    throw new Error(
      `SHOPFLOOR_TEST_KAFKA_PORT=${raw} must be a whole number from 1024 to 65534 (the controller takes the port after it)`,
    )
  }
  return port
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.KAFKA_BROKERS?.trim()
  if (given) {
    project.provide('kafkaBrokers', given)
    return undefined
  }

  const port = testPort()
  // One home per port, so two runs on different ports never share a data dir.
  const home = join(repoRoot, '.kafka', port === defaultTestPort ? 'test' : `test-${port}`)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SHOPFLOOR_KAFKA_HOME: home,
    SHOPFLOOR_KAFKA_PORT: String(port),
    SHOPFLOOR_KAFKA_LIBS: process.env.SHOPFLOOR_KAFKA_LIBS ?? join(repoRoot, '.kafka', 'libs'),
  }

  // The broker outlives a run that was killed before its teardown. Such a leftover is reset;
  // a broker of a run still in progress is not taken away from it.
  mkdirSync(home, { recursive: true })
  const ownerFile = join(home, 'owner.pid')
  if (existsSync(ownerFile)) {
    const owner = Number(readFileSync(ownerFile, 'utf8').trim())
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && pidAlive(owner)) {
      throw new Error(
        `the test Kafka broker on port ${port} belongs to another test run (pid ${owner}): wait for it to end, ` +
          'or run with SHOPFLOOR_TEST_KAFKA_PORT set to another free port, or point KAFKA_BROKERS at a running broker',
      )
    }
  }
  writeFileSync(ownerFile, `${process.pid}\n`)

  const reset = await runScript('reset', env)
  if (reset.code !== 0) {
    rmSync(ownerFile, { force: true })
    throw new Error(`kafka.sh reset failed (exit ${reset.code}) before the test broker could start:\n${reset.stderr}${reset.stdout}`)
  }

  const started = await runScript('start', env)
  const address = started.stdout.trim().split('\n').at(-1)?.trim() ?? ''
  if (started.code !== 0 || !/^127\.0\.0\.1:\d+$/.test(address)) {
    await runScript('reset', env)
    rmSync(ownerFile, { force: true })
    throw new Error(
      `could not start the Kafka broker for the integration tests (kafka.sh start exited ${started.code}).\n` +
        `Fix the cause below, or set KAFKA_BROKERS to the bootstrap address of a running broker ` +
        `(the test broker's port is SHOPFLOOR_TEST_KAFKA_PORT, now ${port}).\n` +
        `${started.stderr}${started.stdout}`,
    )
  }

  project.provide('kafkaBrokers', address)
  process.env.KAFKA_BROKERS = address

  return async () => {
    const stopped = await runScript('reset', env)
    rmSync(ownerFile, { force: true })
    delete process.env.KAFKA_BROKERS
    if (stopped.code !== 0) {
      throw new Error(`kafka.sh reset failed (exit ${stopped.code}) after the tests:\n${stopped.stderr}${stopped.stdout}`)
    }
  }
}
