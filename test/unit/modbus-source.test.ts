import { describe, expect, it } from 'vitest'
import { ModbusSource } from '../../connectors/modbus/source.ts'

describe('ModbusSource', () => {
  it('rejects invalid tags and options before opening a socket', () => {
    expect(() => new ModbusSource({ id: 'meters', host: '127.0.0.1', tags: [{ name: 'x', table: 'coil', address: 0, type: 'FLOAT32' }] })).toThrow(
      /modbus source "meters": invalid tags.*tags\[0\] \("x"\): type must be BOOL in the coil table/s,
    )
    expect(() => new ModbusSource({ id: 'meters', host: '127.0.0.1', unitId: 256, tags: [] })).toThrow(/unitId must be an integer 0\.\.255, got 256/)
  })

  it('plans its requests from the tags', () => {
    const src = new ModbusSource({
      id: 'meters',
      host: '127.0.0.1',
      maxGap: 2,
      tags: [
        { name: 'a', table: 'holding', address: 0, type: 'UINT32' },
        { name: 'b', table: 'holding', address: 4, type: 'UINT32' },
      ],
    })
    expect(src.requests.map((r) => [r.table, r.address, r.count])).toStrictEqual([['holding', 0, 6]])
    expect(src.connected).toBe(false)
  })
})
