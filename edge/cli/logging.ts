import { createLogger, routeNodeOpcuaLogs, type Logger } from '../../connectors/index.ts'

/** The CLI's logger: pino JSON on stdout, with node-opcua's console output routed into it. */
export function cliLogger(opts: { level?: string } = {}): Logger {
  const logger = createLogger(opts)
  routeNodeOpcuaLogs(logger)
  return logger
}
