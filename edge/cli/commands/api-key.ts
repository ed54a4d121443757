import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ApiKeyStore, ROLES, keysFileFromEnv, type ApiKeyInfo, type Role } from '../../../api/index.ts'
import { EXIT, type Command } from '../run.ts'

const USAGE = `shopfloor api-key create --name NAME --role admin|plant-engineer|analyst [--factory region/park/factory]... [--keys FILE]
       shopfloor api-key list [--json] [--keys FILE]
       shopfloor api-key revoke ID|NAME [--keys FILE]`

function describe(k: ApiKeyInfo): string {
  const scope = k.role === 'plant-engineer' ? ` ${k.factories.join(',')}` : ''
  return `${k.id}  ${k.name.padEnd(20)} ${k.role}${scope}  created ${k.created}${k.revoked ? `  REVOKED ${k.revoked}` : ''}`
}

/**
 * The demo's admin key: reused from `keyFile` while it still works, else a new key named
 * `demo-admin` (the old one revoked) whose secret the demo keeps in `keyFile` (mode 0600) so the
 * next start prints the same key. Only the demo keeps a secret on disk.
 */
export async function demoAdminKey(store: ApiKeyStore, keyFile: string): Promise<{ key: string; created: boolean }> {
  if (existsSync(keyFile)) {
    const key = readFileSync(keyFile, 'utf8').trim()
    const p = await store.authenticate(key)
    if (p?.role === 'admin') return { key, created: false }
  }
  if (store.list().some((k) => k.name === 'demo-admin' && !k.revoked)) store.revoke('demo-admin')
  const { key } = await store.create({ name: 'demo-admin', role: 'admin' })
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 })
  writeFileSync(keyFile, key + '\n', { mode: 0o600 })
  return { key, created: true }
}

export const apiKey: Command = {
  summary: `Creates, lists and revokes the API's keys. Keys are stored hashed (scrypt) in the keys file: --keys, else SHOPFLOOR_API_KEYS, else data/api-keys.json (mode 0600). A new key is printed once, on stdout; keep it in a secret store. Roles: admin (everything), plant-engineer (plant routes of the --factory paths given), analyst (aggregates, no factory-level data).`,
  usage: USAGE,
  options: { name: { type: 'string' }, role: { type: 'string' }, factory: { type: 'string', multiple: true }, keys: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, positionals }) {
    const [action, ...rest] = positionals
    const file = (values['keys'] as string | undefined) ?? keysFileFromEnv()
    const usage = (problem: string): number => {
      process.stderr.write(`shopfloor api-key: ${problem}\nUsage: ${USAGE}\n`)
      return EXIT.usage
    }
    if (action === 'create') {
      const name = values['name'] as string | undefined
      const role = values['role'] as string | undefined
      if (rest.length > 0) return usage(`create takes no positional arguments (got ${rest.join(' ')})`)
      if (!name) return usage('create needs --name NAME (what the key is for: line-screen-3, erp-export)')
      if (!role || !ROLES.includes(role as Role)) return usage(`--role must be one of ${ROLES.join(', ')} (got ${role === undefined ? 'nothing' : JSON.stringify(role)})`)
      const raw = values['factory'] as unknown as string[] | undefined
      const factories = (raw ?? []).flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean)
      const store = ApiKeyStore.open(file)
      const { key, info } = await store.create({ name, role: role as Role, factories })
      process.stdout.write(key + '\n')
      process.stderr.write(
        `created API key ${info.id} "${info.name}" (${info.role}${info.factories.length ? ` of ${info.factories.join(', ')}` : ''}) in ${file}.\n` +
          'The key above is shown only now: keep it in a secret store. Send it as "Authorization: Bearer <key>" (or "X-API-Key: <key>").\n',
      )
      return EXIT.ok
    }
    if (action === 'list') {
      if (rest.length > 0) return usage(`list takes no positional arguments (got ${rest.join(' ')})`)
      const keys = ApiKeyStore.open(file).list()
      if (values['json']) process.stdout.write(JSON.stringify(keys, null, 2) + '\n')
      else process.stdout.write(keys.length ? keys.map(describe).join('\n') + '\n' : `no API keys in ${file}: shopfloor api-key create --name NAME --role admin makes one\n`)
      return EXIT.ok
    }
    if (action === 'revoke') {
      if (rest.length !== 1) return usage('revoke takes one key id or name')
      const info = ApiKeyStore.open(file).revoke(rest[0] as string)
      process.stderr.write(`revoked API key ${info.id} "${info.name}"; a running API refuses it within a second\n`)
      return EXIT.ok
    }
    return usage(action === undefined ? 'name an action: create, list or revoke' : `unknown action "${action}" (actions: create, list, revoke)`)
  },
}
