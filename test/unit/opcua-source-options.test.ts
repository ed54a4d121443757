import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { OpcuaTagGroup } from '../../connectors/opcua/tag-groups.ts'
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

  it('resolveOpcuaSourceOptions takes Sign and SignAndEncrypt with Basic256Sha256 by default, and policies only with them', () => {
    expect(resolveOpcuaSourceOptions(base)).toMatchObject({ securityMode: 'None', securityPolicy: 'None', serverFingerprint: undefined })
    expect(resolveOpcuaSourceOptions({ ...base, securityMode: 'Sign' })).toMatchObject({ securityMode: 'Sign', securityPolicy: 'Basic256Sha256' })
    expect(resolveOpcuaSourceOptions({ ...base, securityMode: 'SignAndEncrypt', securityPolicy: 'Aes256_Sha256_RsaPss' }).securityPolicy).toBe('Aes256_Sha256_RsaPss')
    expect(() => resolveOpcuaSourceOptions({ ...base, securityMode: 'Encrypt' as 'Sign' })).toThrow(
      expect.objectContaining({ code: 'SHOPFLOOR_OPCUA_CONFIG', message: 'source "plc-line1": securityMode must be one of None, Sign, SignAndEncrypt, got "Encrypt"' }),
    )
    expect(() => resolveOpcuaSourceOptions({ ...base, securityPolicy: 'Basic256Sha256' })).toThrow('securityPolicy applies only with securityMode Sign or SignAndEncrypt')
    expect(() => resolveOpcuaSourceOptions({ ...base, securityMode: 'Sign', serverFingerprint: 'AB:CD' })).toThrow('serverFingerprint must be a SHA-1')
  })

  it('resolveOpcuaSourceOptions keeps the password out of every printout', () => {
    const resolved = resolveOpcuaSourceOptions({ ...base, login: { user: 'op', password: 'hunter2' } })
    expect(resolved.login?.password.reveal()).toBe('hunter2')
    expect(JSON.stringify(resolved)).not.toContain('hunter2')
    expect(inspect(resolved, { depth: 5 })).not.toContain('hunter2')
    expect(String(resolved.login?.password)).toBe('[redacted]')
  })

  it('resolveOpcuaSourceOptions gives groups the source settings they do not set, and a default group', () => {
    const resolved = resolveOpcuaSourceOptions({
      ...base,
      samplingIntervalMs: 100,
      queueSize: 5,
      deadband: { type: 'absolute', value: 1 },
      groups: [
        { name: 'temps', deadband: { type: 'percent', value: 2 } },
        { name: 'raw', samplingIntervalMs: 0, deadband: 'none' },
        { name: 'slow', mode: 'poll' },
      ],
    })
    expect([...resolved.groups.values()]).toEqual([
      { name: 'default', mode: 'subscribe', samplingIntervalMs: 100, queueSize: 5, deadband: { type: 'absolute', value: 1 } },
      { name: 'temps', mode: 'subscribe', samplingIntervalMs: 100, queueSize: 5, deadband: { type: 'percent', value: 2 } },
      { name: 'raw', mode: 'subscribe', samplingIntervalMs: 0, queueSize: 5, deadband: undefined },
      { name: 'slow', mode: 'poll', pollIntervalMs: 1000, deadband: undefined },
    ])
    expect(resolved.monitoredItemsPerCall).toBe(100)
  })

  it.each([
    [{ name: 'default' }, 'groups[0].name "default" is the group of tags that name none'],
    [{ name: 'x', mode: 'poll', queueSize: 3 }, 'groups[0].queueSize does not apply to a poll group'],
    [{ name: 'x', pollIntervalMs: 10 }, 'groups[0].pollIntervalMs applies only to a poll group'],
    [{ name: 'x', mode: 'poll', deadband: { type: 'percent', value: 1 } }, 'groups[0].deadband.type percent needs the server to know the EURange'],
    [{ name: 'x', mode: 'poll', pollIntervalMs: 0 }, 'groups[0].pollIntervalMs must be an integer >= 1, got 0'],
    [{ name: 'x y' }, 'groups[0].name must be letters, digits'],
  ] as const)('resolveOpcuaSourceOptions rejects the group %j', (group, message) => {
    expect(() => resolveOpcuaSourceOptions({ ...base, groups: [group as OpcuaTagGroup] })).toThrow(
      expect.objectContaining({ code: 'SHOPFLOOR_OPCUA_CONFIG', message: expect.stringContaining(message) }),
    )
  })
})
