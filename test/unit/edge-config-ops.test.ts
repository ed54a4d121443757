// The operational sections of the agent config: kafka (TLS, SASL, secrets), spool, health.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { readFileSync } from 'node:fs'
import { ConfigError, parseEdgeConfig } from '../../edge/index.ts'
import { parseDuration, parseSize } from '../../edge/config/units.ts'

const dir = mkdtempSync(join(tmpdir(), 'shopfloor-config-'))
const file = join(dir, 'gw.yaml')
const caFile = join(dir, 'ca.pem')
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
writeFileSync(join(dir, 'kafka.password'), 's3cret-from-file\n')
writeFileSync(join(dir, 'not-pem.txt'), 'hello\n')

const example = (): Record<string, any> => parse(readFileSync('edge/examples/smt-line.yaml', 'utf8')) as Record<string, any>

function load(mutate: (c: Record<string, any>) => void, env: NodeJS.ProcessEnv = {}) {
  const c = example()
  mutate(c)
  return parseEdgeConfig(stringify(c), file, env)
}

function errorOf(mutate: (c: Record<string, any>) => void, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    load(mutate, env)
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  throw new Error('config was accepted')
}

describe('sizes and durations', () => {
  it.each([
    [1048576, 1048576],
    ['512MiB', 512 * 2 ** 20],
    ['2GB', 2e9],
    ['1.5 GiB', 1.5 * 2 ** 30],
    ['800kB', 800_000],
    ['100', 100],
    ['0', undefined],
    ['12 parsecs', undefined],
    [-5, undefined],
  ])('parseSize(%j) = %j', (input, want) => expect(parseSize(input)).toBe(want))

  it.each([
    [1500, 1500],
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['7', undefined], // a bare string needs a unit: "7" could be seconds or days
    ['1w', undefined],
  ])('parseDuration(%j) = %j', (input, want) => expect(parseDuration(input)).toBe(want))
})

describe('kafka section', () => {
  it('defaults: client id = agent id, prefix shopfloor, no TLS, no SASL', () => {
    const cfg = load((c) => (c.kafka = { brokers: ['kafka-1:9092'] }))
    expect(cfg.kafka).toEqual({ brokers: ['kafka-1:9092'], clientId: 'gw-smt-1', topicPrefix: 'shopfloor' })
  })

  it('no kafka section: none (the CLI falls back to KAFKA_BROKERS)', () => {
    expect(load(() => {}).kafka).toBeUndefined()
  })

  it('reads the CA relative to the config file and the password from the environment', () => {
    const cfg = load(
      (c) => (c.kafka = { brokers: ['k:9093'], tls: { ca: 'ca.pem' }, sasl: { mechanism: 'scram-sha-512', username: 'gw', passwordEnv: 'KAFKA_PW' } }),
      { KAFKA_PW: 's3cret' },
    )
    expect(cfg.kafka?.tls).toEqual({ ca: readFileSync(caFile, 'utf8'), rejectUnauthorized: true })
    expect(cfg.kafka?.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'gw', password: 's3cret' })
  })

  it('reads the password from a file, without its trailing newline', () => {
    const cfg = load((c) => (c.kafka = { brokers: ['k:9093'], sasl: { mechanism: 'plain', username: 'gw', passwordFile: 'kafka.password' } }))
    expect(cfg.kafka?.sasl?.password).toBe('s3cret-from-file')
  })

  it.each([
    ['an unset password variable', { sasl: { mechanism: 'plain', username: 'gw', passwordEnv: 'NOPE' } }, 'kafka.sasl.passwordEnv', 'names NOPE, which is not set'],
    ['no password source', { sasl: { mechanism: 'plain', username: 'gw' } }, 'kafka.sasl.passwordEnv', 'is required'],
    ['a password in the file itself', { sasl: { mechanism: 'plain', username: 'gw', password: 'x' } }, 'kafka.sasl.password', 'is not a known key'],
    ['both password sources', { sasl: { mechanism: 'plain', username: 'gw', passwordEnv: 'A', passwordFile: 'kafka.password' } }, 'kafka.sasl.passwordFile', 'not both'],
    ['a missing password file', { sasl: { mechanism: 'plain', username: 'gw', passwordFile: 'gone.txt' } }, 'kafka.sasl.passwordFile', 'ENOENT'],
    ['an unknown mechanism', { sasl: { mechanism: 'gssapi', username: 'gw', passwordEnv: 'A' } }, 'kafka.sasl.mechanism', 'must be one of plain, scram-sha-256, scram-sha-512'],
    ['a CA that is not PEM', { tls: { ca: 'not-pem.txt' } }, 'kafka.tls.ca', 'is not a PEM file'],
    ['a client cert without its key', { tls: { cert: 'ca.pem' } }, 'kafka.tls.key', 'is required with cert'],
  ])('rejects %s naming the field', (_name, extra, path, says) => {
    const e = errorOf((c) => (c.kafka = { brokers: ['k:9093'], ...extra }))
    expect(e.path).toBe(path)
    expect(e.message).toContain(says)
  })

  it('never puts a password into an error message', () => {
    const e = errorOf((c) => (c.kafka = { brokers: ['k:9093'], tls: { ca: 'not-pem.txt' }, sasl: { mechanism: 'plain', username: 'gw', passwordEnv: 'PW' } }), { PW: 'hunter2' })
    expect(e.message).not.toContain('hunter2')
  })

  it('rejects a broker without a port', () => {
    expect(errorOf((c) => (c.kafka = { brokers: ['kafka-1'] })).path).toBe('kafka.brokers[0]')
  })
})

describe('spool and health sections', () => {
  it('defaults: under the state dir, 1 GiB, 7 days, drop-oldest, fsync every second; health on loopback 9464', () => {
    const cfg = load(() => {})
    expect(cfg.spool).toEqual({ dir: join(cfg.agent.stateDir, 'spool'), maxBytes: 2 ** 30, maxAgeMs: 7 * 86_400_000, onFull: 'drop-oldest', fsync: 'interval', fsyncIntervalMs: 1000 })
    expect(cfg.health).toEqual({ listen: { host: '127.0.0.1', port: 9464 } })
  })

  it('takes sizes and durations with units', () => {
    const cfg = load((c) => (c.spool = { maxBytes: '256MiB', maxAge: '36h', onFull: 'drop-newest', fsync: 'always' }))
    expect(cfg.spool).toMatchObject({ maxBytes: 256 * 2 ** 20, maxAgeMs: 36 * 3600e3, onFull: 'drop-newest', fsync: 'always' })
  })

  it.each([
    ['a size without a number', { maxBytes: 'lots' }, 'spool.maxBytes'],
    ['a size below 64 KiB', { maxBytes: '10kB' }, 'spool.maxBytes'],
    ['an age in weeks', { maxAge: '2w' }, 'spool.maxAge'],
    ['an unknown policy', { onFull: 'block' }, 'spool.onFull'],
  ])('rejects %s', (_name, spool, path) => {
    expect(errorOf((c) => (c.spool = spool)).path).toBe(path)
  })

  it('health: an address, or off', () => {
    expect(load((c) => (c.health = { listen: '0.0.0.0:9100' })).health).toEqual({ listen: { host: '0.0.0.0', port: 9100 } })
    expect(load((c) => (c.health = { listen: 'off' })).health).toEqual({})
    expect(errorOf((c) => (c.health = { listen: 'localhost' })).path).toBe('health.listen')
  })
})
