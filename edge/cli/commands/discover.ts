import { join, resolve } from 'node:path'
import { pino } from 'pino'
import {
  OPCUA_SECURITY_MODES,
  OPCUA_SECURITY_POLICIES,
  discoverOpcua,
  discoveryFragment,
  readPassword,
  routeNodeOpcuaLogs,
  sourceIdFor,
  type OpcuaSecurityMode,
  type OpcuaSecurityPolicy,
} from '../../../connectors/index.ts'
import { DEFAULTS } from '../../config/defaults.ts'
import { EXIT, type Command } from '../run.ts'

const USAGE =
  'shopfloor discover opc.tcp://HOST:PORT[/PATH] [--depth 6] [--filter REGEX] [--include-server] [--id plc-1]\n' +
  '       [--security None|Sign|SignAndEncrypt] [--policy Basic256Sha256|Aes128_Sha256_RsaOaep|Aes256_Sha256_RsaPss] [--fingerprint HEX]\n' +
  '       [--user NAME (--password-env VAR | --password-file FILE)] [--pki-dir DIR] [--timeout MS]'

export const discover: Command = {
  summary:
    'Browses an OPC UA server from its Objects folder and prints a config fragment: a sources entry and one tag reference per variable ' +
    '(node id, browse path, data type), to edit instead of typing node ids. The Server object is skipped unless --include-server. ' +
    '--filter keeps variables whose browse path (Line1/Printer/State) matches the regular expression. With --security the agent\'s client ' +
    'certificate (--pki-dir, default <stateDir>/pki) is used, so a server that trusts the agent trusts discover; the server certificate is ' +
    'shown, and checked when --fingerprint is given.',
  usage: USAGE,
  options: {
    depth: { type: 'string' },
    filter: { type: 'string' },
    'include-server': { type: 'boolean' },
    id: { type: 'string' },
    security: { type: 'string' },
    policy: { type: 'string' },
    fingerprint: { type: 'string' },
    user: { type: 'string' },
    'password-env': { type: 'string' },
    'password-file': { type: 'string' },
    'pki-dir': { type: 'string' },
    timeout: { type: 'string' },
  },
  async run({ values, positionals }) {
    const usage = (problem: string): number => {
      process.stderr.write(`shopfloor discover: ${problem}\nUsage: ${USAGE}\n`)
      return EXIT.usage
    }
    const [endpoint, ...extra] = positionals
    if (!endpoint || extra.length > 0) return usage('give exactly one endpoint, opc.tcp://HOST:PORT')
    if (!endpoint.startsWith('opc.tcp://')) return usage(`the endpoint must start with opc.tcp:// (got "${endpoint}")`)
    const str = (name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined)
    const int = (name: string, def: number, min: number): number | undefined => {
      const text = str(name)
      const n = text === undefined ? def : Number(text)
      return Number.isInteger(n) && n >= min ? n : undefined
    }
    const depth = int('depth', 6, 1)
    if (depth === undefined) return usage(`--depth must be a whole number >= 1 (got "${str('depth')}")`)
    const timeoutMs = int('timeout', 10_000, 100)
    if (timeoutMs === undefined) return usage(`--timeout must be a whole number of ms >= 100 (got "${str('timeout')}")`)
    let filter: RegExp | undefined
    try {
      filter = str('filter') === undefined ? undefined : new RegExp(str('filter') as string)
    } catch (e) {
      return usage(`--filter is not a regular expression: ${(e as Error).message}`)
    }
    const security = str('security') ?? 'None'
    if (!(OPCUA_SECURITY_MODES as readonly string[]).includes(security)) return usage(`--security must be one of ${OPCUA_SECURITY_MODES.join(', ')} (got "${security}")`)
    const policy = str('policy')
    if (policy !== undefined && !(OPCUA_SECURITY_POLICIES as readonly string[]).includes(policy)) {
      return usage(`--policy must be one of ${OPCUA_SECURITY_POLICIES.join(', ')} (got "${policy}")`)
    }
    const user = str('user')
    const passwordEnv = str('password-env')
    const passwordFile = str('password-file') === undefined ? undefined : resolve(str('password-file') as string)
    if (user === undefined && (passwordEnv !== undefined || passwordFile !== undefined)) return usage('--password-env and --password-file go with --user')
    if (passwordEnv !== undefined && passwordFile !== undefined) return usage('give --password-env or --password-file, not both')
    let login: { user: string; password: string } | undefined
    if (user !== undefined) {
      if (passwordEnv === undefined && passwordFile === undefined) return usage('--user needs --password-env VAR or --password-file FILE (a password is never taken on the command line)')
      const read = readPassword(passwordEnv === undefined ? { passwordFile: passwordFile as string } : { passwordEnv })
      if ('problem' in read) return usage(`--${read.key === 'passwordEnv' ? 'password-env' : 'password-file'} ${read.problem}`)
      login = { user, password: read.password }
    }
    // stdout is the fragment: diagnostics (node-opcua's too) go to stderr, errors only unless LOG_LEVEL says otherwise.
    const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'error' }, pino.destination(2))
    routeNodeOpcuaLogs(logger)
    const stateDir = process.env['STATE_DIRECTORY']?.split(':')[0] || DEFAULTS.stateDir
    const found = await discoverOpcua({
      endpoint,
      depth,
      timeoutMs,
      includeServer: values['include-server'] === true,
      securityMode: security as OpcuaSecurityMode,
      pkiDir: str('pki-dir') ?? join(stateDir, 'pki'),
      logger,
      ...(filter === undefined ? {} : { filter }),
      ...(policy === undefined ? {} : { securityPolicy: policy as OpcuaSecurityPolicy }),
      ...(str('fingerprint') === undefined ? {} : { serverFingerprint: str('fingerprint') as string }),
      ...(login === undefined ? {} : { login }),
    })
    process.stdout.write(
      discoveryFragment(found, {
        sourceId: str('id') ?? sourceIdFor(endpoint),
        securityMode: security as OpcuaSecurityMode,
        securityPolicy: policy as OpcuaSecurityPolicy | undefined,
        user,
        passwordEnv,
        passwordFile,
        depth,
        filter: str('filter'),
      }),
    )
    return EXIT.ok
  },
}
