import { DataType, DataValue, StatusCodes, type StatusCode } from 'node-opcua'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { TagValue } from '../../connectors/common/tag-value.ts'
import { Poller } from '../../connectors/opcua/poller.ts'
import type { PollGroup } from '../../connectors/opcua/tag-groups.ts'

const dv = (value: number | string, statusCode: StatusCode = StatusCodes.Good): DataValue =>
  new DataValue({ value: { dataType: typeof value === 'number' ? DataType.Double : DataType.String, value }, statusCode, sourceTimestamp: new Date() })

/** A poller over one group whose reads return the next row of `rows` (one DataValue per node). */
function pollerOver(group: PollGroup, nodeIds: string[], rows: DataValue[][]) {
  const delivered: Array<[string, TagValue['value'], string]> = []
  const refused: string[] = []
  const reads: string[][] = []
  const poller = new Poller([{ group, nodeIds }], {
    read: async (ids) => {
      reads.push([...ids])
      const row = rows.shift()
      if (!row) throw new Error('connection lost')
      return row
    },
    deliver: (nodeId, v) => delivered.push([nodeId, v.value, v.status ?? v.quality]),
    refused: (nodeId, status) => refused.push(`${nodeId} ${status}`),
    recovered: (nodeId) => refused.push(`${nodeId} recovered`),
    failed: () => undefined,
  })
  return { poller, delivered, refused, reads }
}

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

describe('Poller', () => {
  it('Poller reads at once when resumed, then every pollInterval, and delivers every value of a group without deadband', async () => {
    const { poller, delivered, reads } = pollerOver({ name: 'slow', mode: 'poll', pollIntervalMs: 1000, deadband: undefined }, ['a', 'b'], [
      [dv(1), dv('x')],
      [dv(1), dv('x')],
      [dv(2), dv('y')],
    ])
    poller.resume()
    await vi.advanceTimersByTimeAsync(0)
    expect(delivered).toEqual([['a', 1, 'good'], ['b', 'x', 'good']])
    await vi.advanceTimersByTimeAsync(999)
    expect(reads).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(reads).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b']])
    expect(delivered.slice(2)).toEqual([['a', 1, 'good'], ['b', 'x', 'good'], ['a', 2, 'good'], ['b', 'y', 'good']])
    poller.pause()
  })

  it('Poller applies an absolute deadband to numbers and still reports every status change', async () => {
    const { poller, delivered } = pollerOver({ name: 'temps', mode: 'poll', pollIntervalMs: 100, deadband: { type: 'absolute', value: 0.5 } }, ['t'], [
      [dv(20)],
      [dv(20.4)], // within 0.5 of 20: dropped
      [dv(20.6)], // 0.6 away from the last delivered 20: delivered
      [dv(20.6, StatusCodes.UncertainLastUsableValue)], // same value, new status: delivered
      [dv(20.9, StatusCodes.UncertainLastUsableValue)], // within 0.5 of 20.6: dropped
    ])
    poller.resume()
    await vi.advanceTimersByTimeAsync(450)
    poller.pause()
    expect(delivered).toEqual([
      ['t', 20, 'good'],
      ['t', 20.6, 'good'],
      ['t', 20.6, 'UncertainLastUsableValue'],
    ])
  })

  it('Poller reports a node the server does not have once, delivers its bad value once, and says when it reads again', async () => {
    const { poller, delivered, refused } = pollerOver({ name: 'slow', mode: 'poll', pollIntervalMs: 100, deadband: undefined }, ['gone'], [
      [dv(0, StatusCodes.BadNodeIdUnknown)],
      [dv(0, StatusCodes.BadNodeIdUnknown)],
      [dv(0, StatusCodes.BadNodeIdUnknown)],
      [dv(7)],
    ])
    poller.resume()
    await vi.advanceTimersByTimeAsync(350)
    poller.pause()
    expect(refused).toEqual(['gone BadNodeIdUnknown', 'gone recovered'])
    expect(delivered).toEqual([
      ['gone', null, 'BadNodeIdUnknown'],
      ['gone', 7, 'good'],
    ])
  })

  it('Poller stops reading while paused and delivers nothing from a read that ends after the pause', async () => {
    const { poller, delivered, reads } = pollerOver({ name: 'slow', mode: 'poll', pollIntervalMs: 100, deadband: undefined }, ['a'], [[dv(1)], [dv(2)]])
    poller.resume()
    poller.pause()
    await vi.advanceTimersByTimeAsync(500)
    expect(reads).toHaveLength(0)
    expect(delivered).toEqual([])
  })
})
