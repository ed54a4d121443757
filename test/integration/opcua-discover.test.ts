// `shopfloor discover` and the browse behind it, against the node-opcua server.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Value } from 'typebox/value'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { createLogger } from '../../connectors/common/logger.ts'
import { OpcuaSourceConfigSchema } from '../../connectors/opcua/config.ts'
import { discoverOpcua } from '../../connectors/opcua/discover.ts'
import { routeNodeOpcuaLogs } from '../../connectors/opcua/node-opcua-logs.ts'
import { formatFingerprint } from '../../connectors/opcua/server-trust.ts'
import { startOpcuaSimulator, type OpcuaSimulator, type OpcuaSimulatorOptions, type SimulatedNode } from '../../connectors/opcua/simulator.ts'
import { runCli } from '../../edge/cli/run.ts'

const NODES: SimulatedNode[] = [
  { nodeId: 'ns=1;s=Line1.Printer.State', dataType: 'Int32', initial: 1 },
  { nodeId: 'ns=1;s=Line1.Printer.GoodCount', dataType: 'UInt32', initial: 0 },
  { nodeId: 'ns=1;s=Line1.Oven.ZoneTemp', dataType: 'Double', initial: 245.5, euRange: { low: 0, high: 400 } },
  { nodeId: 'ns=1;s=Line1.Oven.Recipe', dataType: 'String', initial: 'PCB-A' },
  { nodeId: 'ns=1;i=5001', browsePath: ['Line2', 'Cell', 'Robot', 'Axis', 'Torque'], dataType: 'Float', initial: 1.5 },
]
const cleanups: (() => Promise<void> | void)[] = []

beforeAll(() => {
  routeNodeOpcuaLogs(createLogger({ level: process.env['LOG_LEVEL'] ?? 'silent' }))
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function sim(options: Partial<OpcuaSimulatorOptions> = {}): Promise<OpcuaSimulator> {
  const s = await startOpcuaSimulator({ nodes: NODES, ...options })
  cleanups.push(() => s.stop())
  return s
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'opcua-discover-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Runs the CLI, capturing what it writes. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write
  try {
    return { code: await runCli(args), stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}

describe('discover', () => {
  it('discoverOpcua lists the variables under Objects with browse path and data type, skipping the Server object', async () => {
    const s = await sim()
    const found = await discoverOpcua({ endpoint: s.endpoint, pkiDir: tempDir() })
    expect(found.variables.map((v) => [v.nodeId, v.browsePath.join('/'), v.dataType, v.supported])).toEqual([
      ['ns=1;s=Line1.Printer.State', 'Line1/Printer/State', 'Int32', true],
      ['ns=1;s=Line1.Printer.GoodCount', 'Line1/Printer/GoodCount', 'UInt32', true],
      ['ns=1;s=Line1.Oven.ZoneTemp', 'Line1/Oven/ZoneTemp', 'Double', true],
      ['ns=1;s=Line1.Oven.Recipe', 'Line1/Oven/Recipe', 'String', true],
      ['ns=1;i=5001', 'Line2/Cell/Robot/Axis/Torque', 'Float', true],
    ])
    expect(found.truncated).toBe(false)
    // An AnalogItem's EURange is a property, not a tag.
    expect(found.variables.some((v) => v.browsePath.includes('EURange'))).toBe(false)
  })

  it('discoverOpcua stops at the depth limit and says so, filters by browse path, and browses the Server object when asked', async () => {
    const s = await sim()
    const shallow = await discoverOpcua({ endpoint: s.endpoint, depth: 3, pkiDir: tempDir() })
    expect(shallow.variables.map((v) => v.nodeId)).not.toContain('ns=1;i=5001')
    expect(shallow.variables).toHaveLength(4)
    expect(shallow.truncated).toBe(true)

    const oven = await discoverOpcua({ endpoint: s.endpoint, filter: /Oven\//, pkiDir: tempDir() })
    expect(oven.variables.map((v) => v.browsePath.join('/'))).toEqual(['Line1/Oven/ZoneTemp', 'Line1/Oven/Recipe'])

    const withServer = await discoverOpcua({ endpoint: s.endpoint, includeServer: true, depth: 2, filter: /^Server\//, pkiDir: tempDir() })
    expect(withServer.variables.map((v) => v.browsePath.join('/'))).toContain('Server/ServerStatus')
  })

  it('shopfloor discover prints a sources entry the agent config accepts and a tag reference per variable', async () => {
    const s = await sim({ securityModes: ['SignAndEncrypt'], users: [{ user: 'shopfloor', password: 'pw-2' }] })
    process.env['SHOPFLOOR_TEST_PLC_PASSWORD'] = 'pw-2'
    cleanups.push(() => void delete process.env['SHOPFLOOR_TEST_PLC_PASSWORD'])
    const run = await cli([
      'discover', s.endpoint, '--security', 'SignAndEncrypt', '--user', 'shopfloor', '--password-env', 'SHOPFLOOR_TEST_PLC_PASSWORD',
      '--filter', 'Line1', '--id', 'plc-line1', '--pki-dir', tempDir(),
    ])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const doc = parse(run.stdout) as { sources: unknown[] }
    const entry = doc.sources[0] as Record<string, any>
    expect(Value.Check(OpcuaSourceConfigSchema, entry)).toBe(true)
    expect(entry).toMatchObject({
      id: 'plc-line1',
      protocol: 'opcua',
      endpoint: s.endpoint,
      security: { mode: 'SignAndEncrypt' },
      login: { user: 'shopfloor', passwordEnv: 'SHOPFLOOR_TEST_PLC_PASSWORD' },
    })
    expect(entry['security'].serverFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(run.stdout).not.toContain('pw-2')
    // Each commented tag reference is a YAML flow mapping once uncommented.
    const refs = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('#   { source:'))
      .map((l) => parse(l.replace(/^#\s+/, '')) as { source: string; node: string })
    expect(refs).toEqual([
      { source: 'plc-line1', node: 'ns=1;s=Line1.Printer.State' },
      { source: 'plc-line1', node: 'ns=1;s=Line1.Printer.GoodCount' },
      { source: 'plc-line1', node: 'ns=1;s=Line1.Oven.ZoneTemp' },
      { source: 'plc-line1', node: 'ns=1;s=Line1.Oven.Recipe' },
    ])
    expect(run.stdout).toContain('# Line1/Oven/ZoneTemp (Double)')
  })

  it('shopfloor discover fails with the error code and a pinned fingerprint that does not match', async () => {
    const s = await sim({ securityModes: ['SignAndEncrypt'] })
    const run = await cli(['discover', s.endpoint, '--security', 'SignAndEncrypt', '--fingerprint', formatFingerprint('ab'.repeat(20)), '--pki-dir', tempDir()])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^shopfloor discover: SHOPFLOOR_OPCUA_CERTIFICATE: .*does not match the pinned fingerprint/)
  })

  it.each([
    [['discover'], 'give exactly one endpoint'],
    [['discover', 'http://plc:4840'], 'must start with opc.tcp://'],
    [['discover', 'opc.tcp://plc:4840', '--depth', '0'], '--depth must be a whole number >= 1'],
    [['discover', 'opc.tcp://plc:4840', '--filter', '(('], '--filter is not a regular expression'],
    [['discover', 'opc.tcp://plc:4840', '--security', 'Encrypt'], '--security must be one of None, Sign, SignAndEncrypt'],
    [['discover', 'opc.tcp://plc:4840', '--user', 'op'], 'a password is never taken on the command line'],
    [['discover', 'opc.tcp://plc:4840', '--user', 'op', '--password-env', 'SHOPFLOOR_NOT_SET_9'], '--password-env names SHOPFLOOR_NOT_SET_9, which is not set'],
  ])('shopfloor %j is a usage error: %s', async (args, message) => {
    const run = await cli(args)
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(message)
    expect(run.stdout).toBe('')
  })

  it('shopfloor discover reports a server that is not there with SHOPFLOOR_OPCUA_CONNECT', async () => {
    const run = await cli(['discover', 'opc.tcp://127.0.0.1:1/UA/nothing', '--timeout', '2000', '--pki-dir', tempDir()])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^shopfloor discover: SHOPFLOOR_OPCUA_CONNECT: server "discover" \(opc\.tcp:\/\/127\.0\.0\.1:1\/UA\/nothing\): cannot connect/)
  })
})
