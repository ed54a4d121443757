/**
 * `shopfloor discover`: browses a server's address space from the Objects folder and lists its
 * variables (node id, browse path, data type), so plant IT edits a generated config fragment
 * instead of typing thousands of node ids.
 */
import {
  AttributeIds,
  BrowseDirection,
  DataType,
  NodeClass,
  NodeClassMask,
  ObjectIds,
  ReferenceTypeIds,
  coerceNodeId,
  type BrowseResult,
  type ClientSession,
  type NodeId,
  type ReferenceDescription,
} from 'node-opcua'
import { silentLogger, type Logger } from '../common/logger.ts'
import { createOpcuaClient, userIdentity } from './client.ts'
import { isSecurityMismatch, loginError, loginRefusal, securityMismatchError } from './endpoints.ts'
import { OpcuaError, describeCause, serverContext } from './errors.ts'
import { withTimeout } from './monitored-subscription.ts'
import { ServerTrustGate, describeCertificate, type CertificateFacts } from './server-trust.ts'
import { OPCUA_SOURCE_DEFAULTS, resolveOpcuaSourceOptions, type OpcuaSecurityMode, type OpcuaSecurityPolicy } from './source-options.ts'

export interface DiscoverOptions {
  readonly endpoint: string
  /** Levels below the Objects folder to browse. @default 6 */
  readonly depth?: number
  /** Keeps variables whose browse path (`Line1/Printer/State`) matches. @default every variable */
  readonly filter?: RegExp
  /** Also browse the Server object (diagnostics, capabilities: hundreds of variables no machine needs). @default false */
  readonly includeServer?: boolean
  /** @default 'None' */
  readonly securityMode?: OpcuaSecurityMode
  readonly securityPolicy?: OpcuaSecurityPolicy
  /** Checked against the server certificate when given; otherwise it is accepted for this run and shown. */
  readonly serverFingerprint?: string
  readonly login?: { readonly user: string; readonly password: string }
  /** The client certificate store: the agent's, so a server that trusts the agent trusts discover too. */
  readonly pkiDir?: string
  /** Timeout of connecting and of each service call, ms. @default 10_000 */
  readonly timeoutMs?: number
  readonly logger?: Logger
}

export interface DiscoveredVariable {
  readonly nodeId: string
  readonly browsePath: readonly string[]
  /** The data type's name (`Int32`, `Double`, a vendor type's browse name). */
  readonly dataType: string
  /** False for arrays and structures, which the agent cannot turn into a tag value yet. */
  readonly supported: boolean
  /** False when the server does not let this user read the value. */
  readonly readable: boolean
}

export interface Discovery {
  readonly endpoint: string
  readonly variables: readonly DiscoveredVariable[]
  /** True when nodes were left unexplored at the depth limit. */
  readonly truncated: boolean
  /** The certificate the server presented (Sign/SignAndEncrypt only). */
  readonly certificate: CertificateFacts | undefined
}

/** Browse requests carry this many nodes; small servers refuse more (MaxNodesPerBrowse). */
const NODES_PER_BROWSE = 50
const NODES_PER_READ = 300

export async function discoverOpcua(o: DiscoverOptions): Promise<Discovery> {
  const timeoutMs = o.timeoutMs ?? OPCUA_SOURCE_DEFAULTS.requestTimeoutMs
  const depth = o.depth ?? 6
  // The source's own checks (endpoint, security, fingerprint) with the source's defaults.
  const resolved = resolveOpcuaSourceOptions({
    id: 'discover',
    endpoint: o.endpoint,
    requestTimeoutMs: timeoutMs,
    ...(o.securityMode === undefined ? {} : { securityMode: o.securityMode }),
    ...(o.securityPolicy === undefined ? {} : { securityPolicy: o.securityPolicy }),
    ...(o.serverFingerprint === undefined ? {} : { serverFingerprint: o.serverFingerprint }),
    ...(o.login === undefined ? {} : { login: o.login }),
    ...(o.pkiDir === undefined ? {} : { pkiDir: o.pkiDir }),
  })
  const context = serverContext('discover', o.endpoint)
  let certificate: CertificateFacts | undefined
  const gate = new ServerTrustGate(
    { context, fingerprint: o.serverFingerprint },
    () => undefined,
    () => undefined,
  )
  const client = await createOpcuaClient(
    { ...resolved, maxRetry: 0 },
    (der) => {
      const trusted = gate.check(der)
      if (trusted) certificate = describeCertificate(der)
      return trusted
    },
    o.logger ?? silentLogger,
  )
  try {
    try {
      await withTimeout(client.connect(o.endpoint), timeoutMs, 'connect')
    } catch (err) {
      if (gate.refusal) throw gate.refusal
      if (isSecurityMismatch(err)) throw await securityMismatchError(context, resolved, o.endpoint, resolved, err)
      throw new OpcuaError('SHOPFLOOR_OPCUA_CONNECT', `${context}: cannot connect: ${describeCause(err)}. Check the URL and that the server is up.`, {
        canRetry: true,
        cause: err,
      })
    }
    let session: ClientSession
    try {
      session = await withTimeout(client.createSession(userIdentity(resolved.login)), timeoutMs, 'CreateSession')
    } catch (err) {
      const refusal = loginRefusal(err)
      if (refusal !== undefined) throw loginError(context, resolved.login, refusal, err)
      throw new OpcuaError('SHOPFLOOR_OPCUA_SUBSCRIBE', `${context}: cannot open a session: ${describeCause(err)}`, { canRetry: true, cause: err })
    }
    try {
      const { found, truncated } = await browseTree(session, depth, o.includeServer ?? false, timeoutMs)
      const wanted = o.filter ? found.filter((v) => o.filter?.test(v.browsePath.join('/'))) : found
      return { endpoint: o.endpoint, variables: await describeVariables(session, wanted, timeoutMs), truncated, certificate }
    } finally {
      await withTimeout(session.close(), timeoutMs, 'CloseSession').catch(() => undefined)
    }
  } finally {
    await client.disconnect().catch(() => undefined)
  }
}

interface Found {
  readonly nodeId: NodeId
  readonly browsePath: readonly string[]
}

/** Breadth first, one level per round of Browse calls; each node once even where references loop. */
async function browseTree(session: ClientSession, depth: number, includeServer: boolean, timeoutMs: number): Promise<{ found: Found[]; truncated: boolean }> {
  const seen = new Set<string>([`ns=0;i=${ObjectIds.ObjectsFolder}`])
  const found: Found[] = []
  let level: Found[] = [{ nodeId: coerce(ObjectIds.ObjectsFolder), browsePath: [] }]
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: Found[] = []
    for (let start = 0; start < level.length; start += NODES_PER_BROWSE) {
      const parents = level.slice(start, start + NODES_PER_BROWSE)
      const results = await browseAll(session, parents.map((p) => p.nodeId), timeoutMs)
      parents.forEach((parent, i) => {
        for (const ref of results[i] ?? []) {
          const id = ref.nodeId.toString()
          if (seen.has(id)) continue
          if (!includeServer && ref.nodeId.namespace === 0 && ref.nodeId.value === ObjectIds.Server) continue
          seen.add(id)
          const child: Found = { nodeId: ref.nodeId as unknown as NodeId, browsePath: [...parent.browsePath, ref.browseName.name ?? id] }
          if (ref.nodeClass === NodeClass.Variable) found.push(child)
          next.push(child)
        }
      })
    }
    level = next
  }
  // Anything left at the last level may have children nobody looked at.
  return { found, truncated: level.length > 0 && (await hasChildren(session, level, timeoutMs)) }
}

async function hasChildren(session: ClientSession, nodes: readonly Found[], timeoutMs: number): Promise<boolean> {
  for (let start = 0; start < nodes.length; start += NODES_PER_BROWSE) {
    const results = await browseAll(session, nodes.slice(start, start + NODES_PER_BROWSE).map((n) => n.nodeId), timeoutMs)
    if (results.some((refs) => refs.length > 0)) return true
  }
  return false
}

/** Forward hierarchical references (Organizes, HasComponent, ...) but not properties: EURange and friends are metadata, not tags. */
async function browseAll(session: ClientSession, nodeIds: readonly NodeId[], timeoutMs: number): Promise<ReferenceDescription[][]> {
  const results: BrowseResult[] = await withTimeout(
    session.browse(
      nodeIds.map((nodeId) => ({
        nodeId,
        browseDirection: BrowseDirection.Forward,
        referenceTypeId: coerce(ReferenceTypeIds.HierarchicalReferences),
        includeSubtypes: true,
        nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable,
        resultMask: 0x3f,
      })),
    ),
    timeoutMs,
    'Browse',
  )
  const out: ReferenceDescription[][] = []
  for (const result of results) {
    const refs = [...(result.references ?? [])]
    let point = result.continuationPoint
    // A server returns at most its own maximum per node and a continuation point for the rest.
    while (point && point.length > 0) {
      const more: BrowseResult = await withTimeout(session.browseNext(point, false), timeoutMs, 'BrowseNext')
      refs.push(...(more.references ?? []))
      point = more.continuationPoint
    }
    out.push(refs.filter((r) => !(r.referenceTypeId.namespace === 0 && r.referenceTypeId.value === ReferenceTypeIds.HasProperty)))
  }
  return out
}

async function describeVariables(session: ClientSession, found: readonly Found[], timeoutMs: number): Promise<DiscoveredVariable[]> {
  const out: DiscoveredVariable[] = []
  const typeIds: NodeId[] = []
  for (let start = 0; start < found.length; start += NODES_PER_READ) {
    const chunk = found.slice(start, start + NODES_PER_READ)
    const attributes = [AttributeIds.DataType, AttributeIds.ValueRank, AttributeIds.UserAccessLevel]
    const values = await withTimeout(
      session.read(chunk.flatMap((f) => attributes.map((attributeId) => ({ nodeId: f.nodeId, attributeId })))),
      timeoutMs,
      'Read',
    )
    chunk.forEach((f, i) => {
      const [dataType, valueRank, access] = attributes.map((_, k) => values[i * attributes.length + k])
      const typeId = dataType?.statusCode.isGood() ? (dataType.value.value as NodeId) : undefined
      if (typeId) typeIds.push(typeId)
      const builtin = typeId?.namespace === 0 && typeof typeId.value === 'number' && typeId.value <= 25
      out.push({
        nodeId: f.nodeId.toString(),
        browsePath: f.browsePath,
        dataType: typeId?.toString() ?? 'unknown',
        // ValueRank -1 is a scalar; a structure's built-in type is ExtensionObject (22).
        supported: valueRank?.value.value === -1 && builtin && typeId.value !== 22,
        readable: ((access?.value.value as number | undefined) ?? 0x01) % 2 === 1,
      })
    })
  }
  const names = await dataTypeNames(session, typeIds, timeoutMs)
  return out.map((v) => ({ ...v, dataType: names.get(v.dataType) ?? v.dataType }))
}

/** Built-in types by their enum name; others (a PLC vendor's own) by their browse name. */
async function dataTypeNames(session: ClientSession, typeIds: readonly NodeId[], timeoutMs: number): Promise<Map<string, string>> {
  const names = new Map<string, string>()
  const lookup: NodeId[] = []
  for (const id of typeIds) {
    const key = id.toString()
    if (names.has(key) || lookup.some((l) => l.toString() === key)) continue
    const builtin = id.namespace === 0 && typeof id.value === 'number' ? DataType[id.value] : undefined
    if (builtin !== undefined) names.set(key, builtin)
    else lookup.push(id)
  }
  for (let start = 0; start < lookup.length; start += NODES_PER_READ) {
    const chunk = lookup.slice(start, start + NODES_PER_READ)
    const values = await withTimeout(session.read(chunk.map((nodeId) => ({ nodeId, attributeId: AttributeIds.BrowseName }))), timeoutMs, 'Read')
    chunk.forEach((id, i) => {
      const name = (values[i]?.value.value as { name?: string } | null)?.name
      if (name) names.set(id.toString(), name)
    })
  }
  return names
}

function coerce(id: number): NodeId {
  return coerceNodeId(id, 0)
}
