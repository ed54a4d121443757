/**
 * The node-opcua client as the OpcuaSource (and `shopfloor discover`) configures it: security
 * mode and policy, the client certificate, and our own decision on the server's certificate.
 */
import {
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  UserTokenType,
  type OPCUACertificateManager,
  type StatusCode,
  type UserIdentityInfo,
} from 'node-opcua'
import type { Logger } from '../common/logger.ts'
import type { ResolvedLogin } from './login.ts'
import { prepareClientCertificate } from './pki.ts'
import type { OpcuaSecurityMode, OpcuaSecurityPolicy } from './source-options.ts'

export interface ClientSettings {
  readonly id: string
  readonly applicationName: string
  readonly applicationUri: string
  readonly securityMode: OpcuaSecurityMode
  readonly securityPolicy: OpcuaSecurityPolicy | 'None'
  readonly pkiDir: string
  readonly sessionTimeoutMs: number
  readonly keepAliveIntervalMs: number
  readonly requestTimeoutMs: number
  readonly reconnectInitialDelayMs: number
  readonly reconnectMaxDelayMs: number
  /** -1: retry forever (the source); a small number for a one-shot tool. */
  readonly maxRetry: number
}

/**
 * Decides on the certificate the server presents (DER, possibly a chain), each time node-opcua
 * fetches it: on the first connection with Sign/SignAndEncrypt and after the server changed it.
 */
export type ServerCertificateCheck = (certificate: Buffer) => boolean

export async function createOpcuaClient(o: ClientSettings, checkServer: ServerCertificateCheck, logger: Logger): Promise<OPCUAClient> {
  const { certificateManager, certificateFile, privateKeyFile } = await prepareClientCertificate(
    o.pkiDir,
    o.applicationName,
    o.applicationUri,
    logger,
  )
  decideServerCertificates(certificateManager, checkServer)
  return OPCUAClient.create({
    applicationName: o.applicationName,
    applicationUri: o.applicationUri,
    clientName: o.id,
    securityMode: MessageSecurityMode[o.securityMode],
    securityPolicy: SecurityPolicy[o.securityPolicy],
    // The URL in the config is the one that works from the gateway; a server behind NAT, or one
    // advertising a hostname the gateway cannot resolve, must not be held to its own.
    endpointMustExist: false,
    connectionStrategy: {
      maxRetry: o.maxRetry,
      initialDelay: o.reconnectInitialDelayMs,
      maxDelay: o.reconnectMaxDelayMs,
      // Spreads the retries of many gateways after a shared network outage.
      randomisationFactor: 0.1,
    },
    requestedSessionTimeout: o.sessionTimeoutMs,
    // The keep-alive Read is what notices a dead peer that sent no TCP reset.
    keepSessionAlive: true,
    keepAliveInterval: o.keepAliveIntervalMs,
    defaultTransactionTimeout: o.requestTimeoutMs,
    clientCertificateManager: certificateManager,
    certificateFile,
    privateKeyFile,
  })
}

/**
 * node-opcua asks its certificate manager about the server certificate (when it fetches it from
 * the endpoints, on the first secure connection and whenever the server changed it) and would
 * answer from its trust list, silently adding unknown ones when told to. The answer is ours instead:
 * TOFU or a pinned fingerprint (server-trust.ts). The client only ever awaits this one method.
 */
function decideServerCertificates(cm: OPCUACertificateManager, checkServer: ServerCertificateCheck): void {
  const check = async (chain: Buffer | Buffer[]): Promise<StatusCode> =>
    checkServer(Array.isArray(chain) ? Buffer.concat(chain) : chain) ? StatusCodes.Good : StatusCodes.BadCertificateUntrusted
  Object.defineProperty(cm, 'checkCertificate', { value: check, configurable: true })
}

/** The identity a session is activated with: anonymous, or user name and password. */
export function userIdentity(login: ResolvedLogin | undefined): UserIdentityInfo {
  if (login === undefined) return { type: UserTokenType.Anonymous }
  return { type: UserTokenType.UserName, userName: login.user, password: login.password.reveal() }
}
