import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Type from 'typebox'
import { describe, expect, it } from 'vitest'
import { planSegments } from '../../api/calendar/index.ts'
import { DEFAULT_SEED_DIR, factoryOf, loadReference, loadYamlFile, parseSeedText, sectorOf } from '../../api/reference/index.ts'
import { seedCopies, seedErrorOf } from '../support/seed.ts'

const seedDir = seedCopies('shopfloor-seed-')
const errorOf = seedErrorOf

describe('loadYamlFile', () => {
  const Schema = Type.Object(
    { items: Type.Array(Type.Object({ kind: Type.Enum(['a', 'b']), n: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })) },
    { additionalProperties: false },
  )
  const cases: Array<{ name: string; text: string; want: string }> = [
    { name: 'names an unknown key and the allowed ones', text: 'items:\n  - kind: a\n    n: 1\n    colour: red\n', want: 'x.yaml:4: items[0].colour is not a known key (allowed: kind, n)' },
    { name: 'names the allowed values of an enum', text: 'items:\n  - kind: a\n    n: 1\n  - kind: c\n    n: 2\n', want: 'x.yaml:4: items[1].kind must be one of a, b (got "c")' },
    { name: 'names a missing key at its parent', text: 'items:\n  - kind: a\n', want: 'x.yaml:2: items[0].n is required' },
    { name: 'reports YAML syntax errors with the line', text: 'items:\n  - kind: a\n  n: [\n', want: 'x.yaml:3: is not valid YAML' },
    { name: 'refuses duplicate keys', text: 'items: []\nitems: []\n', want: 'x.yaml:2: is not valid YAML' },
  ]
  for (const c of cases) {
    it(`parseSeedText ${c.name}`, () => {
      const e = errorOf(() => parseSeedText(c.text, 'x.yaml', Schema))
      expect(e.message.startsWith(c.want), e.message).toBe(true)
      expect(e.code).toBe('SHOPFLOOR_SEED_INVALID')
    })
  }

  it('loadYamlFile returns the typed value of a valid file', () => {
    const dir = seedDir()
    writeFileSync(join(dir, 'ok.yaml'), 'items:\n  - { kind: b, n: 3 }\n')
    expect(loadYamlFile(join(dir, 'ok.yaml'), Schema).items[0]?.n).toBe(3)
  })

  it('loadYamlFile names a file that cannot be read', () => {
    expect(errorOf(() => loadYamlFile('/nonexistent/x.yaml', Schema)).message).toBe('/nonexistent/x.yaml: cannot be read (ENOENT): check the seed directory (SHOPFLOOR_SEED_DIR)')
  })
})

describe('loadReference', () => {
  it('loadReference reads the shipped seed: the demo factory in VSIP I on the three-shift calendar', () => {
    const ref = loadReference(undefined, {})
    const f = factoryOf(ref, 'hcmc/vsip-1/saigon-pcb/smt/smt-1/printer')
    expect(f).toMatchObject({ path: 'hcmc/vsip-1/saigon-pcb', park: 'vsip-1', region: 'hcmc', timezone: 'Asia/Ho_Chi_Minh', calendarId: 'three-shift', defaulted: false, defaultedFields: [] })
    expect(f.sector).toEqual({ vsic2025: '2610', vsic2018: '2610', division: '26' })
    expect(sectorOf(ref, '2610')?.name).toMatch(/electronic components/)
    expect(ref.energy.voltageLevels.map((l) => l.id)).toContain(f.voltageLevel)
    // 3 shifts x 7.5 h of production on an ordinary day
    const day = planSegments(f.calendar, f.timezone, Date.parse('2026-11-21T06:00:00+07:00'), Date.parse('2026-11-22T06:00:00+07:00'))
    expect(day.filter((s) => s.kind === 'production').reduce((a, s) => a + s.end - s.start, 0)).toBe(22.5 * 3_600_000)
  })

  it('factoryOf gives a factory missing from the seed the defaults, flagged', () => {
    const f = factoryOf(loadReference(undefined, {}), 'hcmc/bau-bang/new-plant/a/l')
    expect(f).toMatchObject({ path: 'hcmc/bau-bang/new-plant', sector: null, timezone: 'Asia/Ho_Chi_Minh', calendarId: 'default-24x7', voltageLevel: '22-110kV', defaulted: true })
    expect(f.defaultedFields).toEqual(['timezone', 'calendar', 'voltageLevel'])
    expect(f.calendar.id).toBe('default-24x7')
  })

  it('factoryOf refuses a path shorter than region/park/factory', () => {
    expect(() => factoryOf(loadReference(undefined, {}), 'hcmc/vsip-1')).toThrow(/not a factory path/)
  })

  it('loadReference follows SHOPFLOOR_SEED_DIR', () => {
    const dir = seedDir('factories.yaml', (t) => t.replace('Saigon PCB Assembly (demo)', 'Renamed'))
    expect(factoryOf(loadReference(undefined, { SHOPFLOOR_SEED_DIR: dir }), 'hcmc/vsip-1/saigon-pcb').name).toBe('Renamed')
  })

  const bad: Array<{ name: string; file: string; edit: (t: string) => string; want: RegExp }> = [
    {
      name: 'a factory in a park that does not exist',
      file: 'factories.yaml',
      edit: (t) => t.replace('hcmc/vsip-1/binh-hoa-smt', 'hcmc/vsip-9/binh-hoa-smt'),
      want: /factories\.yaml:\d+: factories\[1\]\.path names park "vsip-9", which regions\.yaml does not define in region "hcmc" \(parks: vsip-1, /,
    },
    {
      name: 'a factory whose calendar does not exist',
      file: 'factories.yaml',
      edit: (t) => t.replace('calendar: three-shift\n    voltageLevel: 22-110kV\n    microStopS', 'calendar: four-shift\n    voltageLevel: 22-110kV\n    microStopS'),
      want: /factories\.yaml:\d+: factories\[0\]\.calendar "four-shift" is not a calendar of calendars\.yaml \(calendars: three-shift, two-shift-mon-sat, default-24x7\)/,
    },
    {
      name: 'a factory whose sector is not listed',
      file: 'factories.yaml',
      edit: (t) => t.replace("sector: { vsic2025: '2610', vsic2018: '2610' }\n    timezone", "sector: { vsic2025: '2611', vsic2018: '2610' }\n    timezone"),
      want: /factories\.yaml:\d+: factories\[0\]\.sector\.vsic2025 "2611" is not in sectors\.yaml/,
    },
    {
      name: 'a VSIC 2018 code that the sector does not map from',
      file: 'factories.yaml',
      edit: (t) => t.replace("sector: { vsic2025: '2610', vsic2018: '2610' }\n    timezone", "sector: { vsic2025: '2610', vsic2018: '2620' }\n    timezone"),
      want: /factories\[0\]\.sector\.vsic2018 "2620" is not a VSIC 2018 code of VSIC 2025 "2610" in sectors\.yaml \(allowed: 2610\)/,
    },
    {
      name: 'a time zone that does not exist',
      file: 'factories.yaml',
      edit: (t) => t.replace('timezone: Asia/Ho_Chi_Minh', 'timezone: Asia/Binh_Duong'),
      want: /factories\.yaml:\d+: factories\[0\]\.timezone "Asia\/Binh_Duong" is not an IANA time zone/,
    },
    {
      name: 'a voltage level the tariff does not price',
      file: 'factories.yaml',
      edit: (t) => t.replace("voltageLevel: 22-110kV\n    microStopS: 120", "voltageLevel: 35kV\n    microStopS: 120"),
      want: /factories\.yaml:\d+: factories\[0\]\.voltageLevel "35kV" is not a voltage level of the tariff \(allowed: >=110kV, 22-110kV, 6-22kV, <6kV\)/,
    },
    {
      name: 'a factory path twice',
      file: 'factories.yaml',
      edit: (t) => t.replace('hcmc/vsip-1/binh-hoa-smt', 'hcmc/vsip-1/saigon-pcb'),
      want: /factories\[1\]\.path "hcmc\/vsip-1\/saigon-pcb" is already used by entry \[0\]; factory paths must be unique/,
    },
    {
      name: 'a park in a region that does not exist',
      file: 'regions.yaml',
      edit: (t) => t.replace('  - id: vsip-2\n    region: hcmc', '  - id: vsip-2\n    region: binh-duong'),
      want: /regions\.yaml:\d+: parks\[1\]\.region names no region of this file \(regions: hcmc; got "binh-duong"\)/,
    },
    {
      name: 'a shift time off the minute grid',
      file: 'calendars.yaml',
      edit: (t) => t.replace("start: '14:00'\n        end: '22:00'", "start: '14:00:30'\n        end: '22:00'"),
      want: /calendars\.yaml:\d+: calendars\[0\]\.shifts\[1\]\.start must be a time of day "HH:MM" on whole minutes, 00:00 to 23:59 \(got "14:00:30"\)/,
    },
    {
      name: 'a break outside its shift',
      file: 'calendars.yaml',
      edit: (t) => t.replace("{ start: '18:00', end: '18:30', name: meal }", "{ start: '21:45', end: '22:15', name: meal }"),
      want: /calendars\.yaml:\d+: calendars\[0\]\.shifts\[1\]\.breaks\[0\] 21:45-22:15 is not inside shift "B" \(14:00-22:00\)/,
    },
    {
      name: 'a weekday that does not exist',
      file: 'calendars.yaml',
      edit: (t) => t.replace('days: [mon, tue, wed, thu, fri, sat]\n        start: \'07:00\'', 'days: [mon, tue, wed, thu, fri, sam]\n        start: \'07:00\''),
      want: /calendars\[1\]\.shifts\[0\]\.days\[5\] must be one of mon, tue, wed, thu, fri, sat, sun \(got "sam"\)/,
    },
    {
      name: 'no default-24x7 calendar',
      file: 'calendars.yaml',
      edit: (t) => t.replace('- id: default-24x7', '- id: always-on'),
      want: /calendars\.yaml:\d+: calendars must define "default-24x7": the calendar of factories that factories\.yaml does not list/,
    },
    {
      name: 'an unknown key in a sector',
      file: 'sectors.yaml',
      edit: (t) => t.replace("name: Manufacture of textiles\n", "name: Manufacture of textiles\n    isic: '13'\n"),
      want: /sectors\.yaml:\d+: sectors\[0\]\.isic is not a known key \(allowed: vsic2025, vsic2018, name, nameVi, oeeTypical, source\)/,
    },
  ]
  for (const c of bad) {
    it(`loadReference refuses ${c.name}, naming file, line and path`, () => {
      const dir = seedDir(c.file, c.edit)
      const e = errorOf(() => loadReference(dir))
      expect(e.message).toMatch(c.want)
      expect(e.message.startsWith(join(dir, c.file))).toBe(true)
      expect(e.line).toBeTypeOf('number')
    })
  }

  it('loadReference points at the line of the offending key', () => {
    const dir = seedDir('factories.yaml', (t) => t.replace('calendar: two-shift-mon-sat\n    voltageLevel: 6-22kV\n\n  # My Phuoc', 'calendar: nope\n    voltageLevel: 6-22kV\n\n  # My Phuoc'))
    const e = errorOf(() => loadReference(dir))
    const lines = readFileSync(join(dir, 'factories.yaml'), 'utf8').split('\n')
    expect(lines[(e.line as number) - 1]?.trim()).toBe('calendar: nope')
  })
})
