/**
 * Tag groups: how each tag is read. A subscribe group has the server report changes (its own
 * sampling interval, queue size and deadband); a poll group reads its tags with the Read service
 * every `pollInterval`. Tags that name no group are in the `default` group: subscribed with the
 * source's own settings.
 */

/** Report a numeric value only when it moved by more than `value` (absolute, in engineering units) or `value` % of the node's EURange (percent). */
export interface OpcuaDeadband {
  readonly type: 'absolute' | 'percent'
  readonly value: number
}

export interface OpcuaTagGroup {
  /** Referenced by a tag's `group`. `default` is taken: it is the source's own settings. */
  readonly name: string
  /** `subscribe`: the server reports changes; `poll`: a Read every `pollIntervalMs`. @default 'subscribe' */
  readonly mode?: 'subscribe' | 'poll'
  /** Subscribe groups: sampling interval, ms. @default the source's `samplingIntervalMs` */
  readonly samplingIntervalMs?: number
  /** Subscribe groups: values queued per tag between publishes. @default the source's `queueSize` */
  readonly queueSize?: number
  /**
   * Subscribe groups: a server-side deadband, applied to numeric nodes only; `'none'` turns off a
   * deadband the source sets. Poll groups: an absolute deadband applied by the source itself
   * (percent needs the server's EURange and is for subscribe groups). @default the source's `deadband` (subscribe), none (poll)
   */
  readonly deadband?: OpcuaDeadband | 'none'
  /** Poll groups: read interval, ms. @default 1_000 */
  readonly pollIntervalMs?: number
}

export interface SubscribeGroup {
  readonly name: string
  readonly mode: 'subscribe'
  readonly samplingIntervalMs: number
  readonly queueSize: number
  readonly deadband: OpcuaDeadband | undefined
}

export interface PollGroup {
  readonly name: string
  readonly mode: 'poll'
  readonly pollIntervalMs: number
  readonly deadband: OpcuaDeadband | undefined
}

export type ResolvedTagGroup = SubscribeGroup | PollGroup

/** The group of tags that name none. */
export const DEFAULT_GROUP = 'default'

export const DEFAULT_POLL_INTERVAL_MS = 1_000

/** The keys of a group, as the config file spells them. */
export type GroupField = 'name' | 'mode' | 'samplingInterval' | 'queueSize' | 'pollInterval' | 'deadband.type' | 'deadband.value'

export interface GroupShape {
  readonly name: string
  readonly mode: 'subscribe' | 'poll'
  /** Which of the mode-specific keys are set. */
  readonly has: { readonly samplingInterval: boolean; readonly queueSize: boolean; readonly pollInterval: boolean }
  readonly deadband: { readonly type: string; readonly value?: number | undefined } | undefined
}

/**
 * The first rule a group breaks that a schema cannot express, or undefined. Shared by the config
 * file check (which names YAML keys) and the source options (which name option keys).
 */
export function groupProblem(g: GroupShape, seen: ReadonlySet<string>): { field: GroupField; problem: string } | undefined {
  if (g.name === DEFAULT_GROUP) {
    return { field: 'name', problem: `"${DEFAULT_GROUP}" is the group of tags that name none (the source's own settings); pick another name` }
  }
  if (seen.has(g.name)) return { field: 'name', problem: `"${g.name}" is used by an earlier group; group names must be unique` }
  if (g.mode === 'poll') {
    for (const key of ['samplingInterval', 'queueSize'] as const) {
      if (g.has[key]) return { field: key, problem: 'does not apply to a poll group (it reads every pollInterval)' }
    }
  } else if (g.has.pollInterval) {
    return { field: 'pollInterval', problem: 'applies only to a poll group (add mode: poll)' }
  }
  return deadbandProblem(g.deadband, g.mode)
}

/** The first rule a deadband breaks, for a group of `mode` (or the source's own settings, a subscribe group). */
export function deadbandProblem(
  d: { readonly type: string; readonly value?: number | undefined } | undefined,
  mode: 'subscribe' | 'poll',
): { field: 'deadband.type' | 'deadband.value'; problem: string } | undefined {
  if (d === undefined || d.type === 'none') return undefined
  if (d.value === undefined) return { field: 'deadband.value', problem: `is required for a deadband of type ${d.type}` }
  if (!Number.isFinite(d.value) || d.value < 0) return { field: 'deadband.value', problem: `must be a number >= 0 (got ${d.value})` }
  if (d.type === 'percent' && d.value > 100) return { field: 'deadband.value', problem: `is a percentage of the EURange, 0..100 (got ${d.value})` }
  if (d.type === 'percent' && mode === 'poll') {
    return { field: 'deadband.type', problem: 'percent needs the server to know the EURange and applies to subscribe groups only; use absolute' }
  }
  return undefined
}
