/**
 * The config fragment `shopfloor discover` prints: a `sources:` entry for the server (with the
 * security and login it was browsed with) and, as comments, one tag reference per variable found,
 * ready to be copied into a machine's `state.tag`, `counts.total`, `energy.kwh`, ...
 */
import { stringify } from 'yaml'
import type { Discovery } from './discover.ts'
import { formatFingerprint } from './server-trust.ts'
import type { OpcuaSecurityMode, OpcuaSecurityPolicy } from './source-options.ts'

export interface FragmentOptions {
  /** The `id` of the source entry. */
  readonly sourceId: string
  readonly securityMode?: OpcuaSecurityMode | undefined
  readonly securityPolicy?: OpcuaSecurityPolicy | undefined
  readonly user?: string | undefined
  /** Where the agent will find the password (the fragment never holds it). */
  readonly passwordEnv?: string | undefined
  readonly passwordFile?: string | undefined
  /** How it was browsed, for the header. */
  readonly depth: number
  readonly filter?: string | undefined
}

export function discoveryFragment(d: Discovery, o: FragmentOptions): string {
  const secure = o.securityMode !== undefined && o.securityMode !== 'None'
  const source: Record<string, unknown> = { id: o.sourceId, protocol: 'opcua', endpoint: d.endpoint }
  if (secure) {
    source['security'] = {
      mode: o.securityMode,
      ...(o.securityPolicy === undefined ? {} : { policy: o.securityPolicy }),
      ...(d.certificate === undefined ? {} : { serverFingerprint: formatFingerprint(d.certificate.sha256) }),
    }
  }
  if (o.user !== undefined) {
    source['login'] = {
      user: o.user,
      ...(o.passwordFile === undefined ? { passwordEnv: o.passwordEnv ?? 'OPCUA_PASSWORD' } : { passwordFile: o.passwordFile }),
    }
  }
  const supported = d.variables.filter((v) => v.supported && v.readable)
  const skipped = d.variables.length - supported.length
  const lines = [
    `# shopfloor discover ${d.endpoint}: ${d.variables.length} variable(s) (depth ${o.depth}${o.filter === undefined ? '' : `, filter /${o.filter}/`})`,
    ...(d.truncated ? ['# The depth limit left nodes unexplored: run again with a larger --depth to see them.'] : []),
    ...(secure && d.certificate
      ? [
          `# The server presented ${d.certificate.subject}, valid to ${d.certificate.validTo}.`,
          '# serverFingerprint pins that certificate; delete the line to trust the first one the agent sees instead.',
        ]
      : []),
    '# Add the source to sources:, then copy the tag references you need into your machines.',
    stringify({ sources: [source] }).trimEnd(),
    '',
    `# Tag references (${supported.length}), each with its browse path and data type:`,
    ...supported.map((v) => `#   { source: ${o.sourceId}, node: ${JSON.stringify(v.nodeId)} }   # ${v.browsePath.join('/')} (${v.dataType})`),
  ]
  if (skipped > 0) {
    lines.push(`# Not readable as a tag value (${skipped}: arrays, structures, or no read access):`)
    for (const v of d.variables) {
      if (v.supported && v.readable) continue
      lines.push(`#   ${JSON.stringify(v.nodeId)}   # ${v.browsePath.join('/')} (${v.dataType}${v.readable ? '' : ', not readable'})`)
    }
  }
  return lines.join('\n') + '\n'
}

/** A source id from the endpoint's host: `opc.tcp://10.0.4.21:4840` -> `plc-10.0.4.21`. */
export function sourceIdFor(endpoint: string): string {
  const host = /^opc\.tcp:\/\/\[?([^\]/:]+)/.exec(endpoint)?.[1] ?? 'server'
  return `plc-${host.replace(/[^A-Za-z0-9._-]/g, '-')}`
}
