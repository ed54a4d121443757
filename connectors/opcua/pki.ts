/**
 * Where the connector's OPC UA certificates live.
 *
 * node-opcua needs an application certificate even for SecurityMode None (it signs nothing, but
 * the session handshake carries it). Left to itself it writes into ~/.config/node-opcua-default;
 * a gateway service account may have no writable home, and tests must not touch it. The folder is
 * stable across starts so the RSA key and certificate are made once, not on every start.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OPCUACertificateManager } from 'node-opcua'

/** The default PKI root: `<os tmpdir>/shopfloor-opcua-pki`, with `server/` and `client/` inside. */
export function defaultPkiRoot(): string {
  return join(tmpdir(), 'shopfloor-opcua-pki')
}

/**
 * A certificate store rooted at `folder`. One folder per side (server, client): node-opcua
 * shares one private key between everything that points at the same folder.
 */
export function createCertificateManager(folder: string): OPCUACertificateManager {
  return new OPCUACertificateManager({
    rootFolder: folder,
    // With SecurityMode None nothing is checked against the trust list; once Sign/SignAndEncrypt
    // arrive, trusting unknown peers becomes an explicit option, not this default.
    automaticallyAcceptUnknownCertificate: true,
    // chokidar watchers on the PKI folders hold libuv threads for nothing while no one edits them.
    disableFileWatchers: true,
  })
}
