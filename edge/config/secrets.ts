import { readFileSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'

/**
 * A secret named in the config by where it lives, never by its value: an environment variable
 * (`passwordEnv`) or a file (`passwordFile`). Returns the value, or the problem and the key it
 * belongs to. Messages name the variable or file, never the secret.
 */
export function readSecret(
  from: { passwordEnv?: string | undefined; passwordFile?: string | undefined },
  opts: { env: NodeJS.ProcessEnv; baseDir: string },
): { value: string } | { key: string; problem: string } {
  if (from.passwordEnv !== undefined && from.passwordFile !== undefined) {
    return { key: 'passwordFile', problem: 'give passwordEnv or passwordFile, not both' }
  }
  if (from.passwordEnv !== undefined) {
    const value = opts.env[from.passwordEnv]
    if (value === undefined || value === '') {
      return { key: 'passwordEnv', problem: `names ${from.passwordEnv}, which is not set in the agent's environment (systemd: EnvironmentFile=)` }
    }
    return { value }
  }
  if (from.passwordFile !== undefined) {
    const file = configRelative(from.passwordFile, opts.baseDir)
    try {
      if (!statSync(file).isFile()) return { key: 'passwordFile', problem: `${file} is not a file` }
      const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
      if (value === '') return { key: 'passwordFile', problem: `${file} is empty` }
      return { value }
    } catch (e) {
      return { key: 'passwordFile', problem: `${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }
    }
  }
  return { key: 'passwordEnv', problem: 'is required: give passwordEnv (an environment variable) or passwordFile (a file) holding the password' }
}

/** A path from the config file, taken relative to the config file's folder. */
export function configRelative(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path)
}
