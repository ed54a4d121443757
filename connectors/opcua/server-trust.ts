/**
 * Whether to trust the certificate an OPC UA server presents: pinned by fingerprint in the config,
 * or trusted on first use (TOFU) and refused when it changes afterwards.
 *
 * A PLC's certificate is almost always self-signed, so there is no CA to ask. The first
 * certificate a source sees is recorded as `<pkiDir>/trusted/certs/server-<source id>.pem`; a
 * different one later is refused with both fingerprints, because a PLC that suddenly presents
 * a new key is either a replaced PLC (the user says so by deleting the file) or someone in between.
 */
import { X509Certificate, createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { OpcuaError } from './errors.ts'

/** Colon-separated upper-case hex, as PLC web pages and `openssl x509 -fingerprint` show it. */
export function formatFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':')
}

/** A fingerprint from the config (any case, colons or not, optional `sha1:`/`sha256:` prefix) as bare lower-case hex. */
export function normalizeFingerprint(text: string): string {
  return text
    .trim()
    .replace(/^sha-?(1|256):/i, '')
    .replaceAll(':', '')
    .toLowerCase()
}

/** True for 40 (SHA-1) or 64 (SHA-256) hex digits once normalized. */
export function isFingerprint(text: string): boolean {
  return /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(normalizeFingerprint(text))
}

export interface CertificateFacts {
  readonly sha1: string
  readonly sha256: string
  readonly subject: string
  readonly validTo: string
  readonly applicationUri: string | undefined
  readonly pem: string
}

/**
 * The leaf certificate of a DER chain (OPC UA sends the chain as concatenated DER, leaf first).
 * Reads the outer SEQUENCE's length so the rest of the chain is left out.
 */
export function leafCertificate(chain: Buffer): Buffer {
  if (chain.length < 2 || chain[0] !== 0x30) return chain
  const first = chain[1] ?? 0
  if (first < 0x80) return chain.subarray(0, 2 + first)
  const bytes = first & 0x7f
  let length = 0
  for (let i = 0; i < bytes; i++) length = length * 256 + (chain[2 + i] ?? 0)
  return chain.subarray(0, 2 + bytes + length)
}

export function describeCertificate(der: Buffer): CertificateFacts {
  const leaf = leafCertificate(der)
  const x509 = new X509Certificate(leaf)
  const uri = /URI:([^,\s]+)/.exec(x509.subjectAltName ?? '')?.[1]
  return {
    sha1: createHash('sha1').update(leaf).digest('hex'),
    sha256: createHash('sha256').update(leaf).digest('hex'),
    subject: x509.subject.replaceAll('\n', ', '),
    validTo: x509.validTo,
    applicationUri: uri,
    pem: x509.toString(),
  }
}

/** The fingerprints a message shows, so the user can compare them with the PLC's own display or pin one. */
export function fingerprints(facts: CertificateFacts): string {
  return `SHA-256 ${formatFingerprint(facts.sha256)} (SHA-1 ${formatFingerprint(facts.sha1)})`
}

export interface ServerTrustOptions {
  /** Names the server in messages (`server "plc-1" (opc.tcp://...)`). */
  readonly context: string
  /** Pinned SHA-1 or SHA-256 fingerprint; without one the certificate is trusted on first use. */
  readonly fingerprint?: string | undefined
  /** Where the certificate trusted on first use is recorded; undefined: nothing is recorded (discover). */
  readonly recordFile?: string | undefined
}

export type TrustVerdict =
  | { readonly trusted: true; readonly facts: CertificateFacts; readonly firstUse: boolean }
  | { readonly trusted: false; readonly facts: CertificateFacts; readonly error: OpcuaError }

/** The file a source's server certificate is recorded in on first use. */
export function tofuRecordFile(pkiDir: string, sourceId: string): string {
  return join(pkiDir, 'trusted', 'certs', `server-${sourceId}.pem`)
}

/**
 * Decides on a presented server certificate. Pinned: the fingerprint must match. TOFU: the first
 * certificate is recorded and trusted; a later different one is refused until the record is deleted.
 */
export function judgeServerCertificate(certificate: Buffer, o: ServerTrustOptions): TrustVerdict {
  const facts = describeCertificate(certificate)
  if (o.fingerprint !== undefined) {
    const pinned = normalizeFingerprint(o.fingerprint)
    if (pinned === facts.sha1 || pinned === facts.sha256) return { trusted: true, facts, firstUse: false }
    return {
      trusted: false,
      facts,
      error: new OpcuaError(
        'SHOPFLOOR_OPCUA_CERTIFICATE',
        `${o.context}: the server certificate does not match the pinned fingerprint ${formatFingerprint(pinned)}: ` +
          `it presents ${fingerprints(facts)}, subject ${facts.subject}. If the PLC's certificate was renewed on purpose, ` +
          'put the new fingerprint into security.serverFingerprint; otherwise find out who answers at this address.',
        { canRetry: false },
      ),
    }
  }
  if (o.recordFile === undefined) return { trusted: true, facts, firstUse: true }
  if (!existsSync(o.recordFile)) {
    mkdirSync(dirname(o.recordFile), { recursive: true })
    // Write then rename: a crash half-way must not leave a record that refuses every certificate.
    const temp = `${o.recordFile}.${process.pid}.tmp`
    writeFileSync(temp, facts.pem)
    renameSync(temp, o.recordFile)
    return { trusted: true, facts, firstUse: true }
  }
  const recorded = describeCertificate(pemToDer(readFileSync(o.recordFile, 'utf8')))
  if (recorded.sha256 === facts.sha256) return { trusted: true, facts, firstUse: false }
  return {
    trusted: false,
    facts,
    error: new OpcuaError(
      'SHOPFLOOR_OPCUA_CERTIFICATE',
      `${o.context}: the server certificate CHANGED since it was trusted on first use: trusted ${fingerprints(recorded)}, ` +
        `now presented ${fingerprints(facts)}, subject ${facts.subject}. Refusing to connect. If the PLC was replaced ` +
        `or its certificate renewed on purpose, delete ${o.recordFile} (or pin the new fingerprint in ` +
        'security.serverFingerprint) and restart the agent.',
      { canRetry: false },
    ),
  }
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(new X509Certificate(pem).raw)
}

/**
 * A source's gate for server certificates: judges each one node-opcua fetches, logs a first use,
 * and reports a refusal once per refused certificate (node-opcua fetches it again on every
 * reconnection attempt).
 */
export class ServerTrustGate {
  readonly #options: ServerTrustOptions
  readonly #onFirstUse: (facts: CertificateFacts) => void
  readonly #onRefused: (error: OpcuaError) => void
  #refused: string | undefined
  /** The error of the certificate refused last; cleared when one is trusted again. */
  refusal: OpcuaError | undefined

  constructor(options: ServerTrustOptions, onFirstUse: (facts: CertificateFacts) => void, onRefused: (error: OpcuaError) => void) {
    this.#options = options
    this.#onFirstUse = onFirstUse
    this.#onRefused = onRefused
  }

  check(certificate: Buffer): boolean {
    const verdict = judgeServerCertificate(certificate, this.#options)
    if (verdict.trusted) {
      this.#refused = undefined
      this.refusal = undefined
      if (verdict.firstUse && this.#options.recordFile !== undefined) this.#onFirstUse(verdict.facts)
      return true
    }
    this.refusal = verdict.error
    if (this.#refused !== verdict.facts.sha256) {
      this.#refused = verdict.facts.sha256
      this.#onRefused(verdict.error)
    }
    return false
  }
}
