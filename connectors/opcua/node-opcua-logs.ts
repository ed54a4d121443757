/**
 * node-opcua prints its warnings straight to stdout with console.log, in coloured multi-line
 * blocks: interleaved with the agent's pino JSON lines they break every log shipper. Its loggers
 * are process-wide, so redirecting them is the application's call, made once at start-up.
 */
import { format, stripVTControlCharacters } from 'node:util'
import { setDebugLogger, setErrorLogger, setWarningLogger } from 'node-opcua'
import type { Logger } from '../common/logger.ts'

type Level = 'error' | 'warn' | 'debug'

/**
 * Sends node-opcua's own diagnostics to `logger` (child `component: 'node-opcua'`) instead of
 * stdout. Affects every node-opcua client and server in the process.
 */
export function routeNodeOpcuaLogs(logger: Logger): void {
  const child = logger.child({ component: 'node-opcua' })
  const forward =
    (level: Level) =>
    (context?: unknown, ...args: unknown[]): void => {
      if (!child.isLevelEnabled(level)) return
      const where = describeContext(context)
      child[level](where, stripVTControlCharacters(format(...args)))
    }
  setErrorLogger(forward('error'))
  setWarningLogger(forward('warn'))
  setDebugLogger(forward('debug'))
}

/** node-opcua passes `{ filename, callerline }` of the call site as the first argument. */
function describeContext(context: unknown): { file?: string; line?: number } {
  if (typeof context !== 'object' || context === null) return {}
  const { filename, callerline } = context as { filename?: unknown; callerline?: unknown }
  return {
    ...(typeof filename === 'string' ? { file: filename } : {}),
    ...(typeof callerline === 'number' ? { line: callerline } : {}),
  }
}
