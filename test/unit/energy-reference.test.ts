import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadEnergyReference } from '../../api/reference/energy.ts'
import { DEFAULT_SEED_DIR } from '../../api/reference/index.ts'
import { seedCopies, seedErrorOf } from '../support/seed.ts'

const seedDir = seedCopies('shopfloor-energy-seed-')
const errorOf = seedErrorOf

/** The 1-based line of the first occurrence of `text` in a shipped seed file. */
const lineOf = (file: string, text: string): number => {
  const lines = readFileSync(join(DEFAULT_SEED_DIR, file), 'utf8').split('\n')
  const i = lines.findIndex((l) => l.includes(text))
  if (i < 0) throw new Error(`"${text}" is not in ${file}`)
  return i + 1
}

describe('loadEnergyReference', () => {
  it('loadEnergyReference reads the shipped seed files with their sources and effective ranges', () => {
    const ref = loadEnergyReference(DEFAULT_SEED_DIR)
    expect(ref.voltageLevels.map((l) => l.id)).toEqual(['>=110kV', '22-110kV', '6-22kV', '<6kV'])
    expect(ref.tariffs).toHaveLength(1)
    const t = ref.tariffs[0]!
    expect([t.id, t.effectiveFrom, t.effectiveTo]).toEqual(['evn-1279-2025', '2025-05-10', null])
    expect(t.prices['22-110kV']).toEqual({ normal: 1833, offpeak: 1190, peak: 3398 })
    expect(t.prices['>=110kV']).toEqual({ normal: 1811, offpeak: 1146, peak: 3266 })
    expect(t.prices['6-22kV']).toEqual({ normal: 1899, offpeak: 1234, peak: 3508 })
    expect(t.prices['<6kV']).toEqual({ normal: 1987, offpeak: 1300, peak: 3640 })
    expect(t.source).toContain('1279/QĐ-BCT')
    expect(t.check).toBeDefined()
    expect(ref.tou.map((r) => [r.id, r.effectiveFrom, r.effectiveTo])).toEqual([
      ['evn-legacy', null, '2026-04-22'],
      ['evn-963-2026', '2026-04-22', null],
    ])
    expect(ref.tou[1]!.check).toMatch(/effective date/)
    expect(ref.emissionFactors.map((f) => [f.year, f.tCo2PerMwh])).toEqual([
      [2022, 0.6766],
      [2023, 0.6592],
    ])
    expect(ref.emissionFactors[0]!.source).toContain('327/BĐKH-PTCBT')
  })

  it('loadEnergyReference lays the windows out per weekday quarter hour', () => {
    const [legacy, d963] = loadEnergyReference(DEFAULT_SEED_DIR).tou
    const row = (s: readonly string[]) => s.map((p) => p[0]).join('')
    // 96 quarter hours: o = offpeak, n = normal, p = peak
    expect(row(legacy!.slots.mon)).toBe('o'.repeat(16) + 'n'.repeat(22) + 'p'.repeat(8) + 'n'.repeat(22) + 'p'.repeat(12) + 'n'.repeat(8) + 'o'.repeat(8))
    expect(row(legacy!.slots.sun)).toBe('o'.repeat(16) + 'n'.repeat(72) + 'o'.repeat(8))
    expect(row(d963!.slots.sat)).toBe('o'.repeat(24) + 'n'.repeat(46) + 'p'.repeat(20) + 'n'.repeat(6))
    expect(row(d963!.slots.sun)).toBe('o'.repeat(24) + 'n'.repeat(72))
  })

  const T = 'tariffs.yaml'
  const U = 'tou.yaml'
  const E = 'emission-factors.yaml'
  const secondTariff = (from: string, extra = '') =>
    (s: string) =>
      s +
      `  - id: evn-next\n    effectiveFrom: '${from}'\n${extra}    source: test\n    currency: VND\n    vat: excluded\n    prices:\n      '>=110kV': { normal: 1, offpeak: 1, peak: 1 }\n      22-110kV: { normal: 1, offpeak: 1, peak: 1 }\n      6-22kV: { normal: 1, offpeak: 1, peak: 1 }\n      '<6kV': { normal: 1, offpeak: 1, peak: 1 }\n`
  const cases: Array<{ name: string; file: string; edit: (s: string) => string; want: RegExp }> = [
    {
      name: 'two tariffs from the same day',
      file: T,
      edit: secondTariff('2025-05-10'),
      want: /tariffs\.yaml:\d+: tariffs\[1\]\.effectiveFrom "2025-05-10" is also the effectiveFrom of tariffs\[0\]: the effective ranges of two tariffs overlap/,
    },
    {
      name: 'a tariff starting inside an earlier one that has an explicit end',
      file: T,
      edit: (s) => secondTariff('2026-01-01')(s.replace("effectiveFrom: '2025-05-10'\n", "effectiveFrom: '2025-05-10'\n    effectiveTo: '2026-06-01'\n")),
      want: /tariffs\.yaml:\d+: tariffs\[1\]\.effectiveFrom "2026-01-01" falls inside the effective range of tariffs\[0\] \(2025-05-10 to 2026-06-01\)/,
    },
    {
      name: 'an effectiveTo before effectiveFrom',
      file: T,
      edit: (s) => s.replace("effectiveFrom: '2025-05-10'\n", "effectiveFrom: '2025-05-10'\n    effectiveTo: '2025-05-01'\n"),
      want: /tariffs\.yaml:\d+: tariffs\[0\]\.effectiveTo "2025-05-01" must be after effectiveFrom "2025-05-10"/,
    },
    {
      name: 'a date that does not exist',
      file: T,
      edit: (s) => s.replace("'2025-05-10'", "'2025-02-30'"),
      want: /tariffs\.yaml:\d+: tariffs\[0\]\.effectiveFrom "2025-02-30" is not a date that exists/,
    },
    {
      name: 'a price for a voltage level the file does not define',
      file: T,
      edit: (s) => s.replace('6-22kV: { normal: 1899', '6-35kV: { normal: 1899'),
      want: new RegExp(`tariffs\\.yaml:${lineOf(T, '6-22kV: { normal: 1899')}: tariffs\\[0\\]\\.prices\\["6-35kV"\\] is not a voltage level of this file \\(voltageLevels: >=110kV, 22-110kV, 6-22kV, <6kV\\)`),
    },
    {
      name: 'a tariff without prices for a level',
      file: T,
      edit: (s) => s.replace(/ {6}'<6kV': \{ normal: 1987.*\n/, ''),
      want: /tariffs\.yaml:\d+: tariffs\[0\]\.prices has no prices for voltage level "<6kV"/,
    },
    {
      name: 'an unknown key',
      file: T,
      edit: (s) => s.replace('    currency: VND', '    currency: VND\n    colour: red'),
      want: /tariffs\.yaml:\d+: tariffs\[0\]\.colour is not a known key/,
    },
    {
      name: 'a window time off the quarter hour',
      file: U,
      edit: (s) => s.replace("period: peak, start: '09:30'", "period: peak, start: '09:40'"),
      want: new RegExp(`tou\\.yaml:${lineOf(U, "period: peak, start: '09:30'")}: regimes\\[0\\]\\.windows\\[2\\]\\.start must be a time "HH:MM" on a quarter hour`),
    },
    {
      name: 'windows that leave part of a day uncovered',
      file: U,
      edit: (s) => s.replace(/ {6}- \{ days: \[sun\], period: normal, start: '04:00', end: '22:00' \}\n/, ''),
      want: /tou\.yaml:\d+: regimes\[0\]\.windows do not cover sun 04:00-22:00: the windows must cover every minute of every weekday/,
    },
    {
      name: 'windows that overlap',
      file: U,
      edit: (s) => s.replace("period: peak, start: '17:00', end: '20:00'", "period: peak, start: '16:00', end: '20:00'"),
      want: new RegExp(`tou\\.yaml:${lineOf(U, "period: peak, start: '17:00'")}: regimes\\[0\\]\\.windows\\[4\\] overlaps windows\\[3\\] on mon at 16:00`),
    },
    {
      name: 'a window of no length',
      file: U,
      edit: (s) => s.replace("period: peak, start: '09:30', end: '11:30'", "period: peak, start: '09:30', end: '09:30'"),
      want: /tou\.yaml:\d+: regimes\[0\]\.windows\[2\]\.end equals start "09:30"/,
    },
    {
      name: 'a second regime without effectiveFrom',
      file: U,
      edit: (s) => s.replace("    effectiveFrom: '2026-04-22'\n", ''),
      want: /tou\.yaml:\d+: regimes\[1\]\.effectiveFrom is required: only one time-of-use regime \(the earliest\) may leave effectiveFrom out/,
    },
    {
      name: 'a period that is not one of EVN\'s',
      file: U,
      edit: (s) => s.replace("period: peak, start: '09:30'", "period: shoulder, start: '09:30'"),
      want: /tou\.yaml:\d+: regimes\[0\]\.windows\[2\]\.period must be one of peak, normal, offpeak \(got "shoulder"\)/,
    },
    {
      name: 'two factors for one year',
      file: E,
      edit: (s) => s.replace('  - year: 2023', '  - year: 2022'),
      want: /emission-factors\.yaml:\d+: factors\[1\]\.year 2022 is already given by entry \[0\]/,
    },
  ]
  for (const c of cases) {
    it(`loadEnergyReference refuses ${c.name}, naming file, line and path`, () => {
      const dir = seedDir(c.file, c.edit)
      const e = errorOf(() => loadEnergyReference(dir))
      expect(e.code).toBe('SHOPFLOOR_SEED_INVALID')
      expect(e.message).toMatch(c.want)
      expect(e.message.startsWith(join(dir, c.file))).toBe(true)
    })
  }
})
