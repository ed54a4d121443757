import { X509Certificate } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ServerTrustGate,
  describeCertificate,
  formatFingerprint,
  isFingerprint,
  judgeServerCertificate,
  leafCertificate,
  normalizeFingerprint,
  tofuRecordFile,
} from '../../connectors/opcua/server-trust.ts'

// Two self-signed EC certificates (openssl req -x509 -newkey ec ...), with their fingerprints
// as `openssl x509 -fingerprint` prints them.
const CERT_A = `-----BEGIN CERTIFICATE-----
MIIBjTCCATOgAwIBAgIUSAmtM40Bd8yVvo0YbBnXlKnca+UwCgYIKoZIzj0EAwIw
EDEOMAwGA1UEAwwFcGxjLWEwIBcNMjYxMTIxMjAwOTQ3WhgPMjEyNjEwMjgyMDA5
NDdaMBAxDjAMBgNVBAMMBXBsYy1hMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
EVCTn6lZPdm6307ADFySorxT2/CoxOTzgwhrM5WloInx1uFY1kttEmasIA7yZpKR
fSn7BrzLidK+lYBybXJwWqNpMGcwHQYDVR0OBBYEFAOzjdm4Y/ndEiJ0s9vbr1Wb
Ys55MB8GA1UdIwQYMBaAFAOzjdm4Y/ndEiJ0s9vbr1WbYs55MA8GA1UdEwEB/wQF
MAMBAf8wFAYDVR0RBA0wC4YJdXJuOnBsYzphMAoGCCqGSM49BAMCA0gAMEUCIC7T
QdccAP2K8+cQ+ksyazI8Q7r04mcUWn1LVhppESaZAiEAnDdsiDsgNmjo22LYqCws
9yOHNjg+sV+gbHzUcM3f1TM=
-----END CERTIFICATE-----`
const A_SHA256 = '95:EE:09:AA:25:71:62:E4:D1:D5:0A:33:6A:99:1D:C7:9E:5B:39:17:B8:F9:69:0B:AD:33:01:89:88:81:6F:C4'
const A_SHA1 = '3E:80:61:42:1D:9E:87:16:5E:3D:44:0E:67:E0:D0:EF:F0:15:41:78'
const CERT_B = `-----BEGIN CERTIFICATE-----
MIIBjjCCATOgAwIBAgIUEQRQSA86Wug6p3OHIaoyjIxyBd4wCgYIKoZIzj0EAwIw
EDEOMAwGA1UEAwwFcGxjLWIwIBcNMjYxMTIxMjAwOTQ3WhgPMjEyNjEwMjgyMDA5
NDdaMBAxDjAMBgNVBAMMBXBsYy1iMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
dEpCqoVcG1G0kCkx+UtlYITqvkaNhOZpwVMRL91mU97yz8nV59G2TEQlUyer/7f5
yidckkRUrzoMZ19swY7sQqNpMGcwHQYDVR0OBBYEFCUtTy9bEhFFAx9m6KSVsHW3
8/a5MB8GA1UdIwQYMBaAFCUtTy9bEhFFAx9m6KSVsHW38/a5MA8GA1UdEwEB/wQF
MAMBAf8wFAYDVR0RBA0wC4YJdXJuOnBsYzpiMAoGCCqGSM49BAMCA0kAMEYCIQCT
UjRYObvWDh5M0lYPgtRuD01WtO9ML0VP0lG2YmPevwIhAPDaD8FzTHvpJGsDrVCP
q3jRwRoy8gmDKGYm8BNQF2bY
-----END CERTIFICATE-----`
const B_SHA256 = 'BF:C8:83:8E:91:B4:48:2E:3B:87:7B:61:AA:AF:19:A2:3B:26:48:10:7E:1D:E0:DD:55:31:7A:F3:4C:8D:4F:46'

const der = (pem: string): Buffer => Buffer.from(new X509Certificate(pem).raw)
const CONTEXT = 'server "plc-1" (opc.tcp://10.0.4.21:4840)'
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function recordFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'opcua-trust-'))
  dirs.push(dir)
  return tofuRecordFile(dir, 'plc-1')
}

describe('server certificate trust', () => {
  it('describeCertificate gives the fingerprints openssl prints, and the application URI', () => {
    const facts = describeCertificate(der(CERT_A))
    expect(formatFingerprint(facts.sha256)).toBe(A_SHA256)
    expect(formatFingerprint(facts.sha1)).toBe(A_SHA1)
    expect(facts.applicationUri).toBe('urn:plc:a')
    expect(facts.subject).toBe('CN=plc-a')
  })

  it('leafCertificate takes the first certificate of a DER chain', () => {
    const chain = Buffer.concat([der(CERT_A), der(CERT_B)])
    expect(leafCertificate(chain).equals(der(CERT_A))).toBe(true)
    expect(formatFingerprint(describeCertificate(chain).sha256)).toBe(A_SHA256)
  })

  it.each([
    [A_SHA256, true],
    [A_SHA1, true],
    [A_SHA256.replaceAll(':', '').toLowerCase(), true],
    [`sha256:${A_SHA256}`, true],
    [`SHA-1:${A_SHA1}`, true],
    [A_SHA1.slice(3), false],
    ['not hex at all', false],
  ])('isFingerprint(%s) is %s', (text, ok) => {
    expect(isFingerprint(text)).toBe(ok)
  })

  it('normalizeFingerprint strips the prefix and colons and lower-cases', () => {
    expect(normalizeFingerprint(` SHA256:${A_SHA1} `)).toBe(A_SHA1.replaceAll(':', '').toLowerCase())
  })

  it('judgeServerCertificate trusts the first certificate, records it, trusts it again, and refuses a changed one naming both fingerprints', () => {
    const file = recordFile()
    const first = judgeServerCertificate(der(CERT_A), { context: CONTEXT, recordFile: file })
    expect(first).toMatchObject({ trusted: true, firstUse: true })
    expect(existsSync(file)).toBe(true)
    expect(readFileSync(file, 'utf8')).toContain('-----BEGIN CERTIFICATE-----')

    expect(judgeServerCertificate(der(CERT_A), { context: CONTEXT, recordFile: file })).toMatchObject({ trusted: true, firstUse: false })

    const changed = judgeServerCertificate(der(CERT_B), { context: CONTEXT, recordFile: file })
    expect(changed.trusted).toBe(false)
    if (changed.trusted) return
    expect(changed.error).toMatchObject({ code: 'SHOPFLOOR_OPCUA_CERTIFICATE', canRetry: false })
    expect(changed.error.message).toContain(CONTEXT)
    expect(changed.error.message).toContain('CHANGED')
    expect(changed.error.message).toContain(`trusted SHA-256 ${A_SHA256}`)
    expect(changed.error.message).toContain(`now presented SHA-256 ${B_SHA256}`)
    expect(changed.error.message).toContain(`delete ${file}`)
  })

  it('judgeServerCertificate with a pinned fingerprint accepts the certificate by SHA-1 or SHA-256 and refuses another, recording nothing', () => {
    const file = recordFile()
    expect(judgeServerCertificate(der(CERT_A), { context: CONTEXT, fingerprint: A_SHA256, recordFile: file })).toMatchObject({ trusted: true })
    expect(judgeServerCertificate(der(CERT_A), { context: CONTEXT, fingerprint: A_SHA1.toLowerCase(), recordFile: file })).toMatchObject({ trusted: true })
    const wrong = judgeServerCertificate(der(CERT_B), { context: CONTEXT, fingerprint: A_SHA256, recordFile: file })
    expect(wrong.trusted).toBe(false)
    if (wrong.trusted) return
    expect(wrong.error.message).toContain(`does not match the pinned fingerprint ${A_SHA256}`)
    expect(wrong.error.message).toContain(`presents SHA-256 ${B_SHA256}`)
    expect(existsSync(file)).toBe(false)
  })

  it('ServerTrustGate reports a refused certificate once however often node-opcua presents it again', () => {
    const file = recordFile()
    const refusals: string[] = []
    const gate = new ServerTrustGate({ context: CONTEXT, recordFile: file }, () => undefined, (e) => refusals.push(e.code))
    expect(gate.check(der(CERT_A))).toBe(true)
    expect(gate.check(der(CERT_B))).toBe(false)
    expect(gate.check(der(CERT_B))).toBe(false)
    expect(refusals).toEqual(['SHOPFLOOR_OPCUA_CERTIFICATE'])
    expect(gate.refusal?.code).toBe('SHOPFLOOR_OPCUA_CERTIFICATE')
    // Deleting the record is the documented way to accept the new certificate.
    rmSync(file)
    expect(gate.check(der(CERT_B))).toBe(true)
    expect(gate.refusal).toBeUndefined()
  })
})
