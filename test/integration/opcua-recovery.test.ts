// OpcuaSource after a server restart and after network cuts, against the node-opcua server: it
// reconnects, re-creates what the server lost, and resumes; nothing is lost but the outage itself.
import { createServer, connect, type Server, type Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../connectors/common/logger.ts'
import { routeNodeOpcuaLogs } from '../../connectors/opcua/node-opcua-logs.ts'
import { startOpcuaSimulator, type OpcuaSimulator, type OpcuaSimulatorOptions, type SimulatedNode } from '../../connectors/opcua/simulator.ts'
import { OpcuaSource } from '../../connectors/opcua/source.ts'
import type { OpcuaSourceOptions } from '../../connectors/opcua/source-options.ts'
import { waitFor } from '../support/wait.ts'
import { record, sleep } from './opcua-recorder.ts'

const cleanups: (() => Promise<void> | void)[] = []

beforeAll(() => {
  routeNodeOpcuaLogs(createLogger({ level: process.env['LOG_LEVEL'] ?? 'silent' }))
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const COUNT = 'ns=1;s=Line1.Printer.GoodCount'
const STATE = 'ns=1;s=Line1.Printer.State'
const RECIPE = 'ns=1;s=Line1.Printer.Recipe'
const NODES: SimulatedNode[] = [
  { nodeId: COUNT, dataType: 'UInt32', initial: 0 },
  { nodeId: STATE, dataType: 'Int32', initial: 1 },
  { nodeId: RECIPE, dataType: 'String', initial: 'r0' },
  ...Array.from({ length: 20 }, (_, i): SimulatedNode => ({ nodeId: `ns=1;s=Line1.Extra${i}`, dataType: 'Double', initial: i })),
]
const TAGS = [COUNT, STATE, { node: RECIPE, group: 'slow' }, ...NODES.slice(3).map((n) => n.nodeId)]

async function sim(options: Partial<OpcuaSimulatorOptions> = {}): Promise<OpcuaSimulator> {
  const s = await startOpcuaSimulator({ nodes: NODES, ...options })
  cleanups.push(() => s.stop())
  return s
}

function source(endpoint: string, opts: Partial<OpcuaSourceOptions> = {}): OpcuaSource {
  const src = new OpcuaSource({
    id: 'plc-line1',
    endpoint,
    samplingIntervalMs: 0,
    publishingIntervalMs: 100,
    maxKeepAliveCount: 5,
    keepAliveIntervalMs: 500,
    requestTimeoutMs: 1_000,
    reconnectInitialDelayMs: 100,
    reconnectMaxDelayMs: 500,
    monitoredItemsPerCall: 8,
    groups: [{ name: 'slow', mode: 'poll', pollIntervalMs: 200 }],
    ...opts,
  })
  cleanups.push(() => src.stop())
  return src
}

/**
 * A TCP relay between the source and the server whose line can be cut: `reset()` drops every
 * connection as a router reboot does; `blackhole()` keeps them open but lets nothing through, as
 * a pulled cable does (no RST reaches either side).
 */
class Line {
  readonly #server: Server
  readonly #pairs = new Set<[Socket, Socket]>()
  #dead = false
  port = 0

  private constructor(server: Server) {
    this.#server = server
  }

  static async to(target: number): Promise<Line> {
    const line: Line = new Line(
      createServer((client) => {
        if (line.#dead) return // a connection to nowhere: accepted, never answered
        const upstream = connect(target, '127.0.0.1')
        const pair: [Socket, Socket] = [client, upstream]
        line.#pairs.add(pair)
        client.pipe(upstream)
        upstream.pipe(client)
        const end = () => {
          line.#pairs.delete(pair)
          client.destroy()
          upstream.destroy()
        }
        client.on('error', end).on('close', end)
        upstream.on('error', end).on('close', end)
      }),
    )
    await new Promise<void>((resolve) => line.#server.listen(0, '127.0.0.1', resolve))
    line.port = (line.#server.address() as { port: number }).port
    cleanups.push(() => line.close())
    return line
  }

  reset(): void {
    for (const [a, b] of this.#pairs) {
      a.resetAndDestroy()
      b.resetAndDestroy()
    }
  }

  blackhole(): void {
    this.#dead = true
    for (const [a, b] of this.#pairs) {
      a.unpipe(b)
      b.unpipe(a)
      a.pause()
      b.pause()
    }
  }

  restore(): void {
    this.#dead = false
    // Whatever was black-holed is dead to both ends; they will give up on it and reconnect.
    for (const [a, b] of this.#pairs) {
      a.destroy()
      b.destroy()
    }
  }

  close(): Promise<void> {
    this.restore()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'opcua-recovery-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('OpcuaSource recovery', () => {
  it('OpcuaSource resumes after a server restart under SignAndEncrypt with a login: every value set before the stop and after the restart arrives', async () => {
    const users = [{ user: 'shopfloor', password: 'pw-1' }]
    const serverPki = tempDir()
    const s1 = await sim({ securityModes: ['SignAndEncrypt'], users, pkiDir: serverPki })
    const src = source(s1.endpoint, { securityMode: 'SignAndEncrypt', login: { user: 'shopfloor', password: 'pw-1' }, pkiDir: tempDir() })
    const rec = await record(src, TAGS)
    await waitFor('the initial values', () => rec.of(COUNT).length === 1 && rec.of(RECIPE).length >= 1)
    expect(s1.requestSizes('CreateMonitoredItems')).toEqual([8, 8, 6])

    for (let i = 1; i <= 5; i++) s1.setValue(COUNT, i)
    await waitFor('the counts before the stop', () => rec.valuesOf(COUNT).includes(5))
    await s1.stop()
    await waitFor('the disconnection', () => rec.connection.at(-1)?.connected === false)

    const s2 = await sim({ securityModes: ['SignAndEncrypt'], users, pkiDir: serverPki, port: s1.port, nodes: NODES.map((n) => (n.nodeId === COUNT ? { ...n, initial: 5 } : n)) })
    await waitFor('the reconnection', () => rec.connection.at(-1)?.connected === true, 20_000)
    // node-opcua re-created the session, the subscription and the monitored items, in our batch size.
    expect(s2.requestSizes('CreateMonitoredItems').every((n) => n <= 8)).toBe(true)
    expect(s2.requestSizes('CreateMonitoredItems').reduce((a, b) => a + b, 0)).toBe(22)
    for (let i = 6; i <= 10; i++) s2.setValue(COUNT, i)
    s2.setValue(RECIPE, 'r1')
    await waitFor('the counts after the restart', () => rec.valuesOf(COUNT).includes(10))
    await waitFor('the polled group after the restart', () => rec.valuesOf(RECIPE).includes('r1'))

    // Every count, in order: 5 again as the re-created item's current value, nothing missing.
    const counts = rec.valuesOf(COUNT).filter((v, i, all) => i === 0 || v !== all[i - 1])
    expect(counts).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(rec.connection.map((c) => c.connected)).toEqual([true, false, true])
    expect(src.stats).toMatchObject({ reconnects: 1, sessionRecreations: 1, monitoredItems: 22 })
  })

  it('OpcuaSource rides out a short connection reset on its session: values set during the cut arrive afterwards', async () => {
    const s = await sim()
    const line = await Line.to(s.port)
    const src = source(`opc.tcp://127.0.0.1:${line.port}/UA/shopfloor`)
    const rec = await record(src, TAGS)
    await waitFor('the initial value', () => rec.of(COUNT).length === 1)

    line.reset()
    await waitFor('the disconnection', () => rec.connection.at(-1)?.connected === false)
    // Queued on the server (queueSize 100) while nobody is connected.
    for (let i = 1; i <= 5; i++) {
      s.setValue(COUNT, i)
      await sleep(20)
    }
    await waitFor('the reconnection', () => rec.connection.at(-1)?.connected === true, 20_000)
    s.setValue(COUNT, 6)
    await waitFor('the value after the cut', () => rec.valuesOf(COUNT).includes(6))
    const counts = rec.valuesOf(COUNT).filter((v, i, all) => i === 0 || v !== all[i - 1])
    expect(counts).toEqual([0, 1, 2, 3, 4, 5, 6])
    // The server kept our session: reactivated, not re-created.
    expect(src.stats).toMatchObject({ reconnects: 1, sessionRecreations: 0 })
  })

  it('OpcuaSource notices a line that goes silent without a reset (keep-alive) and resumes when it is back', async () => {
    const s = await sim()
    const line = await Line.to(s.port)
    const src = source(`opc.tcp://127.0.0.1:${line.port}/UA/shopfloor`)
    const rec = await record(src, TAGS)
    await waitFor('the initial value', () => rec.of(COUNT).length === 1)

    const cutAt = Date.now()
    line.blackhole()
    await waitFor('the disconnection', () => rec.connection.at(-1)?.connected === false, 15_000)
    const noticedMs = Date.now() - cutAt
    // Keep-alive read every 500 ms with a 1 s timeout; the silence watchdog at 2 x 100 x (5 + 1) = 1.2 s.
    expect(noticedMs).toBeLessThan(5_000)
    await sleep(500)
    line.restore()
    await waitFor('the reconnection', () => rec.connection.at(-1)?.connected === true, 30_000)
    s.setValue(COUNT, 42)
    await waitFor('a value after the line is back', () => rec.valuesOf(COUNT).includes(42), 10_000)
  })
})
