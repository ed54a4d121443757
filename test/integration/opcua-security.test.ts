// OpcuaSource against the node-opcua server with message security, certificates and logins.
import { X509Certificate } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../connectors/common/logger.ts'
import { routeNodeOpcuaLogs } from '../../connectors/opcua/node-opcua-logs.ts'
import { describeCertificate, formatFingerprint, tofuRecordFile } from '../../connectors/opcua/server-trust.ts'
import { startOpcuaSimulator, type OpcuaSimulator, type OpcuaSimulatorOptions } from '../../connectors/opcua/simulator.ts'
import { OpcuaSource } from '../../connectors/opcua/source.ts'
import type { OpcuaSourceOptions } from '../../connectors/opcua/source-options.ts'
import { waitFor } from '../support/wait.ts'
import { record, sleep } from './opcua-recorder.ts'

const STATE = 'ns=1;s=Line1.Printer.State'
const USERS = [{ user: 'shopfloor', password: 'Đúng-mật-khẩu-1' }]
const cleanups: (() => Promise<void> | void)[] = []

beforeAll(() => {
  routeNodeOpcuaLogs(createLogger({ level: process.env['LOG_LEVEL'] ?? 'silent' }))
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function sim(options: Partial<OpcuaSimulatorOptions> = {}): Promise<OpcuaSimulator> {
  const s = await startOpcuaSimulator({ nodes: [{ nodeId: STATE, dataType: 'Int32', initial: 1 }], ...options })
  cleanups.push(() => s.stop())
  return s
}

/** A source with a PKI folder of its own, so trust-on-first-use starts from nothing. */
function source(endpoint: string, opts: Partial<OpcuaSourceOptions> = {}): OpcuaSource {
  const src = new OpcuaSource({
    id: 'plc-line1',
    endpoint,
    pkiDir: opts.pkiDir ?? tempDir('opcua-client-pki-'),
    reconnectInitialDelayMs: 100,
    reconnectMaxDelayMs: 500,
    connectTimeoutMs: 10_000,
    samplingIntervalMs: 0,
    ...opts,
  })
  cleanups.push(() => src.stop())
  return src
}

/** The certificate the simulator serves from `pkiDir`, as the client will see it. */
function serverCertificate(pkiDir: string) {
  return describeCertificate(Buffer.from(readFileSync(join(pkiDir, 'own', 'certs', 'certificate.pem'), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64'))
}

describe('OpcuaSource security', () => {
  it.each([
    ['SignAndEncrypt', 'Basic256Sha256'],
    ['SignAndEncrypt', 'Aes128_Sha256_RsaOaep'],
    ['SignAndEncrypt', 'Aes256_Sha256_RsaPss'],
    ['Sign', 'Basic256Sha256'],
  ] as const)('OpcuaSource subscribes over %s/%s with a user and password and receives every change', async (mode, policy) => {
    const s = await sim({ securityModes: [mode], securityPolicies: [policy], users: USERS })
    const pkiDir = tempDir('opcua-client-pki-')
    const src = source(s.endpoint, { securityMode: mode, securityPolicy: policy, login: { user: USERS[0]!.user, password: USERS[0]!.password }, pkiDir })
    const rec = await record(src, [STATE])
    expect(rec.connection).toEqual([{ connected: true }])
    await waitFor('the initial value', () => rec.of(STATE).length === 1)
    s.setValue(STATE, 2)
    s.setValue(STATE, 3)
    await waitFor('both changes', () => rec.of(STATE).length === 3)
    expect(rec.valuesOf(STATE)).toEqual([1, 2, 3])

    // The client certificate was made on first use, for the application URI the session claims.
    const own = readFileSync(join(pkiDir, 'own', 'certs', 'client_certificate.pem'), 'utf8')
    expect(own).toContain('BEGIN CERTIFICATE')
    // The server certificate was trusted on first use and recorded for this source.
    const recorded = tofuRecordFile(pkiDir, 'plc-line1')
    expect(existsSync(recorded)).toBe(true)
  })

  it('OpcuaSource reports a wrong password once as SHOPFLOOR_OPCUA_AUTH naming the user, never the password, and does not retry', async () => {
    const s = await sim({ securityModes: ['SignAndEncrypt'], users: USERS })
    const src = source(s.endpoint, { securityMode: 'SignAndEncrypt', login: { user: 'shopfloor', password: 'wrong-password-42' } })
    const rec = await record(src, [STATE])
    expect(rec.connection).toHaveLength(1)
    const error = rec.connection[0]?.error
    expect(rec.connection[0]?.connected).toBe(false)
    expect(error).toMatchObject({ code: 'SHOPFLOOR_OPCUA_AUTH', canRetry: false })
    expect(error?.message).toContain('server "plc-line1"')
    expect(error?.message).toContain('refused the login of user "shopfloor": BadUserAccessDenied')
    expect(error?.message).not.toContain('wrong-password-42')
    const attempts = s.requestSizes('ActivateSession').length
    await sleep(1_500) // several reconnection delays
    expect(s.requestSizes('ActivateSession').length).toBe(attempts)
    expect(rec.connection).toHaveLength(1)
    expect(rec.values).toEqual([])
  })

  it('OpcuaSource reports a server that wants a user when the source logs in anonymously', async () => {
    const s = await sim({ users: USERS })
    const rec = await record(source(s.endpoint), [STATE])
    expect(rec.connection[0]).toMatchObject({ connected: false, error: { code: 'SHOPFLOOR_OPCUA_AUTH' } })
    expect(rec.connection[0]?.error?.message).toContain('refused an anonymous login: the endpoint offers no anonymous login')
    expect(rec.connection[0]?.error?.message).toContain('set login.user and login.passwordEnv')
  })

  it('OpcuaSource names the modes the server offers when it has none with the requested security', async () => {
    const s = await sim({ securityModes: ['None'] })
    const rec = await record(source(s.endpoint, { securityMode: 'SignAndEncrypt' }), [STATE])
    expect(rec.connection[0]).toMatchObject({ connected: false, error: { code: 'SHOPFLOOR_OPCUA_SECURITY', canRetry: false } })
    expect(rec.connection[0]?.error?.message).toContain('no endpoint with security.mode SignAndEncrypt and security.policy Basic256Sha256; it offers None/None')
  })

  it('OpcuaSource refuses a server certificate that changed after it was trusted on first use, and accepts the new one once its record is deleted', async () => {
    const serverPki1 = tempDir('opcua-server-pki-')
    const s1 = await sim({ securityModes: ['SignAndEncrypt'], pkiDir: serverPki1 })
    const pkiDir = tempDir('opcua-client-pki-')
    const src = source(s1.endpoint, { securityMode: 'SignAndEncrypt', pkiDir })
    const rec = await record(src, [STATE])
    expect(rec.connection).toEqual([{ connected: true }])
    await waitFor('the initial value', () => rec.of(STATE).length === 1)
    const recordFile = tofuRecordFile(pkiDir, 'plc-line1')
    const first = serverCertificate(serverPki1)
    expect(readFileSync(recordFile, 'utf8')).toContain('BEGIN CERTIFICATE')

    // The "PLC" comes back on the same address with another key pair.
    const port = s1.port
    await s1.stop()
    const serverPki2 = tempDir('opcua-server-pki-')
    const s2 = await sim({ securityModes: ['SignAndEncrypt'], pkiDir: serverPki2, port, nodes: [{ nodeId: STATE, dataType: 'Int32', initial: 2 }] })
    const second = serverCertificate(serverPki2)
    await waitFor('the certificate refusal', () => rec.lastErrorCode() === 'SHOPFLOOR_OPCUA_CERTIFICATE', 20_000)
    const message = rec.connection.at(-1)?.error?.message ?? ''
    expect(message).toContain('CHANGED')
    expect(message).toContain(`trusted SHA-256 ${formatFingerprint(first.sha256)}`)
    expect(message).toContain(`now presented SHA-256 ${formatFingerprint(second.sha256)}`)
    expect(message).toContain(`delete ${recordFile}`)
    expect(rec.valuesOf(STATE)).toEqual([1])

    // Refused on every attempt, reported once.
    await sleep(1_000)
    expect(rec.connection.filter((c) => c.error?.code === 'SHOPFLOOR_OPCUA_CERTIFICATE')).toHaveLength(1)

    // The documented reset: delete the record; the next attempt trusts the new certificate.
    rmSync(recordFile)
    await waitFor('the reconnection', () => rec.connection.at(-1)?.connected === true, 20_000)
    await waitFor('the new server\'s value', () => rec.valuesOf(STATE).includes(2))
    s2.setValue(STATE, 3)
    await waitFor('a change after the reset', () => rec.valuesOf(STATE).includes(3))
    expect(describeCertificate(Buffer.from(readFileSync(recordFile, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64')).sha256).toBe(second.sha256)
  })

  it('OpcuaSource connects to a server whose certificate matches the pinned SHA-1 fingerprint, recording nothing', async () => {
    const serverPki = tempDir('opcua-server-pki-')
    const s = await sim({ securityModes: ['SignAndEncrypt'], pkiDir: serverPki })
    const pkiDir = tempDir('opcua-client-pki-')
    const rec = await record(source(s.endpoint, { securityMode: 'SignAndEncrypt', serverFingerprint: formatFingerprint(serverCertificate(serverPki).sha1), pkiDir }), [STATE])
    expect(rec.connection).toEqual([{ connected: true }])
    expect(existsSync(tofuRecordFile(pkiDir, 'plc-line1'))).toBe(false)
  })

  it('OpcuaSource refuses a server whose certificate does not match the pinned fingerprint, naming both', async () => {
    const serverPki = tempDir('opcua-server-pki-')
    const s = await sim({ securityModes: ['SignAndEncrypt'], pkiDir: serverPki })
    const pinned = 'AA'.repeat(32)
    const began = Date.now()
    const rec = await record(source(s.endpoint, { securityMode: 'SignAndEncrypt', serverFingerprint: pinned }), [STATE])
    expect(Date.now() - began).toBeLessThan(5_000)
    expect(rec.connection).toHaveLength(1)
    expect(rec.connection[0]).toMatchObject({ connected: false, error: { code: 'SHOPFLOOR_OPCUA_CERTIFICATE', canRetry: false } })
    const message = rec.connection[0]?.error?.message ?? ''
    expect(message).toContain(`does not match the pinned fingerprint ${formatFingerprint(pinned)}`)
    expect(message).toContain(`presents SHA-256 ${formatFingerprint(serverCertificate(serverPki).sha256)}`)
  })

  it('OpcuaSource makes its client certificate anew when the one in the PKI folder names another application', async () => {
    const s = await sim({ securityModes: ['SignAndEncrypt'] })
    const pkiDir = tempDir('opcua-client-pki-')
    const first = source(s.endpoint, { securityMode: 'SignAndEncrypt', pkiDir, applicationName: 'other-app' })
    await record(first, [STATE])
    await first.stop()
    const file = join(pkiDir, 'own', 'certs', 'client_certificate.pem')
    expect(readFileSync(file, 'utf8')).not.toBe('')
    const uriOf = () => /URI:([^,\s]+)/.exec(new X509Certificate(readFileSync(file)).subjectAltName ?? '')?.[1]
    expect(uriOf()).toMatch(/:other-app$/)
    const rec = await record(source(s.endpoint, { securityMode: 'SignAndEncrypt', pkiDir }), [STATE])
    expect(rec.connection).toEqual([{ connected: true }])
    expect(uriOf()).toMatch(/:shopfloor-edge$/)
  })
})
