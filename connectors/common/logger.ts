import { pino, type Logger } from 'pino'

export type { Logger }

/**
 * The project's root logger: pino JSON on stdout, level from `LOG_LEVEL` (default `info`).
 * Components take a child logger bound to their component and device.
 */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'shopfloor',
    level: opts.level ?? process.env['LOG_LEVEL'] ?? 'info',
    redact: { paths: ['*.password', '*.secret', '*.token', 'password', 'secret'], censor: '[redacted]' },
  })
}

/** A logger that drops everything: the default for library code when the caller passes none. */
export const silentLogger: Logger = pino({ level: 'silent' })
