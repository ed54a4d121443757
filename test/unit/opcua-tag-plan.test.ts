import { describe, expect, it } from 'vitest'
import { planTags } from '../../connectors/opcua/source-tags.ts'
import { resolveOpcuaSourceOptions } from '../../connectors/opcua/source-options.ts'

const { groups } = resolveOpcuaSourceOptions({
  id: 'plc-1',
  endpoint: 'opc.tcp://10.0.4.21:4840',
  groups: [{ name: 'temps', deadband: { type: 'absolute', value: 1 } }, { name: 'slow', mode: 'poll', pollIntervalMs: 5000 }],
})
const CONTEXT = 'server "plc-1" (opc.tcp://10.0.4.21:4840)'

describe('planTags', () => {
  it('planTags sorts tags into subscribed (with their group) and polled groups, each node once', () => {
    const plan = planTags(CONTEXT, ['ns=1;s=A', { node: 'ns=1;s=B', group: 'temps' }, { node: 'ns=1;s=C', group: 'slow' }, 'ns=1;s=A', { node: 'ns=1;s=A' }], groups)
    expect(plan.nodeIds).toEqual(['ns=1;s=A', 'ns=1;s=B', 'ns=1;s=C'])
    expect(plan.subscribed.map((s) => [s.nodeId, s.group.name])).toEqual([
      ['ns=1;s=A', 'default'],
      ['ns=1;s=B', 'temps'],
    ])
    expect(plan.polled.map((p) => [p.group.name, p.nodeIds])).toEqual([['slow', ['ns=1;s=C']]])
  })

  it.each([
    [[{ node: 'ns=1;s=A', group: 'fast' }], 'SHOPFLOOR_OPCUA_CONFIG', 'names group "fast", which the source does not define (groups: default, temps, slow)'],
    [[{ node: 'ns=1;s=A', group: 'temps' }, { node: 'ns=1;s=A', group: 'slow' }], 'SHOPFLOOR_OPCUA_CONFIG', 'is in group "temps" and in group "slow"'],
    [['Line1.State'], 'SHOPFLOOR_OPCUA_BAD_NODE', '"Line1.State" is not a node id'],
  ])('planTags rejects %j', (tags, code, message) => {
    expect(() => planTags(CONTEXT, tags, groups)).toThrow(expect.objectContaining({ code, message: expect.stringContaining(message) }))
  })
})
