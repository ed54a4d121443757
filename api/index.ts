// Public surface of the API module.
export { buildApp, type ApiOptions } from './app.ts'
export { ApiError, API_ERRORS, type ApiErrorCode } from './errors.ts'
export {
  ApiKeyError,
  ApiKeyStore,
  SessionStore,
  ROLES,
  allowedFactories,
  keysFileFromEnv,
  rateLimitFromEnv,
  requireFactory,
  type Access,
  type ApiKeyInfo,
  type NewApiKey,
  type Principal,
  type RateLimitOptions,
  type Role,
  type SessionOptions,
} from './auth/index.ts'
export { LiveFeed, LIVE_DEFAULTS, type LiveFeedOptions } from './live/index.ts'
export { DOCS_PREFIX } from './http/openapi.ts'
export { computeOee, sumStateTime, type OeeResult, type CountTotals } from './kpi/oee.ts'
export { stateTime, type StateTime, type StateEvent } from './kpi/state-time.ts'
export { computeKpi, type KpiFigures, type KpiFlag, type OutsidePlan, type StateSeconds } from './kpi/figures.ts'
export { lossWaterfall, type LossWaterfall } from './kpi/waterfall.ts'
export { rollUp, lineJudge, type LineJudge, type MachinePlace, type Rollup } from './kpi/rollup.ts'
export { sumTotals, sumPlanTotals, planAt, planGrid, PLAN_PARTS, PLAN_WIDTH, type KpiTotals, type PlanTotals, type OutsideKind } from './kpi/totals.ts'
export { rankDowntime, type DowntimeReason } from './kpi/downtime.ts'
export { DEFAULT_MICRO_STOP_S, MAX_WINDOW_DAYS, type Scope, type ScopeLevel } from './kpi/params.ts'
export {
  oee,
  timeline,
  downtime,
  MAX_BUCKETS,
  type KpiDeps,
  type OeeQuery,
  type OeeResponse,
  type BucketFigures,
  type MachineFigures,
  type LineFigures,
  type AreaFigures,
  type TimelineQuery,
  type TimelineResponse,
  type TimelineRow,
  type DowntimeQuery,
  type DowntimeResponse,
} from './kpi-service.ts'
export {
  loadReference,
  loadYamlFile,
  factoryOf,
  factoriesOf,
  calendarOf,
  sectorOf,
  parkOf,
  SeedError,
  REFERENCE_DEFAULTS,
  type Reference,
  type Factory,
  type Region,
  type Park,
  type Sector,
} from './reference/index.ts'
export {
  energy,
  energyCost,
  touPeriodAt,
  priceOf,
  emissionFactorFor,
  checkMeterDeltas,
  DEFAULT_MAX_KW,
  EnergyError,
  type EnergyQuery,
  type EnergyResponse,
  type EnergyFigures,
  type EnergyFlag,
  type PricingContext,
} from './energy/index.ts'
export { planSegments, buckets, shiftOccurrences, CalendarSchema, type Calendar, type PlanSegment, type PlanKind, type Bucket, type BucketSize, type ShiftRef } from './calendar/index.ts'
export {
  publishTables,
  tableCells,
  publicationCells,
  factoryContributions,
  publicationStructure,
  releasedYear,
  lastReleasedMonth,
  loadDisclosureSettings,
  toParquet,
  auditPublication,
  resolveDisclosureConfig,
  DISCLOSURE_DEFAULTS,
  DisclosureConfigSchema,
  DisclosureError,
  type DisclosureConfig,
  type DisclosureSettings,
  type ContributionWindow,
  type DisclosureInput,
  type FactoryContribution,
  type Publication,
  type PublicationStructure,
  type PublishedCell,
  type PublishedValues,
  type TableShape,
} from './analyst/index.ts'
export { sliceTotals, groupTotals, latestStates, type SliceTotals, type SliceTotalsOptions, type GroupTotalsOptions, type SliceSpan, type MachineSet } from './queries/slices.ts'
