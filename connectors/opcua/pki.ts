/**
 * Where the connector's OPC UA certificates live, and the client's own certificate.
 *
 * node-opcua needs an application certificate even for SecurityMode None (it signs nothing, but
 * the session handshake carries it). Left to itself it writes into ~/.config/node-opcua-default;
 * a gateway service account may have no writable home, and tests must not touch it. The folder is
 * stable across starts so the RSA key and certificate are made once, not on every start: a server
 * that was told to trust the gateway's certificate keeps trusting it.
 */
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OPCUACertificateManager, getHostname } from 'node-opcua'
import type { Logger } from '../common/logger.ts'
import { describeCertificate, fingerprints } from './server-trust.ts'

/** The default PKI root: `<os tmpdir>/shopfloor-opcua-pki`, with `server/` and `client/` inside. */
export function defaultPkiRoot(): string {
  return join(tmpdir(), 'shopfloor-opcua-pki')
}

/**
 * A certificate store rooted at `folder` (node-opcua's layout: `own/`, `trusted/`, `rejected/`,
 * `issuers/`). One folder per side (server, client): node-opcua shares one private key between
 * everything that points at the same folder.
 */
export function createCertificateManager(folder: string, acceptUnknown = true): OPCUACertificateManager {
  return new OPCUACertificateManager({
    rootFolder: folder,
    // The client decides on server certificates itself (server-trust.ts); the simulator accepts
    // every client, as a test double should.
    automaticallyAcceptUnknownCertificate: acceptUnknown,
    // chokidar watchers on the PKI folders hold libuv threads for nothing while no one edits them.
    disableFileWatchers: true,
  })
}

export interface ClientCertificate {
  readonly certificateManager: OPCUACertificateManager
  readonly certificateFile: string
  readonly privateKeyFile: string
}

/** `urn:<hostname>:<applicationName>`, node-opcua's own rule, so the certificate and the session agree. */
export function clientApplicationUri(applicationName: string): string {
  return `urn:${getHostname()}:${applicationName}`
}

const preparing = new Map<string, Promise<void>>()

/**
 * The client's certificate store in `folder`, with a certificate whose subjectAltName URI is
 * `applicationUri`: made on first use, and made anew when the one there names another
 * application (a server checks that the URI in the certificate is the one the session claims;
 * node-opcua warns NODE-OPCUA-W06 about it). The private key is kept, so a certificate
 * regenerated for the same key is a new certificate all the same: the server must trust it again.
 */
export async function prepareClientCertificate(
  folder: string,
  applicationName: string,
  applicationUri: string,
  logger: Logger,
): Promise<ClientCertificate> {
  const certificateManager = createCertificateManager(folder, false)
  const certificateFile = join(certificateManager.rootDir, 'own', 'certs', 'client_certificate.pem')
  // Sources of one agent start concurrently and share the folder: one of them makes the certificate.
  const key = `${certificateManager.rootDir}\n${applicationUri}`
  let ready = preparing.get(key)
  if (!ready) {
    ready = makeCertificate(certificateManager, certificateFile, applicationName, applicationUri, logger)
    preparing.set(key, ready)
    ready.catch(() => preparing.delete(key))
  }
  await ready
  return { certificateManager, certificateFile, privateKeyFile: certificateManager.privateKey }
}

async function makeCertificate(
  cm: OPCUACertificateManager,
  certificateFile: string,
  applicationName: string,
  applicationUri: string,
  logger: Logger,
): Promise<void> {
  await cm.initialize()
  if (existsSync(certificateFile)) {
    const current = uriOf(certificateFile)
    if (current === applicationUri) return
    logger.warn(
      { certificateFile, was: current ?? null, applicationUri },
      'client certificate names another application URI: making a new one (servers that trusted the old one must trust the new one)',
    )
  }
  const hostname = getHostname()
  // Written next to the target and renamed: another process starting at the same moment sees
  // either no certificate or a whole one, never half a file.
  const temp = `${certificateFile}.${process.pid}.tmp`
  await cm.createSelfSignedCertificate({
    applicationUri,
    subject: `/CN=${applicationName}@${hostname}/O=shopfloor`,
    dns: [hostname],
    startDate: new Date(Date.now() - 24 * 3600_000), // a PLC clock a day behind still accepts it
    validity: 365 * 10, // days: an expired gateway certificate stops the plant's data, so be generous
    outputFile: temp,
  })
  if (existsSync(certificateFile) && uriOf(certificateFile) === applicationUri) {
    rmSync(temp, { force: true })
    return
  }
  renameSync(temp, certificateFile)
  const facts = describeCertificate(Buffer.from(new X509Certificate(readFileSync(certificateFile)).raw))
  logger.info({ certificateFile, applicationUri }, `client certificate created: ${fingerprints(facts)}`)
}

function uriOf(file: string): string | undefined {
  try {
    return /URI:([^,\s]+)/.exec(new X509Certificate(readFileSync(file)).subjectAltName ?? '')?.[1]
  } catch {
    return undefined
  }
}
