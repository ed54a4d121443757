import { describe, expect, it } from 'vitest'
import { OPCUA_SOURCE_DEFAULTS, resolveOpcuaSourceOptions } from '../../connectors/opcua/source-options.ts'

const base = { id: 'plc-line1', endpoint: 'opc.tcp://10.0.4.21:4840/UA/shopfloor' }

describe('resolveOpcuaSourceOptions', () => {
  it('resolveOpcuaSourceOptions fills in the defaults', () => {
    expect(resolveOpcuaSourceOptions(base)).toMatchObject({
      ...base,
      samplingIntervalMs: 250,
      queueSize: 100,
      publishingIntervalMs: 500,
      maxKeepAliveCount: 10,
      lifetimeCount: 60,
      reconnectMaxDelayMs: 10_000,
      securityMode: 'None',
    })
    expect(OPCUA_SOURCE_DEFAULTS.samplingIntervalMs).toBe(250)
  })

  it('resolveOpcuaSourceOptions names the source and the key of an invalid option', () => {
    expect(() => resolveOpcuaSourceOptions({ ...base, queueSize: 0 })).toThrow(
      expect.objectContaining({ code: 'SHOPFLOOR_OPCUA_CONFIG', message: 'source "plc-line1": queueSize must be an integer >= 1, got 0' }),
    )
    expect(() => resolveOpcuaSourceOptions({ ...base, samplingIntervalMs: 2.5 })).toThrow('samplingIntervalMs must be an integer >= 0')
    expect(() => resolveOpcuaSourceOptions({ ...base, endpoint: 'http://10.0.4.21:4840' })).toThrow(
      'endpoint must look like opc.tcp://host:4840/path',
    )
    expect(() => resolveOpcuaSourceOptions({ ...base, id: '' })).toThrow('id must be a non-empty string')
  })

  it('resolveOpcuaSourceOptions accepts host names, IPv4 and IPv6 endpoints, with or without a path', () => {
    for (const endpoint of ['opc.tcp://plc-line1.factory.local:4840', 'opc.tcp://[::1]:4840/UA/x', 'opc.tcp://10.0.4.21']) {
      expect(resolveOpcuaSourceOptions({ ...base, endpoint }).endpoint).toBe(endpoint)
    }
    expect(() => resolveOpcuaSourceOptions({ ...base, endpoint: 'opc.tcp://plc line1:4840' })).toThrow('endpoint must look like')
  })

  it('resolveOpcuaSourceOptions enforces the OPC UA rule lifetimeCount >= 3 x maxKeepAliveCount', () => {
    expect(() => resolveOpcuaSourceOptions({ ...base, maxKeepAliveCount: 10, lifetimeCount: 20 })).toThrow(
      'lifetimeCount must be an integer >= 3 x maxKeepAliveCount (30), got 20',
    )
    expect(resolveOpcuaSourceOptions({ ...base, maxKeepAliveCount: 5 }).lifetimeCount).toBe(30)
  })

  it('resolveOpcuaSourceOptions rejects Sign and SignAndEncrypt as not supported yet', () => {
    expect(() => resolveOpcuaSourceOptions({ ...base, securityMode: 'Sign' })).toThrow(
      expect.objectContaining({ code: 'SHOPFLOOR_OPCUA_SECURITY', canRetry: false }),
    )
    expect(() => resolveOpcuaSourceOptions({ ...base, securityMode: 'Encrypt' as 'Sign' })).toThrow(
      expect.objectContaining({ code: 'SHOPFLOOR_OPCUA_CONFIG' }),
    )
  })
})
