import { readFileSync } from 'node:fs'
import { LineCounter, parseDocument, isNode } from 'yaml'
import { ConfigError } from './errors.ts'
import type { EdgeConfig } from './resolved.ts'
import { formatPath, validateEdgeConfig } from './validate.ts'

/**
 * Parses and validates an agent configuration given as YAML text. Throws {@link ConfigError}
 * whose message is one line: `FILE:LINE: path problem`.
 */
export function parseEdgeConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true })
  const yamlError = doc.errors[0]
  if (yamlError) {
    const line = yamlError.linePos?.[0]?.line
    throw new ConfigError(file, '', `is not valid YAML: ${yamlError.message.split('\n')[0] ?? ''}`, line)
  }
  const value: unknown = doc.toJS()
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(file, '', 'must be a YAML mapping with agent, site, sources and lines')
  }
  const result = validateEdgeConfig(value, file, env)
  if ('config' in result) return result.config
  const { path, problem } = result.problem
  // Point at the deepest node that exists: the key itself, or its parent when it is missing.
  let line: number | undefined
  for (let n = path.length; n >= 0 && line === undefined; n--) {
    const node = doc.getIn(path.slice(0, n), true)
    if (isNode(node) && node.range) line = lineCounter.linePos(node.range[0]).line
  }
  throw new ConfigError(file, formatPath(path), problem, line)
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
