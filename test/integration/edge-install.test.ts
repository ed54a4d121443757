// deploy/edge/install.sh as plant IT runs it, below a temporary root (SHOPFLOOR_INSTALL_ROOT):
// install, check the installed agent, upgrade over it, uninstall, purge. The npm packages and
// the Node.js runtime come from the registry, as on a gateway.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, cpSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = mkdtempSync(join(tmpdir(), 'shopfloor-install-'))
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version

function install(...args: string[]) {
  const r = spawnSync('bash', ['deploy/edge/install.sh', ...args], { env: { ...process.env, SHOPFLOOR_INSTALL_ROOT: root }, encoding: 'utf8', timeout: 600_000 })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

/** The installed command, run as the wrapper would run it (the wrapper itself names paths below /). */
function shopfloor(args: string[], env: NodeJS.ProcessEnv = {}) {
  const node = join(root, 'opt/shopfloor/runtime/node_modules/.bin/node')
  const r = spawnSync(node, [join(root, 'opt/shopfloor/current/edge/cli/shopfloor.ts'), ...args], {
    env: { PATH: '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('deploy/edge/install.sh', () => {
  it('installs the agent with its own Node.js and without chDB, the API or dev tools', () => {
    const r = install()
    expect(r.out).toContain(`installed ${version}`)
    expect(r.code).toBe(0)
    const modules = readdirSync(join(root, 'opt/shopfloor/current/node_modules'))
    expect(modules).toContain('kafkajs')
    expect(modules).toContain('node-opcua')
    // chDB is optional and left out; fastify and @clickhouse/client are small and stay (the CLI has them).
    for (const absent of ['chdb', 'vitest', 'typescript', 'node']) expect(modules).not.toContain(absent)
    expect(existsSync(join(root, 'opt/shopfloor/current/api'))).toBe(false)
    expect(readFileSync(join(root, 'opt/shopfloor/bin/shopfloor'), 'utf8')).toContain('exec "/opt/shopfloor/runtime/node_modules/.bin/node" "/opt/shopfloor/current/edge/cli/shopfloor.ts"')
    expect(shopfloor(['--version'])).toEqual({ code: 0, out: `${version}\n` })
  }, 600_000)

  it('puts an example config in place that validate explains until the plant fills it in', () => {
    const config = join(root, 'etc/shopfloor/agent.yaml')
    const first = shopfloor(['validate', config], { SHOPFLOOR_KAFKA_PASSWORD: 'pw' })
    expect(first.out).toContain('kafka.tls.ca /etc/shopfloor/kafka-ca.pem cannot be read (ENOENT)')
    expect(first.code).toBe(2)
    const ca = join(root, 'etc/shopfloor/kafka-ca.pem')
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    writeFileSync(config, readFileSync(config, 'utf8').replace('/etc/shopfloor/kafka-ca.pem', ca))
    expect(shopfloor(['validate', config], {}).out).toContain('kafka.sasl.passwordEnv names SHOPFLOOR_KAFKA_PASSWORD, which is not set')
    expect(shopfloor(['validate', config], { SHOPFLOOR_KAFKA_PASSWORD: 'pw' }).code).toBe(0)
  })

  it('ships a systemd unit that systemd accepts', () => {
    const check = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' })
    expect(check.status, 'systemd-analyze is needed to check the unit (.ci/run installs systemd)').toBe(0)
    // systemd-analyze verify resolves the unit's dependencies and ExecStart below --root.
    const vroot = mkdtempSync(join(tmpdir(), 'shopfloor-unit-'))
    mkdirSync(join(vroot, 'etc/systemd/system'), { recursive: true })
    mkdirSync(join(vroot, 'usr/lib/systemd'), { recursive: true })
    cpSync('/usr/lib/systemd/system', join(vroot, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true })
    cpSync('deploy/edge/shopfloor-edge.service', join(vroot, 'etc/systemd/system/shopfloor-edge.service'))
    cpSync(join(root, 'opt'), join(vroot, 'opt'), { recursive: true, verbatimSymlinks: true })
    const r = spawnSync('systemd-analyze', [`--root=${vroot}`, 'verify', join(vroot, 'etc/systemd/system/shopfloor-edge.service')], { encoding: 'utf8' })
    rmSync(vroot, { recursive: true, force: true })
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('')
    expect(r.status).toBe(0)
  })

  it('upgrades in place: a new release, the config and state kept', () => {
    const config = join(root, 'etc/shopfloor/agent.yaml')
    writeFileSync(config, readFileSync(config, 'utf8') + '# edited by plant IT\n')
    writeFileSync(join(root, 'var/lib/shopfloor/marker'), 'state')
    const r = install()
    expect(r.code).toBe(0)
    expect(readFileSync(config, 'utf8')).toContain('# edited by plant IT')
    expect(existsSync(join(root, 'var/lib/shopfloor/marker'))).toBe(true)
    expect(shopfloor(['--version']).code).toBe(0)
  }, 600_000)

  it('uninstall keeps config and spool; purge removes them', () => {
    expect(install('--uninstall').code).toBe(0)
    expect(existsSync(join(root, 'opt/shopfloor'))).toBe(false)
    expect(existsSync(join(root, 'etc/shopfloor/agent.yaml'))).toBe(true)
    expect(existsSync(join(root, 'var/lib/shopfloor/marker'))).toBe(true)
    expect(install('--purge').code).toBe(0)
    expect(existsSync(join(root, 'etc/shopfloor'))).toBe(false)
    expect(existsSync(join(root, 'var/lib/shopfloor'))).toBe(false)
  })
})
