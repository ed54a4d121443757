/**
 * The node-opcua client as the OpcuaSource configures it.
 */
import { join } from 'node:path'
import { OPCUAClient } from 'node-opcua'
import { createCertificateManager, defaultPkiRoot } from './pki.ts'
import type { ResolvedOpcuaSourceOptions } from './source-options.ts'

export function createOpcuaClient(o: ResolvedOpcuaSourceOptions): OPCUAClient {
  return OPCUAClient.create({
    applicationName: o.applicationName,
    clientName: o.id,
    // The URL in the config is the one that works from the gateway; a server behind NAT, or one
    // advertising a hostname the gateway cannot resolve, must not be held to its own.
    endpointMustExist: false,
    connectionStrategy: {
      // -1: retry forever. Reconnection after a loss always does; this covers the first connect.
      maxRetry: -1,
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
    clientCertificateManager: createCertificateManager(o.pkiDir ?? join(defaultPkiRoot(), 'client')),
  })
}
