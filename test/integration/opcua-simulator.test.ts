import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AttributeIds, OPCUAClient, makeBrowsePath, type ClientSession } from 'node-opcua'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../connectors/common/logger.ts'
import { routeNodeOpcuaLogs } from '../../connectors/opcua/node-opcua-logs.ts'
import { createCertificateManager, defaultPkiRoot } from '../../connectors/opcua/pki.ts'
import { SIMULATOR_NAMESPACE_URI, startOpcuaSimulator, type OpcuaSimulator } from '../../connectors/opcua/simulator.ts'

const STATE = 'ns=1;s=Line1.Printer.State'
const cleanups: (() => Promise<void> | void)[] = []

beforeAll(() => {
  routeNodeOpcuaLogs(createLogger({ level: process.env['LOG_LEVEL'] ?? 'silent' }))
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function sim(options: Parameters<typeof startOpcuaSimulator>[0]): Promise<OpcuaSimulator> {
  const s = await startOpcuaSimulator(options)
  cleanups.push(() => s.stop())
  return s
}

/** A bare node-opcua session, to look at the simulator without going through OpcuaSource. */
async function rawSession(endpoint: string): Promise<ClientSession> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0 },
    // Not the sources' folder: a raw client claims another application URI than their certificate's.
    clientCertificateManager: createCertificateManager(join(defaultPkiRoot(), 'raw-client')),
  })
  await client.connect(endpoint)
  const session = await client.createSession()
  cleanups.push(async () => {
    await session.close()
    await client.disconnect()
  })
  return session
}

describe('startOpcuaSimulator', () => {
  it('startOpcuaSimulator serves its nodes on loopback in namespace 1 (urn:shopfloor:sim) under their browse path', async () => {
    const began = performance.now()
    const s = await sim({
      nodes: [
        { nodeId: STATE, dataType: 'Int32', initial: 3 },
        { nodeId: 'ns=1;i=5001', browsePath: ['Line1', 'Oven', 'ZoneTemp'], dataType: 'Double', initial: 245.5 },
      ],
    })
    const startMs = performance.now() - began
    // The certificate is reused from the PKI folder: a warm start is the nodeset load and a listen.
    expect(startMs).toBeLessThan(3_000)
    expect(s.endpoint).toBe(`opc.tcp://127.0.0.1:${s.port}/UA/shopfloor`)
    expect(s.port).toBeGreaterThan(0)

    const session = await rawSession(s.endpoint)
    const namespaces = await session.read({ nodeId: 'ns=0;i=2255', attributeId: AttributeIds.Value })
    expect((namespaces.value.value as string[])[1]).toBe(SIMULATOR_NAMESPACE_URI)

    const paths = await session.translateBrowsePath([
      makeBrowsePath('RootFolder', '/Objects/1:Line1/1:Printer/1:State'),
      makeBrowsePath('RootFolder', '/Objects/1:Line1/1:Oven/1:ZoneTemp'),
    ])
    expect(paths.map((p) => p.targets?.[0]?.targetId.toString())).toEqual([STATE, 'ns=1;i=5001'])
    const temp = await session.read({ nodeId: 'ns=1;i=5001', attributeId: AttributeIds.Value })
    expect(temp.value.value).toBe(245.5)
  })

  it('startOpcuaSimulator stores the given source timestamp and status code in the DataValue', async () => {
    const s = await sim({ nodes: [{ nodeId: STATE, dataType: 'Int32', initial: 0 }] })
    const session = await rawSession(s.endpoint)
    const ts = Date.UTC(2025, 6, 1, 8, 30, 15, 123)
    s.setValue(STATE, 2, ts, 'BadSensorFailure')
    const read = await session.read({ nodeId: STATE, attributeId: AttributeIds.Value })
    expect(read.sourceTimestamp?.getTime()).toBe(ts)
    expect(read.statusCode.name).toBe('BadSensorFailure')
    expect(read.value.value).toBe(2)
  })

  it('startOpcuaSimulator rejects values that do not fit the node and nodes it does not serve', async () => {
    const s = await sim({
      nodes: [
        { nodeId: STATE, dataType: 'Int16', initial: 0 },
        { nodeId: 'ns=1;s=Line1.Printer.Recipe', dataType: 'String', initial: 'A' },
      ],
    })
    expect(() => s.setValue(STATE, 40_000)).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_OPCUA_CONFIG', nodeId: STATE }))
    expect(() => s.setValue(STATE, 1.5)).toThrow('expects an integer')
    expect(() => s.setValue('ns=1;s=Line1.Printer.Recipe', 7)).toThrow('expects a string')
    expect(() => s.setValue('ns=1;s=Nope', 1)).toThrow(expect.objectContaining({ code: 'SHOPFLOOR_OPCUA_BAD_NODE' }))
  })

  it('startOpcuaSimulator rejects node definitions it cannot serve before listening', async () => {
    await expect(startOpcuaSimulator({ nodes: [{ nodeId: 'ns=2;s=X', dataType: 'Int32', initial: 0 }] })).rejects.toThrow(
      'nodes[0].nodeId "ns=2;s=X" must be in namespace 1',
    )
    await expect(
      startOpcuaSimulator({ nodes: [{ nodeId: STATE, dataType: 'Int128' as 'Int32', initial: 0 }] }),
    ).rejects.toMatchObject({ code: 'SHOPFLOOR_OPCUA_CONFIG' })
    await expect(startOpcuaSimulator({ nodes: [{ nodeId: STATE, dataType: 'UInt16', initial: -1 }] })).rejects.toThrow(
      'outside 0..65535',
    )
  })

  it('startOpcuaSimulator reports a port already in use', async () => {
    const holder: Server = createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => holder.close(() => resolve())))
    const address = holder.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    await expect(startOpcuaSimulator({ port: address.port, nodes: [] })).rejects.toMatchObject({
      code: 'SHOPFLOOR_OPCUA_CONNECT',
      message: expect.stringContaining(`127.0.0.1:${address.port}`),
    })
  })

  it('startOpcuaSimulator keeps its certificates in the PKI folder it is given', async () => {
    const pkiDir = mkdtempSync(join(tmpdir(), 'shopfloor-opcua-pki-test-'))
    cleanups.push(() => rmSync(pkiDir, { recursive: true, force: true }))
    await sim({ pkiDir, nodes: [] })
    expect(existsSync(join(pkiDir, 'own', 'certs'))).toBe(true)
  })
})
