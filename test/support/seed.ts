// Copies of the shipped seed directory (api/seed) with one file edited, for tests of what a bad
// seed file gets; removed when the test file ends.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { DEFAULT_SEED_DIR, SeedError } from '../../api/reference/index.ts'

/**
 * Returns `seedDir(file?, edit?)`: a copy of the shipped seed directory with `file`'s text passed
 * through `edit` (which must change it). Call it at the top of a test file: the copies are
 * removed after the file's tests.
 */
export function seedCopies(prefix = 'shopfloor-seed-'): (file?: string, edit?: (text: string) => string) => string {
  const dirs: string[] = []
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
  return (file, edit) => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    dirs.push(dir)
    cpSync(DEFAULT_SEED_DIR, dir, { recursive: true })
    if (file && edit) {
      const path = join(dir, file)
      const before = readFileSync(path, 'utf8')
      const after = edit(before)
      if (after === before) throw new Error(`the edit of ${file} changed nothing`)
      writeFileSync(path, after)
    }
    return dir
  }
}

/** The SeedError `fn` throws; any other outcome fails the test. */
export function seedErrorOf(fn: () => unknown): SeedError {
  try {
    fn()
  } catch (e) {
    if (e instanceof SeedError) return e
    throw e
  }
  throw new Error('no error thrown')
}
