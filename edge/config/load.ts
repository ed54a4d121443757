import { readFileSync } from 'node:fs'
import { formatPath, parseYamlDocument } from '../../connectors/index.ts'
import { ConfigError } from './errors.ts'
import type { EdgeConfig } from './resolved.ts'
import { validateEdgeConfig } from './validate.ts'

/**
 * Parses and validates an agent configuration given as YAML text. Throws {@link ConfigError}
 * whose message is one line: `FILE:LINE: path problem`.
 */
export function parseEdgeConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const parsed = parseYamlDocument(text)
  if (!('doc' in parsed)) throw new ConfigError(file, '', parsed.problem, parsed.line)
  const { value } = parsed.doc
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(file, '', 'must be a YAML mapping with agent, site, sources and lines')
  }
  const result = validateEdgeConfig(value, file, env)
  if ('config' in result) return result.config
  const { path, problem } = result.problem
  throw new ConfigError(file, formatPath(path), problem, parsed.doc.lineOf(path))
}

/** Reads, parses and validates an agent configuration file. */
export function loadEdgeConfig(file: string, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new ConfigError(file, '', `cannot be read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}): check the path given to --config`, undefined, cause)
  }
  return parseEdgeConfig(text, file, env)
}
