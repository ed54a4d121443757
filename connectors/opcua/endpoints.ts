/**
 * What a server offers (its endpoints' security modes and policies, and its certificate), and
 * the errors that say so when a connection or a login is refused: "the server offers only X"
 * is what the user needs to fix the config, not "cannot find endpoint".
 */
import { MessageSecurityMode, UserTokenType } from 'node-opcua'
import { silentLogger } from '../common/logger.ts'
import { createOpcuaClient, type ClientSettings } from './client.ts'
import { OpcuaError, describeCause } from './errors.ts'
import type { ResolvedLogin } from './login.ts'
import { withTimeout } from './monitored-subscription.ts'

export interface OfferedEndpoint {
  readonly securityMode: string
  /** The policy's short name, such as `Basic256Sha256`. */
  readonly securityPolicy: string
  /** User token types the endpoint accepts: `Anonymous`, `UserName`, `Certificate`. */
  readonly userTokens: readonly string[]
  /** DER; empty for a server that sends none. */
  readonly serverCertificate: Buffer
}

/** Asks the server for its endpoints over an unsecured connection (GetEndpoints needs none). */
export async function listEndpoints(endpoint: string, settings: Omit<ClientSettings, 'securityMode' | 'securityPolicy' | 'maxRetry'>): Promise<OfferedEndpoint[]> {
  const client = await createOpcuaClient({ ...settings, securityMode: 'None', securityPolicy: 'None', maxRetry: 0 }, () => true, silentLogger)
  try {
    await withTimeout(client.connect(endpoint), settings.requestTimeoutMs, 'connect')
    const endpoints = await withTimeout(client.getEndpoints(), settings.requestTimeoutMs, 'GetEndpoints')
    return endpoints.map((e) => ({
      securityMode: MessageSecurityMode[e.securityMode] ?? String(e.securityMode),
      securityPolicy: policyName(e.securityPolicyUri ?? ''),
      userTokens: (e.userIdentityTokens ?? []).map((t) => UserTokenType[t.tokenType] ?? String(t.tokenType)),
      serverCertificate: e.serverCertificate ?? Buffer.alloc(0),
    }))
  } finally {
    await client.disconnect().catch(() => undefined)
  }
}

/** `http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256` -> `Basic256Sha256`. */
function policyName(uri: string): string {
  return uri.split('#')[1] ?? uri
}

/** `SignAndEncrypt/Basic256Sha256, None/None`: the distinct mode/policy pairs, for messages. */
export function describeOffers(offers: readonly OfferedEndpoint[]): string {
  return [...new Set(offers.map((o) => `${o.securityMode}/${o.securityPolicy}`))].join(', ')
}

/**
 * The error for a server that has no endpoint with our mode and policy, naming what it has
 * (looked up now; if that fails too, the message says so).
 */
export async function securityMismatchError(
  context: string,
  wanted: { securityMode: string; securityPolicy: string },
  endpoint: string,
  settings: Omit<ClientSettings, 'securityMode' | 'securityPolicy' | 'maxRetry'>,
  cause: unknown,
): Promise<OpcuaError> {
  const offered = await listEndpoints(endpoint, settings).then(describeOffers, (err: unknown) => `unknown (${describeCause(err)})`)
  return new OpcuaError(
    'SHOPFLOOR_OPCUA_SECURITY',
    `${context}: the server has no endpoint with security.mode ${wanted.securityMode} and security.policy ${wanted.securityPolicy}; ` +
      `it offers ${offered}. Pick one of those in the source's security settings.`,
    { canRetry: false, cause },
  )
}

/** True when connect() failed because no endpoint matches our security settings. */
export function isSecurityMismatch(err: unknown): boolean {
  return /cannot find (an )?endpoint (for|matching)/i.test(describeCause(err))
}

/**
 * Why a session could not be activated because of who we are (a status code name, or the login
 * kind the endpoint does not offer), else undefined.
 */
export function loginRefusal(err: unknown): string | undefined {
  const text = describeCause(err)
  const status = /Bad(UserAccessDenied|IdentityTokenRejected|IdentityTokenInvalid|UserSignatureInvalid)/.exec(text)?.[0]
  if (status !== undefined) return status
  // node-opcua checks the endpoint's user token policies before it asks the server.
  const kind = /Cannot find (\w+) user token policy/i.exec(text)?.[1]
  return kind === undefined ? undefined : `the endpoint offers no ${kind.toLowerCase()} login`
}

/** The error for a refused login; never contains the password. */
export function loginError(context: string, login: ResolvedLogin | undefined, status: string, cause: unknown): OpcuaError {
  const who = login === undefined ? 'an anonymous login' : `the login of user "${login.user}"`
  const next =
    login === undefined
      ? 'The server wants a user: set login.user and login.passwordEnv (or login.passwordFile).'
      : 'Check the user name, and the password in the variable or file login names, against the PLC; ' +
        'the source does not retry (some PLCs lock a user after a few wrong passwords): fix it and restart the agent.'
  return new OpcuaError('SHOPFLOOR_OPCUA_AUTH', `${context}: the server refused ${who}: ${status}. ${next}`, { canRetry: false, cause })
}

