// Public surface of the analysts' disclosure control (issue 8): fixed tables by region, park,
// sector and period, with primary and secondary suppression, and an independent auditor.
export { publishTables, renderCells, tableCells, publicationCells, type PublishOptions } from './publish.ts'
export { DISCLOSURE_DEFAULTS, DisclosureConfigSchema, resolveDisclosureConfig, type DisclosureConfig, type DisclosureConfigInput, type DominanceRule } from './config.ts'
export { DisclosureError, type DisclosureErrorCode } from './errors.ts'
export { factoryContributions, publicationStructure, sectorDivisions, sectorDivision, monthStart, addMonths, type ContributionWindow, type SectorDivision } from './contributions.ts'
export { lastReleasedMonth, releasedYear, ReleaseCache } from './release.ts'
export { loadDisclosureSettings, DisclosureFileSchema, DISCLOSURE_SEED_FILE, DEFAULT_RELEASE_DELAY_DAYS, type DisclosureSettings } from './settings.ts'
export { exportRow, toParquet, CSV_COLUMNS, EXPORT_STRUCTURE, type ExportRow } from './export.ts'
export { auditPublication, type AuditFinding, type AuditReport } from './audit.ts'
export {
  cellKey,
  MAGNITUDES,
  PERIOD_KINDS,
  PUBLISHED_SUMS,
  TABLE_SHAPES,
  type DisclosureInput,
  type FactoryContribution,
  type Magnitude,
  type PeriodKind,
  type Publication,
  type PublicationStructure,
  type PublishedCell,
  type PublishedSum,
  type PublishedValues,
  type Suppression,
  type TableShape,
} from './types.ts'
