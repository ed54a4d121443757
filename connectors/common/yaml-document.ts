/**
 * A YAML text parsed with its line numbers kept, so that a problem found later in the value can
 * point at the line of the key it concerns. Duplicate keys are an error, not a silent override.
 */
import { LineCounter, parseDocument, isNode } from 'yaml'

/** A parsed YAML document: its plain value and the line (1-based) of any path in it. */
export interface YamlDocument {
  readonly value: unknown
  /** Line of the deepest node of `path` that exists: the key itself, or its parent when it is missing. */
  lineOf(path: ReadonlyArray<string | number>): number | undefined
}

/** Parses YAML text; a syntax error comes back as its first line and message, not thrown. */
export function parseYamlDocument(text: string): { doc: YamlDocument } | { line: number | undefined; problem: string } {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true })
  const yamlError = doc.errors[0]
  if (yamlError) return { line: yamlError.linePos?.[0]?.line, problem: `is not valid YAML: ${yamlError.message.split('\n')[0] ?? ''}` }
  return {
    doc: {
      value: doc.toJS() as unknown,
      lineOf(path) {
        for (let n = path.length; n >= 0; n--) {
          const node = doc.getIn(path.slice(0, n), true)
          if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line
        }
        return undefined
      },
    },
  }
}
