/**
 * A real OPC UA server on loopback that serves PLC-like variables whose values, source
 * timestamps and status codes the caller sets: the factory simulation and the tests drive it.
 */
import { join } from 'node:path'
import {
  MessageSecurityMode,
  OPCUAServer,
  RegisterServerMethod,
  SecurityPolicy,
  StatusCodes,
  Variant,
  VariantArrayType,
  resolveNodeId,
  type Namespace,
  type NodeId,
  type UAObject,
  type UAVariable,
} from 'node-opcua'
import type { TagScalar } from '../common/tag-value.ts'
import { OpcuaError, describeCause } from './errors.ts'
import { createCertificateManager, defaultPkiRoot } from './pki.ts'
import { OPCUA_SECURITY_POLICIES, type OpcuaSecurityMode, type OpcuaSecurityPolicy } from './source-options.ts'
import {
  encodeSimulatorValue,
  isSimulatorDataType,
  opcuaDataType,
  statusCodeFor,
  SIMULATOR_DATA_TYPES,
  type SimulatedQuality,
  type SimulatorDataType,
} from './simulator-values.ts'

/** The simulator's namespace; it is namespace index 1, so node ids read `ns=1;s=...`. */
export const SIMULATOR_NAMESPACE_URI = 'urn:shopfloor:sim'

export interface SimulatedNode {
  /** The variable's node id in namespace 1, such as `ns=1;s=Line1.Printer.State` (numeric `ns=1;i=1001` works too). */
  readonly nodeId: string
  /**
   * Browse names from the Objects folder down to the variable: every element but the last is a
   * folder, created on first use. Default: a string id split at its dots
   * (`Line1.Printer.State` -> `['Line1', 'Printer', 'State']`); required for other id kinds.
   */
  readonly browsePath?: readonly string[]
  readonly dataType: SimulatorDataType
  /** The value served until the first `setValue`, stamped with the start time. */
  readonly initial: TagScalar
  /**
   * Serves the variable as an AnalogItem with this EURange (numeric types only), which is what a
   * percent deadband is computed from; a server refuses a percent deadband on a node without one.
   */
  readonly euRange?: { readonly low: number; readonly high: number }
}

/** A user the simulator accepts. */
export interface SimulatorUser {
  readonly user: string
  readonly password: string
}

export interface OpcuaSimulatorOptions {
  /** TCP port on 127.0.0.1; 0 lets the OS pick a free one (read it back from `port`). @default 0 */
  readonly port?: number
  /** Path part of the endpoint URL. @default '/UA/shopfloor' */
  readonly resourcePath?: string
  /** The variables to serve. */
  readonly nodes: readonly SimulatedNode[]
  /**
   * The server's certificate store, kept stable between runs so the key and certificate are made
   * once (a start with a fresh folder takes some 300 ms longer). @default `<os tmpdir>/shopfloor-opcua-pki/server`
   */
  readonly pkiDir?: string
  /** Security modes of its endpoints. @default ['None'] */
  readonly securityModes?: readonly OpcuaSecurityMode[]
  /** Security policies offered with Sign and SignAndEncrypt. @default all of OPCUA_SECURITY_POLICIES */
  readonly securityPolicies?: readonly OpcuaSecurityPolicy[]
  /** Users accepted by user name and password. @default none */
  readonly users?: readonly SimulatorUser[]
  /** Whether anonymous sessions are allowed. @default true without `users`, false with them */
  readonly allowAnonymous?: boolean
}

export interface OpcuaSimulator {
  /** `opc.tcp://127.0.0.1:<port><resourcePath>` */
  readonly endpoint: string
  readonly port: number
  /**
   * Serves a new value. Subscribed clients receive exactly `sourceTs` (epoch ms, default now) as
   * the DataValue's sourceTimestamp, which is what makes simulated state changes exact to the ms.
   */
  setValue(nodeId: string, value: TagScalar, sourceTs?: number, quality?: SimulatedQuality): void
  /**
   * Fault injection: deletes every client subscription without telling the clients, as some PLCs
   * do on a program download. Returns how many were deleted.
   */
  dropSubscriptions(): number
  /**
   * Fault injection: closes every client session (and its subscriptions) while the connections
   * stay open, as a server does when it restarts its session layer. Returns how many were closed.
   */
  closeSessions(): number
  /**
   * One entry per request of `service` received so far (`CreateMonitoredItems`, `Read`, `Browse`,
   * ...): the number of operations it carried (items to create, nodes to read or browse).
   */
  requestSizes(service: string): number[]
  /** Closes every client connection and the listening socket. */
  stop(): Promise<void>
}

interface ServedVariable {
  readonly variable: UAVariable
  readonly dataType: SimulatorDataType
}

export async function startOpcuaSimulator(options: OpcuaSimulatorOptions): Promise<OpcuaSimulator> {
  const port = options.port ?? 0
  const resourcePath = options.resourcePath ?? '/UA/shopfloor'
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw configError(`port must be an integer in 0..65535, got ${String(port)}`)
  }
  const nodes = options.nodes.map((node, index) => checkNode(node, index))

  const certificateManager = createCertificateManager(options.pkiDir ?? join(defaultPkiRoot(), 'server'))
  const security = securitySettings(options)
  const server = new OPCUAServer({
    port,
    // Loopback only: the simulator is a test double, never a server the plant network should see.
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    resourcePath,
    // The server's own namespace (index 1) takes the application URI as its name.
    serverInfo: { applicationUri: SIMULATOR_NAMESPACE_URI, productUri: 'shopfloor-opcua-simulator' },
    buildInfo: { productName: 'shopfloor OPC UA simulator', manufacturerName: 'shopfloor' },
    ...security,
    serverCertificateManager: certificateManager,
    userCertificateManager: certificateManager,
    registerServerMethod: RegisterServerMethod.HIDDEN,
    isAuditing: false,
    maxConnectionsPerEndpoint: 100,
    // MinSupportedSampleRate 0 lets a client that asks for samplingInterval 0 get every change
    // (node-opcua otherwise folds changes into 50 ms windows), the way a PLC reports by exception.
    serverCapabilities: { maxSessions: 100, minSupportedSampleRate: 0 },
  })

  let served: Map<string, ServedVariable>
  try {
    await server.initialize()
    const addressSpace = server.engine.addressSpace
    if (!addressSpace) throw new Error('node-opcua created no address space')
    const namespace = addressSpace.getOwnNamespace()
    if (namespace.namespaceUri !== SIMULATOR_NAMESPACE_URI || namespace.index !== 1) {
      throw new Error(`namespace 1 is ${namespace.namespaceUri}, expected ${SIMULATOR_NAMESPACE_URI}`)
    }
    served = buildAddressSpace(namespace, addressSpace.rootFolder.objects, nodes)
    await server.start()
  } catch (err) {
    await server.shutdown(0).catch(() => undefined)
    if (err instanceof OpcuaError) throw err
    const inUse = (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE'
    throw new OpcuaError(
      'SHOPFLOOR_OPCUA_CONNECT',
      `OPC UA simulator could not start on 127.0.0.1:${port}: ${describeCause(err)}` +
        (inUse ? '; another process holds the port, pick another or pass port 0' : ''),
      { canRetry: inUse, cause: err },
    )
  }

  const boundPort = server.endpoints[0]?.port ?? port
  const requests = new Map<string, number[]>()
  server.on('request', (request) => {
    const service = request.schema.name.replace(/Request$/, '')
    let sizes = requests.get(service)
    if (!sizes) requests.set(service, (sizes = []))
    sizes.push(operationCount(request as unknown as Record<string, unknown>))
  })
  let stopping: Promise<void> | undefined
  return {
    endpoint: `opc.tcp://127.0.0.1:${boundPort}${resourcePath}`,
    port: boundPort,
    setValue(nodeId, value, sourceTs = Date.now(), quality = 'good') {
      const entry = served.get(nodeKey(nodeId))
      if (!entry) {
        throw new OpcuaError('SHOPFLOOR_OPCUA_BAD_NODE', `simulator serves no node "${nodeId}"`, {
          canRetry: false,
          nodeId,
        })
      }
      if (!Number.isFinite(sourceTs)) throw configError(`sourceTs for "${nodeId}" must be epoch ms, got ${sourceTs}`)
      const statusCode = statusCodeFor(quality)
      if (!statusCode) throw configError(`unknown status code name "${quality}" for "${nodeId}"`)
      entry.variable.setValueFromSource(toVariant(nodeId, entry.dataType, value), statusCode, new Date(sourceTs))
    },
    dropSubscriptions() {
      let dropped = 0
      for (const session of server.engine.getSessions()) {
        for (const subscription of [...session.publishEngine.subscriptions]) {
          session.deleteSubscription(subscription.id)
          dropped += 1
        }
      }
      return dropped
    },
    closeSessions() {
      const sessions = server.engine.getSessions()
      for (const session of sessions) server.engine.closeSession(session.authenticationToken, true, 'Terminated')
      return sessions.length
    },
    requestSizes(service) {
      return [...(requests.get(service) ?? [])]
    },
    stop() {
      // shutdown(0): no grace period announcing the shutdown to clients; a PLC power cut has none either.
      stopping ??= server.shutdown(0)
      return stopping
    },
  }
}

interface CheckedNode extends SimulatedNode {
  readonly key: string
  readonly nodeIdObject: NodeId
  readonly path: readonly string[]
}

function checkNode(node: SimulatedNode, index: number): CheckedNode {
  const where = `nodes[${index}]`
  let nodeIdObject: NodeId
  try {
    nodeIdObject = resolveNodeId(node.nodeId)
  } catch (err) {
    throw configError(`${where}.nodeId "${node.nodeId}" is not an OPC UA node id (like ns=1;s=Line1.Printer.State)`, err)
  }
  if (nodeIdObject.namespace !== 1) {
    throw configError(`${where}.nodeId "${node.nodeId}" must be in namespace 1 (${SIMULATOR_NAMESPACE_URI})`)
  }
  if (!isSimulatorDataType(node.dataType)) {
    throw configError(`${where}.dataType must be one of ${SIMULATOR_DATA_TYPES.join(', ')}, got "${String(node.dataType)}"`)
  }
  const path = node.browsePath ?? (typeof nodeIdObject.value === 'string' ? nodeIdObject.value.split('.') : undefined)
  if (!path || path.length === 0 || path.some((name) => name.length === 0)) {
    throw configError(`${where}.browsePath must list non-empty browse names (required unless the node id is a string id)`)
  }
  encodeSimulatorValue(node.nodeId, node.dataType, node.initial)
  if (node.euRange && (['Boolean', 'String'].includes(node.dataType) || !(node.euRange.low < node.euRange.high))) {
    throw configError(`${where}.euRange needs a numeric dataType and low < high`)
  }
  return { ...node, key: nodeIdObject.toString(), nodeIdObject, path }
}

function buildAddressSpace(namespace: Namespace, objects: UAObject, nodes: readonly CheckedNode[]): Map<string, ServedVariable> {
  const folders = new Map<string, UAObject>()
  const served = new Map<string, ServedVariable>()
  const startedAt = new Date()
  for (const node of nodes) {
    if (served.has(node.key)) throw configError(`node id "${node.nodeId}" is declared twice`)
    try {
      served.set(node.key, addNode(namespace, objects, folders, node, startedAt))
    } catch (err) {
      if (err instanceof OpcuaError) throw err
      throw configError(`cannot create node "${node.nodeId}" at ${node.path.join('/')}: ${describeCause(err)}`, err)
    }
  }
  return served
}

function addNode(
  namespace: Namespace,
  objects: UAObject,
  folders: Map<string, UAObject>,
  node: CheckedNode,
  startedAt: Date,
): ServedVariable {
  let parent = objects
  for (let depth = 0; depth < node.path.length - 1; depth++) {
    const folderPath = node.path.slice(0, depth + 1).join('/')
    let folder = folders.get(folderPath)
    if (!folder) {
      // Slash-joined ids keep folders clear of the dot-joined ids PLC variables usually have.
      folder = namespace.addFolder(parent, { browseName: node.path[depth] ?? '', nodeId: `ns=1;s=${folderPath}` })
      folders.set(folderPath, folder)
    }
    parent = folder
  }
  const common = {
    organizedBy: parent,
    browseName: node.path[node.path.length - 1] ?? node.nodeId,
    nodeId: node.nodeIdObject,
    dataType: node.dataType,
    // 0: the variable can be monitored by exception, every change reported (see minSupportedSampleRate).
    minimumSamplingInterval: 0,
  }
  const variable = node.euRange ? namespace.addAnalogDataItem({ ...common, engineeringUnitsRange: node.euRange }) : namespace.addVariable(common)
  variable.setValueFromSource(toVariant(node.nodeId, node.dataType, node.initial), StatusCodes.Good, startedAt)
  return { variable, dataType: node.dataType }
}

function toVariant(nodeId: string, dataType: SimulatorDataType, value: TagScalar): Variant {
  // node-opcua cannot tell an Int64's [high, low] pair from an array of two without being told.
  return new Variant({
    dataType: opcuaDataType(dataType),
    arrayType: VariantArrayType.Scalar,
    value: encodeSimulatorValue(nodeId, dataType, value),
  })
}

function nodeKey(nodeId: string): string {
  try {
    return resolveNodeId(nodeId).toString()
  } catch {
    return nodeId
  }
}

const SECURITY_MODE = { None: MessageSecurityMode.None, Sign: MessageSecurityMode.Sign, SignAndEncrypt: MessageSecurityMode.SignAndEncrypt } as const

/** The server's endpoint and login settings from the simulator options. */
function securitySettings(options: OpcuaSimulatorOptions) {
  const modes = options.securityModes ?? ['None']
  if (modes.length === 0 || modes.some((m) => !(m in SECURITY_MODE))) {
    throw configError(`securityModes must list some of None, Sign, SignAndEncrypt, got ${JSON.stringify(modes)}`)
  }
  const policies = options.securityPolicies ?? OPCUA_SECURITY_POLICIES
  if (policies.some((p) => !(OPCUA_SECURITY_POLICIES as readonly string[]).includes(p))) {
    throw configError(`securityPolicies must list some of ${OPCUA_SECURITY_POLICIES.join(', ')}, got ${JSON.stringify(policies)}`)
  }
  const secure = modes.some((m) => m !== 'None')
  const users = options.users ?? []
  return {
    securityModes: modes.map((m) => SECURITY_MODE[m]),
    securityPolicies: [...(modes.includes('None') ? [SecurityPolicy.None] : []), ...(secure ? policies.map((p) => SecurityPolicy[p]) : [])],
    allowAnonymous: options.allowAnonymous ?? users.length === 0,
    userManager: {
      isValidUser: (user: string, password: string) => users.some((u) => u.user === user && u.password === password),
    },
  }
}

/** How many operations a request carries, for the counts tests assert on. */
function operationCount(request: Record<string, unknown>): number {
  for (const key of ['itemsToCreate', 'nodesToRead', 'nodesToBrowse', 'monitoredItemIds', 'itemsToModify']) {
    const list = request[key]
    if (Array.isArray(list)) return list.length
  }
  return 0
}

function configError(message: string, cause?: unknown): OpcuaError {
  return new OpcuaError('SHOPFLOOR_OPCUA_CONFIG', `OPC UA simulator: ${message}`, { canRetry: false, cause })
}
