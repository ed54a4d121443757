// Runs the benchmarks: `npm run bench` runs every bench/*.bench.ts, `npm run bench -- spool modbus`
// only those whose file name contains one of the words. Each benchmark is its own Node process (so
// one's memory and JIT state never colour another's), prints its own table, and exits non-zero
// when a target is missed; this runner reports which did and exits non-zero if any did.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const filters = process.argv.slice(2)
const all = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
const chosen = filters.length === 0 ? all : all.filter((f) => filters.some((w) => f.includes(w)))
if (chosen.length === 0) {
  process.stderr.write(`bench: nothing matches ${filters.join(', ')} (have: ${all.join(', ')})\n`)
  process.exit(2)
}
const failed: string[] = []
for (const file of chosen) {
  process.stdout.write(`\n### ${file}\n\n`)
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, file)], { stdio: 'inherit' })
  if (r.status !== 0) failed.push(`${file} (exit ${r.status ?? r.signal})`)
}
process.stdout.write(failed.length === 0 ? `\nbench: all ${chosen.length} met their targets\n` : `\nbench: missed: ${failed.join(', ')}\n`)
process.exit(failed.length === 0 ? 0 : 1)
