import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** shopfloor's version, from package.json (the api reaches no other module's internals for it). */
export const VERSION: string = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version
