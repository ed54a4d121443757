import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { readFileSync } from 'node:fs'
import { silentLogger } from '../../connectors/common/logger.ts'
import { opcuaSourceOptions, type OpcuaSourceConfig } from '../../connectors/opcua/config.ts'
import { OpcuaSource } from '../../connectors/opcua/source.ts'
import { ConfigError, parseEdgeConfig } from '../../edge/index.ts'

// The shipped example's first source is the OPC UA PLC, and its first machine's state tag reads from it.
const EXAMPLE = 'edge/examples/smt-line.yaml'
const example = (): Record<string, any> => parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, any>
const ENV = { PLC1_PASSWORD: 'plc-secret-1' }
const dir = mkdtempSync(join(tmpdir(), 'opcua-config-'))
const PASSWORD_FILE = join(dir, 'plc1.password')
writeFileSync(PASSWORD_FILE, 'from-file\n')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function parsed(mutate: (c: any) => void) {
  const c = example()
  mutate(c)
  return parseEdgeConfig(stringify(c), 'gw.yaml', ENV)
}

function errorOf(mutate: (c: any) => void): ConfigError {
  try {
    parsed(mutate)
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  throw new Error('config was accepted')
}

const secure = { mode: 'SignAndEncrypt', policy: 'Basic256Sha256' }
const FP = '95:EE:09:AA:25:71:62:E4:D1:D5:0A:33:6A:99:1D:C7:9E:5B:39:17:B8:F9:69:0B:AD:33:01:89:88:81:6F:C4'

describe('OPC UA source config', () => {
  it('an OPC UA source accepts security, login, deadband, groups and a tag naming its group', () => {
    const cfg = parsed((c) => {
      Object.assign(c.sources[0], {
        security: { ...secure, serverFingerprint: FP },
        login: { user: 'shopfloor', passwordEnv: 'PLC1_PASSWORD' },
        monitoredItemsPerCall: 50,
        queueSize: 10,
        deadband: { type: 'absolute', value: 0.5 },
        groups: [
          { name: 'temps', samplingInterval: 1000, deadband: { type: 'percent', value: 2 } },
          { name: 'recipe', mode: 'poll', pollInterval: 5000 },
        ],
      })
      c.lines[0].machines[0].state.tag.group = 'recipe'
    })
    expect(cfg.machines[0]?.state.tag).toMatchObject({ protocol: 'opcua', group: 'recipe' })
    const src = cfg.sources[0]
    if (src?.protocol !== 'opcua') throw new Error('not opcua')
    const options = opcuaSourceOptions(src, silentLogger, { pkiDir: '/var/lib/shopfloor/pki', env: ENV })
    expect(options).toMatchObject({
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      serverFingerprint: FP,
      login: { user: 'shopfloor', password: 'plc-secret-1' },
      monitoredItemsPerCall: 50,
      queueSize: 10,
      deadband: { type: 'absolute', value: 0.5 },
      groups: [
        { name: 'temps', samplingIntervalMs: 1000, deadband: { type: 'percent', value: 2 } },
        { name: 'recipe', mode: 'poll', pollIntervalMs: 5000 },
      ],
      pkiDir: '/var/lib/shopfloor/pki',
    })
    // The options make a source: every key maps to something the source accepts.
    expect(() => new OpcuaSource(options)).not.toThrow()
  })

  it('opcuaSourceOptions reads the password from a file and takes the entry\'s own pkiDir over the agent\'s', () => {
    const cfg: OpcuaSourceConfig = {
      id: 'plc-1',
      protocol: 'opcua',
      endpoint: 'opc.tcp://10.0.4.21:4840',
      login: { user: 'op', passwordFile: PASSWORD_FILE },
      pkiDir: '/srv/pki',
    }
    expect(opcuaSourceOptions(cfg, silentLogger, { pkiDir: '/var/lib/shopfloor/pki' })).toMatchObject({ login: { user: 'op', password: 'from-file' }, pkiDir: '/srv/pki' })
  })

  it('opcuaSourceOptions names the source and the key when the password variable is gone at start', () => {
    const cfg: OpcuaSourceConfig = { id: 'plc-1', protocol: 'opcua', endpoint: 'opc.tcp://10.0.4.21:4840', login: { user: 'op', passwordEnv: 'NOT_SET_ANYWHERE' } }
    expect(() => opcuaSourceOptions(cfg, silentLogger, { env: {} })).toThrow(
      expect.objectContaining({ code: 'SHOPFLOOR_OPCUA_CONFIG', message: expect.stringMatching(/^source "plc-1": login\.passwordEnv names NOT_SET_ANYWHERE, which is not set/) }),
    )
  })

  // Each case: a mistake in the OPC UA source (or a tag reading from it), the path the error names, and what it says.
  const src = (c: any) => c.sources[0]
  it.each([
    ['an unknown security mode', (c: any) => (src(c).security = { mode: 'Encrypt' }), 'sources[0].security.mode', 'must be one of None, Sign, SignAndEncrypt'],
    ['an unknown policy', (c: any) => (src(c).security = { mode: 'Sign', policy: 'Basic128Rsa15' }), 'sources[0].security.policy', 'must be one of Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss'],
    ['an unknown key under security', (c: any) => (src(c).security = { mode: 'Sign', trust: 'all' }), 'sources[0].security.trust', 'allowed: mode, policy, serverFingerprint'],
    ['a policy with mode None', (c: any) => (src(c).security = { mode: 'None', policy: 'Basic256Sha256' }), 'sources[0].security.policy', 'applies only with mode Sign or SignAndEncrypt'],
    ['a fingerprint with mode None', (c: any) => (src(c).security = { mode: 'None', serverFingerprint: FP }), 'sources[0].security.serverFingerprint', 'applies only with mode Sign or SignAndEncrypt'],
    ['a fingerprint of the wrong length', (c: any) => (src(c).security = { ...secure, serverFingerprint: 'AB:CD' }), 'sources[0].security.serverFingerprint', 'SHA-1 (40 hex digits) or SHA-256 (64 hex digits)'],
    ['a fingerprint that is not hex', (c: any) => (src(c).security = { ...secure, serverFingerprint: 'xyz' }), 'sources[0].security.serverFingerprint', 'fingerprint in hex'],
    ['a password in the config', (c: any) => (src(c).login = { user: 'op', password: 'secret' }), 'sources[0].login.password', 'allowed: user, passwordEnv, passwordFile'],
    ['a login without a password source', (c: any) => (src(c).login = { user: 'op' }), 'sources[0].login.passwordEnv', 'is required: give passwordEnv'],
    ['both password sources', (c: any) => (src(c).login = { user: 'op', passwordEnv: 'PLC1_PASSWORD', passwordFile: PASSWORD_FILE }), 'sources[0].login.passwordFile', 'not both'],
    ['a password variable that is not set', (c: any) => (src(c).login = { user: 'op', passwordEnv: 'PLC9_PASSWORD' }), 'sources[0].login.passwordEnv', 'names PLC9_PASSWORD, which is not set'],
    ['a relative password file', (c: any) => (src(c).login = { user: 'op', passwordFile: 'plc1.password' }), 'sources[0].login.passwordFile', 'an absolute path'],
    ['a password file that is missing', (c: any) => (src(c).login = { user: 'op', passwordFile: join(dir, 'nope') }), 'sources[0].login.passwordFile', 'cannot be read (ENOENT)'],
    ['a deadband without a value', (c: any) => (src(c).deadband = { type: 'absolute' }), 'sources[0].deadband.value', 'is required for a deadband of type absolute'],
    ['a percent deadband over 100', (c: any) => (src(c).deadband = { type: 'percent', value: 150 }), 'sources[0].deadband.value', '0..100'],
    ['an unknown deadband type', (c: any) => (src(c).deadband = { type: 'relative', value: 1 }), 'sources[0].deadband.type', 'must be one of none, absolute, percent'],
    ['a zero batch size', (c: any) => (src(c).monitoredItemsPerCall = 0), 'sources[0].monitoredItemsPerCall', 'must be >= 1'],
    ['a group named default', (c: any) => (src(c).groups = [{ name: 'default' }]), 'sources[0].groups[0].name', 'pick another name'],
    ['two groups with one name', (c: any) => (src(c).groups = [{ name: 'a' }, { name: 'a', mode: 'poll' }]), 'sources[0].groups[1].name', 'group names must be unique'],
    ['a sampling interval on a poll group', (c: any) => (src(c).groups = [{ name: 'slow', mode: 'poll', samplingInterval: 100 }]), 'sources[0].groups[0].samplingInterval', 'does not apply to a poll group'],
    ['a poll interval on a subscribe group', (c: any) => (src(c).groups = [{ name: 'fast', pollInterval: 100 }]), 'sources[0].groups[0].pollInterval', 'applies only to a poll group (add mode: poll)'],
    ['a percent deadband on a poll group', (c: any) => (src(c).groups = [{ name: 'slow', mode: 'poll', deadband: { type: 'percent', value: 1 } }]), 'sources[0].groups[0].deadband.type', 'use absolute'],
    ['an unknown group mode', (c: any) => (src(c).groups = [{ name: 'slow', mode: 'read' }]), 'sources[0].groups[0].mode', 'must be one of subscribe, poll'],
    ['a tag naming a group the source lacks', (c: any) => (c.lines[0].machines[0].state.tag.group = 'nope'), 'lines[0].machines[0].state.tag.group', 'names no group of source "plc-smt1" (groups: default; got "nope")'],
    ['a group on a Modbus tag', (c: any) => (c.lines[0].machines[0].energy.kwh.group = 'fast'), 'lines[0].machines[0].energy.kwh.group', 'does not apply'],
  ])('an OPC UA source with %s is rejected naming the path', (_name, mutate, path, says) => {
    const e = errorOf(mutate)
    expect(e.code).toBe('SHOPFLOOR_CONFIG')
    expect(e.path).toBe(path)
    expect(e.message).toMatch(/^gw\.yaml:\d+: /)
    expect(e.message).toContain(`${path} `)
    expect(e.message).toContain(says)
    expect(e.message).not.toContain('plc-secret-1')
  })
})
