import { describe, expect, it } from 'vitest'
import type { TagValue } from '../../connectors/common/tag-value.ts'
import { NotificationBatcher, orderBySourceTime, type PendingValue } from '../../connectors/opcua/notification-batch.ts'

const v = (nodeId: string, value: number, sourceTs: number): PendingValue => ({
  nodeId,
  value: { value, sourceTs, receiveTs: 10_000, quality: 'good' } satisfies TagValue,
})

const order = (values: PendingValue[]): string[] => orderBySourceTime(values).map((p) => `${p.nodeId}${p.value.value}`)

describe('orderBySourceTime', () => {
  it('orderBySourceTime interleaves the per-node groups of a Publish response by source timestamp', () => {
    expect(order([v('a', 1, 100), v('a', 2, 300), v('b', 1, 200), v('b', 2, 400)])).toEqual(['a1', 'b1', 'a2', 'b2'])
  })

  it('orderBySourceTime keeps one node in queue order when its clock stepped backwards', () => {
    // a2 is stamped before a1 (a PLC clock correction); the server queued a1 first, so a1 stays first.
    expect(order([v('a', 1, 300), v('a', 2, 100), v('b', 1, 200)])).toEqual(['b1', 'a1', 'a2'])
  })

  it('orderBySourceTime keeps arrival order for equal timestamps', () => {
    expect(order([v('b', 1, 100), v('a', 1, 100), v('c', 1, 100)])).toEqual(['b1', 'a1', 'c1'])
  })
})

describe('NotificationBatcher', () => {
  it('NotificationBatcher delivers the values added in one synchronous run as one ordered batch', async () => {
    const batches: string[][] = []
    const batcher = new NotificationBatcher((values) => batches.push(values.map((p) => `${p.nodeId}${p.value.value}`)))
    batcher.add('a', v('a', 1, 200).value)
    batcher.add('b', v('b', 1, 100).value)
    expect(batches).toEqual([])
    await Promise.resolve()
    batcher.add('a', v('a', 2, 300).value)
    await Promise.resolve()
    expect(batches).toEqual([['b1', 'a1'], ['a2']])
  })

  it('NotificationBatcher drops pending values on clear', async () => {
    const batches: unknown[] = []
    const batcher = new NotificationBatcher((values) => batches.push(values))
    batcher.add('a', v('a', 1, 100).value)
    batcher.clear()
    await Promise.resolve()
    expect(batches).toEqual([])
  })
})
