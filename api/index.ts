// Public surface of the API module.
export { buildApp, type ApiOptions } from './app.ts'
export { ApiError, API_ERRORS, type ApiErrorCode } from './errors.ts'
export { computeOee, sumStateTime, type OeeResult, type CountTotals } from './kpi/oee.ts'
export { stateTime, type StateTime, type StateEvent } from './kpi/state-time.ts'
export { oee, type OeeQuery, type OeeResponse, type MachineOee } from './oee-service.ts'
export { DEFAULT_MICRO_STOP_S } from './routes/oee.ts'
export {
  publishTables,
  tableCells,
  auditPublication,
  resolveDisclosureConfig,
  DISCLOSURE_DEFAULTS,
  DisclosureConfigSchema,
  DisclosureError,
  type DisclosureConfig,
  type DisclosureInput,
  type FactoryContribution,
  type Publication,
  type PublicationStructure,
  type PublishedCell,
  type PublishedValues,
  type TableShape,
} from './analyst/index.ts'
