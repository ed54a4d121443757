import { Value } from 'typebox/value'
import { EdgeConfigSchema, TAG_KEYS_BY_PROTOCOL, type EdgeConfigInput, type TagRefInput } from './schema.ts'
import { checkModbusSourceConfig, checkOpcuaSourceConfig, modbusTagFromConfig, opcuaTagFromConfig, ConfigKeyProblem, describeSchemaError, pickSchemaError, showValue as show, type SchemaProblem } from '../../connectors/index.ts'
import { DEFAULTS } from './defaults.ts'
import type { EdgeConfig, HealthConfig, KafkaConfig, MachineConfig, SourceConfig, SpoolConfig, TagRef } from './resolved.ts'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve as resolvePath } from 'node:path'
import { configRelative, readSecret } from './secrets.ts'
import { parseDuration, parseSize } from './units.ts'
import type { KafkaSaslOptions, KafkaTlsOptions, MachineStateCode } from '../../stream/index.ts'

/** A problem found in a config value: the field path (`lines[0].id`) and what is wrong, as one phrase. */
export type ConfigProblem = SchemaProblem

export { formatPath } from '../../connectors/index.ts'

/**
 * The first problem of a config value against the schema, or undefined. Among errors at the same
 * place the most telling wins (an unknown key over the "schema is false" echo of it), and sources
 * are checked against the schema of their own protocol so the message is not a union's shrug.
 */
export function schemaProblem(value: unknown): ConfigProblem | undefined {
  const sources = (value as { sources?: unknown } | null)?.sources
  if (Array.isArray(sources)) {
    const variants = (EdgeConfigSchema.properties.sources.items as { anyOf: Array<{ properties: { protocol: { const: string } } }> }).anyOf
    const protocols = variants.map((v) => v.properties.protocol.const)
    for (const [i, s] of sources.entries()) {
      const protocol = (s as { protocol?: unknown } | null)?.protocol
      const variant = variants.find((v) => v.properties.protocol.const === protocol)
      if (!variant) {
        return s !== null && typeof s === 'object'
          ? { path: ['sources', i, 'protocol'], problem: `must be one of ${protocols.join(', ')} (got ${show(protocol)})` }
          : { path: ['sources', i], problem: `must be an object with a protocol (${protocols.join(', ')})` }
      }
      const first = pickSchemaError([...Value.Errors(variant, s)])
      if (first) {
        const p = describeSchemaError(first, variant, s)
        return { path: ['sources', i, ...p.path], problem: p.problem }
      }
    }
  }
  const errors = [...Value.Errors(EdgeConfigSchema, value)].filter((e) => !e.instancePath.match(/^\/sources\/\d+/) || !Array.isArray(sources))
  const first = pickSchemaError(errors)
  return first ? describeSchemaError(first, EdgeConfigSchema, value) : undefined
}

class Problem extends Error {
  readonly path: Array<string | number>
  constructor(path: Array<string | number>, problem: string) {
    super(problem)
    this.path = path
  }
}

/**
 * Checks the rules a schema cannot express and applies defaults. Throws {@link Problem} with the
 * field path on the first violation.
 */
function resolve(input: EdgeConfigInput, file: string, env: NodeJS.ProcessEnv): EdgeConfig {
  const sources: readonly SourceConfig[] = input.sources
  const seenSources = new Set<string>()
  for (const [i, s] of sources.entries()) {
    if (seenSources.has(s.id)) throw new Problem(['sources', i, 'id'], `"${s.id}" is used by an earlier source; source ids must be unique`)
    seenSources.add(s.id)
    try {
      if (s.protocol === 'opcua') checkOpcuaSourceConfig(s, env)
      else checkModbusSourceConfig(s)
    } catch (e) {
      if (e instanceof ConfigKeyProblem) throw new Problem(['sources', i, ...e.path], e.message)
      throw e
    }
  }
  const sourceById = new Map(sources.map((s) => [s.id, s]))

  const tag = (t: TagRefInput, path: Array<string | number>): TagRef => {
    const src = sourceById.get(t.source)
    if (!src) throw new Problem([...path, 'source'], `names no source (defined: ${[...sourceById.keys()].join(', ')}; got "${t.source}")`)
    const own: readonly string[] = TAG_KEYS_BY_PROTOCOL[src.protocol]
    const name = src.protocol === 'opcua' ? 'an OPC UA' : 'a Modbus'
    for (const [k, v] of Object.entries(t)) {
      if (k !== 'source' && v !== undefined && !own.includes(k)) {
        throw new Problem([...path, k], `does not apply: source "${src.id}" is ${name} source (allowed: source, ${own.join(', ')})`)
      }
    }
    try {
      return src.protocol === 'opcua'
        ? { protocol: 'opcua', source: src.id, ...opcuaTagFromConfig(t, src) }
        : { protocol: 'modbus', source: src.id, ...modbusTagFromConfig(t, src) }
    } catch (e) {
      if (e instanceof ConfigKeyProblem) throw new Problem([...path, ...e.path], e.message)
      throw e
    }
  }

  const machines: MachineConfig[] = []
  const seenLines = new Set<string>()
  for (const [li, line] of input.lines.entries()) {
    const linePath = `${input.site.region}/${input.site.park}/${input.site.factory}/${line.area}/${line.id}`
    if (seenLines.has(linePath)) throw new Problem(['lines', li, 'id'], `"${line.id}" in area "${line.area}" is defined twice`)
    seenLines.add(linePath)
    const eolFlags = line.machines.filter((m) => m.endOfLine === true).length
    if (eolFlags > 1) throw new Problem(['lines', li, 'machines'], `mark at most one machine endOfLine: true (got ${eolFlags})`)
    const lineIdeal = line.idealCycleTime ?? Math.max(...line.machines.map((m) => m.idealCycleTime))
    const seenMachines = new Set<string>()
    for (const [mi, m] of line.machines.entries()) {
      const at = ['lines', li, 'machines', mi]
      if (seenMachines.has(m.id)) throw new Problem([...at, 'id'], `"${m.id}" is used by an earlier machine of this line`)
      seenMachines.add(m.id)
      const map = new Map<string, MachineStateCode>(Object.entries(m.state.map ?? {}))
      const bits = (m.state.bits ?? []).map((r, ri) => {
        const rp = [...at, 'state', 'bits', ri]
        if ((r.bit === undefined) === (r.mask === undefined)) throw new Problem([...rp, r.bit === undefined ? 'bit' : 'mask'], 'give bit, or mask (with equals), not both and not neither')
        if (r.bit !== undefined && r.equals !== undefined) throw new Problem([...rp, 'equals'], 'applies with mask, not with bit')
        const mask = r.bit !== undefined ? 2 ** r.bit : (r.mask as number)
        const equals = r.equals ?? mask
        if (Number(BigInt(equals) & ~BigInt(mask)) !== 0) throw new Problem([...rp, 'equals'], `sets bits outside the mask (mask ${mask}, equals ${equals}): it could never match`)
        return { mask, equals, state: r.state, reason: r.reason ?? null }
      })
      if (map.size === 0 && bits.length === 0) {
        throw new Problem([...at, 'state', 'map'], 'must map at least one PLC value to a state (RUNNING, IDLE, DOWN, SETUP, PLANNED_STOP), or give bits rules')
      }
      const seenSamples = new Set<string>()
      const samples = (m.samples ?? []).map((sm, si) => {
        const sp = [...at, 'samples', si]
        if (seenSamples.has(sm.name)) throw new Problem([...sp, 'name'], `"${sm.name}" is used by an earlier sample of this machine`)
        seenSamples.add(sm.name)
        const db = sm.deadband ?? 0
        return {
          name: sm.name,
          tag: tag(sm.tag, [...sp, 'tag']),
          deadband: typeof db === 'number' ? { kind: 'absolute' as const, value: db } : { kind: 'percent' as const, value: Number(db.replace('%', '').trim()) },
        }
      })
      const eol = eolFlags === 0 ? mi === line.machines.length - 1 : m.endOfLine === true
      machines.push({
        path: `${linePath}/${m.id}`,
        id: m.id,
        name: m.name ?? m.id,
        linePath,
        position: mi,
        idealCycleS: m.idealCycleTime,
        lineIdealCycleS: lineIdeal,
        endOfLine: eol,
        state: {
          tag: tag(m.state.tag, [...at, 'state', 'tag']),
          bits,
          map,
          unmapped: m.state.unmapped ?? DEFAULTS.unmappedState,
          ...(m.state.reason ? { reason: tag(m.state.reason, [...at, 'state', 'reason']) } : {}),
        },
        ...(m.counts
          ? {
              counts: {
                total: tag(m.counts.total, [...at, 'counts', 'total']),
                ...(m.counts.reject ? { reject: tag(m.counts.reject, [...at, 'counts', 'reject']) } : {}),
                rollover: m.counts.rollover ?? DEFAULTS.counterRollover,
              },
            }
          : {}),
        ...(m.energy
          ? {
              energy: {
                kwh: tag(m.energy.kwh, [...at, 'energy', 'kwh']),
                ...(m.energy.kw ? { kw: tag(m.energy.kw, [...at, 'energy', 'kw']) } : {}),
                ...(m.energy.rollover === undefined ? {} : { rollover: m.energy.rollover }),
              },
            }
          : {}),
        samples,
      })
    }
  }
  // Under systemd with StateDirectory=, STATE_DIRECTORY names it (several: colon-separated).
  const stateDir = input.agent.stateDir ?? (env['STATE_DIRECTORY'] || undefined)?.split(':')[0] ?? DEFAULTS.stateDir
  const baseDir = dirname(resolvePath(file))
  const kafka = input.kafka ? resolveKafka(input.kafka, input.agent.id, { env, baseDir }) : undefined
  return {
    file,
    agent: {
      id: input.agent.id,
      heartbeatIntervalMs: input.agent.heartbeatInterval ?? DEFAULTS.heartbeatIntervalMs,
      stateDir,
    },
    site: input.site,
    sources,
    machines,
    ...(kafka ? { kafka } : {}),
    spool: resolveSpool(input.spool ?? {}, stateDir),
    health: resolveHealth(input.health),
  }
}

function resolveKafka(k: NonNullable<EdgeConfigInput['kafka']>, agentId: string, ctx: { env: NodeJS.ProcessEnv; baseDir: string }): KafkaConfig {
  let tls: KafkaTlsOptions | undefined
  if (k.tls) {
    if ((k.tls.cert === undefined) !== (k.tls.key === undefined)) {
      throw new Problem(['kafka', 'tls', k.tls.cert === undefined ? 'cert' : 'key'], 'is required with ' + (k.tls.cert === undefined ? 'key' : 'cert') + ' (mutual TLS needs both)')
    }
    const pem = (key: 'ca' | 'cert' | 'key'): string | undefined => {
      const path = k.tls?.[key]
      if (path === undefined) return undefined
      const full = configRelative(path, ctx.baseDir)
      try {
        const text = readFileSync(full, 'utf8')
        if (!text.includes('-----BEGIN ')) throw new Problem(['kafka', 'tls', key], `${full} is not a PEM file (no "-----BEGIN" line)`)
        return text
      } catch (e) {
        if (e instanceof Problem) throw e
        throw new Problem(['kafka', 'tls', key], `${full} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
      }
    }
    const ca = pem('ca')
    const cert = pem('cert')
    const key = pem('key')
    tls = {
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      rejectUnauthorized: k.tls.rejectUnauthorized ?? true,
    }
  }
  let sasl: KafkaSaslOptions | undefined
  if (k.sasl) {
    const secret = readSecret(k.sasl, ctx)
    if ('problem' in secret) throw new Problem(['kafka', 'sasl', secret.key], secret.problem)
    sasl = { mechanism: k.sasl.mechanism, username: k.sasl.username, password: secret.value }
  }
  return {
    brokers: k.brokers,
    clientId: k.clientId ?? agentId,
    topicPrefix: k.topicPrefix ?? DEFAULTS.topicPrefix,
    ...(tls ? { tls } : {}),
    ...(sasl ? { sasl } : {}),
  }
}

function resolveSpool(sp: NonNullable<EdgeConfigInput['spool']>, stateDir: string): SpoolConfig {
  const d = DEFAULTS.spool
  const size = (key: 'maxBytes', v: number | string | undefined, dflt: number): number => {
    if (v === undefined) return dflt
    const n = parseSize(v)
    if (n === undefined) throw new Problem(['spool', key], `must be a positive size such as 512MiB (got ${JSON.stringify(v)})`)
    return n
  }
  const duration = (key: 'maxAge' | 'fsyncInterval', v: number | string | undefined, dflt: number): number => {
    if (v === undefined) return dflt
    const n = parseDuration(v)
    if (n === undefined) throw new Problem(['spool', key], `must be a positive duration such as 30s or 7d (got ${JSON.stringify(v)})`)
    return n
  }
  const maxBytes = size('maxBytes', sp.maxBytes, d.maxBytes)
  if (maxBytes < 64 * 1024) throw new Problem(['spool', 'maxBytes'], `must be at least 64KiB (got ${JSON.stringify(sp.maxBytes)})`)
  return {
    dir: sp.dir ?? join(stateDir, d.dir),
    maxBytes,
    maxAgeMs: duration('maxAge', sp.maxAge, d.maxAgeMs),
    onFull: sp.onFull ?? d.onFull,
    fsync: sp.fsync ?? d.fsync,
    fsyncIntervalMs: duration('fsyncInterval', sp.fsyncInterval, d.fsyncIntervalMs),
  }
}

function resolveHealth(h: EdgeConfigInput['health']): HealthConfig {
  if (h === undefined) return { listen: DEFAULTS.healthListen }
  if (h.listen === 'off') return {}
  const at = h.listen.lastIndexOf(':')
  const host = h.listen.slice(0, at).replace(/^\[(.*)\]$/, '$1')
  const port = Number(h.listen.slice(at + 1))
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Problem(['health', 'listen'], `port must be 1..65535 (got ${JSON.stringify(h.listen)})`)
  return { listen: { host, port } }
}

/** Validates a parsed config value; returns the resolved config or the first problem. */
export function validateEdgeConfig(value: unknown, file: string, env: NodeJS.ProcessEnv = process.env): { config: EdgeConfig } | { problem: ConfigProblem } {
  const p = schemaProblem(value)
  if (p) return { problem: p }
  try {
    return { config: resolve(value as EdgeConfigInput, file, env) }
  } catch (e) {
    if (e instanceof Problem) return { problem: { path: e.path, problem: e.message } }
    throw e
  }
}
