import { describe, expect, it } from 'vitest'
import { ModbusError } from '../../connectors/modbus/errors.ts'
import { planReads, type PlanOptions } from '../../connectors/modbus/plan.ts'
import type { ModbusDataType, ModbusTag, RegisterTable } from '../../connectors/modbus/types.ts'

function tag(name: string, table: RegisterTable, address: number, type: ModbusDataType, extra: Partial<ModbusTag> = {}): ModbusTag {
  return { name, table, address, type, ...extra }
}

/** `n` tags of `type`, back to back from `start`, named `prefix0`, `prefix1`, ... */
function run(prefix: string, table: RegisterTable, start: number, n: number, type: ModbusDataType, width: number): ModbusTag[] {
  return Array.from({ length: n }, (_, i) => tag(`${prefix}${i}`, table, start + i * width, type))
}

const names = (tags: readonly ModbusTag[]): string[] => tags.map((t) => t.name)

interface Case {
  readonly name: string
  readonly tags: readonly ModbusTag[]
  readonly opts?: PlanOptions
  /** Expected requests: table, address, count and the names of the tags each delivers. */
  readonly expected: readonly { table: RegisterTable; address: number; count: number; tags: readonly string[] }[]
}

const uint32s = run('e', 'holding', 0, 62, 'UINT32', 2) // registers 0..123
const coils = run('c', 'coil', 0, 2001, 'BOOL', 1) // bits 0..2000

const cases: readonly Case[] = [
  {
    name: 'one tag is one request of its width',
    tags: [tag('kwh', 'holding', 100, 'FLOAT64')],
    expected: [{ table: 'holding', address: 100, count: 4, tags: ['kwh'] }],
  },
  {
    name: 'adjacent ranges merge',
    tags: [tag('kwh', 'holding', 0, 'UINT32'), tag('kw', 'holding', 2, 'INT16'), tag('pf', 'holding', 3, 'FLOAT32')],
    expected: [{ table: 'holding', address: 0, count: 5, tags: ['kwh', 'kw', 'pf'] }],
  },
  {
    name: 'overlapping ranges merge, a bit tag inside a wider tag costs nothing',
    tags: [tag('word', 'holding', 10, 'UINT32'), tag('alarm', 'holding', 11, 'BOOL', { bit: 3 }), tag('running', 'holding', 10, 'BOOL', { bit: 0 })],
    expected: [{ table: 'holding', address: 10, count: 2, tags: ['running', 'word', 'alarm'] }],
  },
  {
    name: 'tags are sorted by address whatever the config order',
    tags: [tag('c', 'holding', 4, 'INT16'), tag('a', 'holding', 0, 'UINT32'), tag('b', 'holding', 2, 'UINT32')],
    expected: [{ table: 'holding', address: 0, count: 5, tags: ['a', 'b', 'c'] }],
  },
  {
    name: 'a gap of one register splits with the default maxGap of 0',
    tags: [tag('a', 'holding', 0, 'INT16'), tag('b', 'holding', 2, 'INT16')],
    expected: [
      { table: 'holding', address: 0, count: 1, tags: ['a'] },
      { table: 'holding', address: 2, count: 1, tags: ['b'] },
    ],
  },
  {
    name: 'a gap within maxGap is read across',
    tags: [tag('a', 'holding', 0, 'INT16'), tag('b', 'holding', 2, 'INT16'), tag('c', 'holding', 8, 'UINT32')],
    opts: { maxGap: 5 },
    expected: [{ table: 'holding', address: 0, count: 10, tags: ['a', 'b', 'c'] }],
  },
  {
    name: 'a gap one past maxGap splits',
    tags: [tag('a', 'holding', 0, 'INT16'), tag('b', 'holding', 7, 'INT16')],
    opts: { maxGap: 5 },
    expected: [
      { table: 'holding', address: 0, count: 1, tags: ['a'] },
      { table: 'holding', address: 7, count: 1, tags: ['b'] },
    ],
  },
  {
    name: 'a range splits at 125 registers without splitting a tag',
    // 62 UINT32 fill 0..123; the FLOAT64 at 124..127 would make 128, so it starts a request
    tags: [...uint32s, tag('f', 'holding', 124, 'FLOAT64')],
    expected: [
      { table: 'holding', address: 0, count: 124, tags: names(uint32s) },
      { table: 'holding', address: 124, count: 4, tags: ['f'] },
    ],
  },
  {
    name: 'a range of exactly 125 registers is one request',
    tags: run('r', 'input', 0, 126, 'UINT16', 1),
    expected: [
      { table: 'input', address: 0, count: 125, tags: names(run('r', 'input', 0, 125, 'UINT16', 1)) },
      { table: 'input', address: 125, count: 1, tags: ['r125'] },
    ],
  },
  {
    name: 'maxRegisters lower than the protocol limit splits earlier',
    tags: run('m', 'holding', 0, 3, 'UINT32', 2),
    opts: { maxRegisters: 4 },
    expected: [
      { table: 'holding', address: 0, count: 4, tags: ['m0', 'm1'] },
      { table: 'holding', address: 4, count: 2, tags: ['m2'] },
    ],
  },
  {
    name: 'bits split at 2000',
    tags: coils,
    expected: [
      { table: 'coil', address: 0, count: 2000, tags: names(coils.slice(0, 2000)) },
      { table: 'coil', address: 2000, count: 1, tags: ['c2000'] },
    ],
  },
  {
    name: 'maxGap counts bits in the bit tables',
    tags: [tag('run', 'discrete', 0, 'BOOL'), tag('fault', 'discrete', 16, 'BOOL'), tag('door', 'discrete', 100, 'BOOL')],
    opts: { maxGap: 20 },
    expected: [
      { table: 'discrete', address: 0, count: 17, tags: ['run', 'fault'] },
      { table: 'discrete', address: 100, count: 1, tags: ['door'] },
    ],
  },
  {
    name: 'tables never merge and come in the order holding, input, coil, discrete',
    tags: [
      tag('d', 'discrete', 0, 'BOOL'),
      tag('c', 'coil', 0, 'BOOL'),
      tag('i', 'input', 0, 'INT16'),
      tag('h', 'holding', 0, 'INT16'),
      tag('h2', 'holding', 1, 'STRING', { length: 8 }),
    ],
    expected: [
      { table: 'holding', address: 0, count: 9, tags: ['h', 'h2'] },
      { table: 'input', address: 0, count: 1, tags: ['i'] },
      { table: 'coil', address: 0, count: 1, tags: ['c'] },
      { table: 'discrete', address: 0, count: 1, tags: ['d'] },
    ],
  },
  {
    name: 'a tag ending at register 65535 fits',
    tags: [tag('top', 'input', 65534, 'UINT32')],
    expected: [{ table: 'input', address: 65534, count: 2, tags: ['top'] }],
  },
  {
    name: 'oneRequestPerTag reads each tag alone, even adjacent and overlapping ones',
    tags: [tag('a', 'holding', 0, 'UINT32'), tag('b', 'holding', 2, 'INT16'), tag('run', 'holding', 2, 'BOOL', { bit: 0 }), tag('c', 'coil', 0, 'BOOL'), tag('d', 'coil', 1, 'BOOL')],
    opts: { oneRequestPerTag: true },
    expected: [
      { table: 'holding', address: 0, count: 2, tags: ['a'] },
      { table: 'holding', address: 2, count: 1, tags: ['b'] },
      { table: 'holding', address: 2, count: 1, tags: ['run'] },
      { table: 'coil', address: 0, count: 1, tags: ['c'] },
      { table: 'coil', address: 1, count: 1, tags: ['d'] },
    ],
  },
  {
    name: 'a per-device maximum with gap filling: gaps are read across only while the request fits',
    // 0..1, 4..5, 8..9, 12..13 with maxGap 2: one range 0..13 of 14 registers, but at most 8 per request
    tags: [tag('a', 'input', 0, 'FLOAT32'), tag('b', 'input', 4, 'FLOAT32'), tag('c', 'input', 8, 'FLOAT32'), tag('d', 'input', 12, 'FLOAT32')],
    opts: { maxRegisters: 8, maxGap: 2 },
    expected: [
      { table: 'input', address: 0, count: 6, tags: ['a', 'b'] },
      { table: 'input', address: 8, count: 6, tags: ['c', 'd'] },
    ],
  },
  {
    name: 'a narrow tag inside the span of a wide one that starts a request stays with it',
    // the STRING at 10..29 does not fit after 0..1 within 25; the INT16 at 12 rides along with it
    tags: [tag('a', 'holding', 0, 'UINT32'), tag('s', 'holding', 10, 'STRING', { length: 20 }), tag('n', 'holding', 12, 'INT16')],
    opts: { maxRegisters: 25, maxGap: 10 },
    expected: [
      { table: 'holding', address: 0, count: 2, tags: ['a'] },
      { table: 'holding', address: 10, count: 20, tags: ['s', 'n'] },
    ],
  },
  {
    name: 'no tags, no requests',
    tags: [],
    expected: [],
  },
]

describe('planReads', () => {
  it.each(cases)('plans: $name', ({ tags, opts, expected }) => {
    const plan = planReads(tags, opts).map((r) => ({ table: r.table, address: r.address, count: r.count, tags: names(r.tags) }))
    expect(plan).toStrictEqual(expected)
  })

  const invalid: readonly { name: string; tags: readonly ModbusTag[]; opts?: PlanOptions; message: RegExp }[] = [
    { name: 'maxRegisters above 125', tags: [], opts: { maxRegisters: 126 }, message: /maxRegisters must be an integer 1\.\.125/ },
    { name: 'maxBits above 2000', tags: [], opts: { maxBits: 2001 }, message: /maxBits must be an integer 1\.\.2000/ },
    { name: 'a negative maxGap', tags: [], opts: { maxGap: -1 }, message: /maxGap/ },
    { name: 'a tag wider than maxRegisters', tags: [tag('s', 'holding', 0, 'STRING', { length: 8 })], opts: { maxRegisters: 4 }, message: /needs 8 registers/ },
    { name: 'a non-BOOL coil', tags: [tag('c', 'coil', 0, 'INT16')], message: /type must be BOOL in the coil table/ },
    { name: 'a STRING without length', tags: [tag('s', 'holding', 0, 'STRING')], message: /length \(registers\) must be an integer/ },
    { name: 'a tag past address 65535', tags: [tag('x', 'input', 65535, 'UINT32')], message: /run past the end/ },
    { name: 'an unknown byte order', tags: [tag('x', 'input', 0, 'UINT32', { byteOrder: 'XYZW' as 'ABCD' })], message: /byteOrder must be one of ABCD, DCBA, BADC, CDAB/ },
    { name: 'a bit past 15', tags: [tag('x', 'holding', 0, 'BOOL', { bit: 16 })], message: /bit must be an integer 0\.\.15/ },
    { name: 'duplicate names', tags: [tag('x', 'holding', 0, 'INT16'), tag('x', 'holding', 1, 'INT16')], message: /tags\[1\] \("x"\): name is used by another tag/ },
  ]
  it.each(invalid)('rejects $name with SHOPFLOOR_MODBUS_CONFIG', ({ tags, opts, message }) => {
    let caught: unknown
    try {
      planReads(tags, opts)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(ModbusError)
    expect(caught).toMatchObject({ code: 'SHOPFLOOR_MODBUS_CONFIG', canRetry: false })
    expect((caught as Error).message).toMatch(message)
  })
})
