/** What a factory that factories.yaml does not list (or an entry that leaves a key out) gets. */
export const REFERENCE_DEFAULTS = {
  /** IANA time zone of the factories' clocks. */
  timezone: 'Asia/Ho_Chi_Minh',
  /** Calendar id; calendars.yaml must define it. */
  calendar: 'default-24x7',
  /** Supply voltage level of the EVN tariff. */
  voltageLevel: '22-110kV',
  /** Environment variable naming the seed directory instead of api/seed/. */
  seedDirEnv: 'SHOPFLOOR_SEED_DIR',
} as const
