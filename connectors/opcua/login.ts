/**
 * The user a source logs in as, and its password: read from an environment variable or a file
 * (never from the config file itself), held so that no log line, error or JSON dump can show it.
 */
import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { describeCause } from './errors.ts'

/** A password that prints, logs and serialises as `[redacted]`; `reveal()` is the only way to the text. */
export class Secret {
  readonly #value: string
  constructor(value: string) {
    this.#value = value
  }
  reveal(): string {
    return this.#value
  }
  toString(): string {
    return '[redacted]'
  }
  toJSON(): string {
    return '[redacted]'
  }
  [inspect.custom](): string {
    return '[redacted]'
  }
}

export interface ResolvedLogin {
  readonly user: string
  readonly password: Secret
}

/** Where the config file says the password is. */
export type PasswordSource = { readonly passwordEnv: string } | { readonly passwordFile: string }

/**
 * Reads the password now (at start-up, before any socket opens), so a missing variable or an
 * unreadable file fails the start with the key to fix rather than as a login refused at 3 a.m.
 * A problem is a phrase about the key (`passwordEnv` or `passwordFile`) and never holds the password.
 */
export function readPassword(
  source: PasswordSource,
  env: NodeJS.ProcessEnv = process.env,
): { readonly password: string } | { readonly key: 'passwordEnv' | 'passwordFile'; readonly problem: string } {
  if ('passwordEnv' in source) {
    const value = env[source.passwordEnv]
    if (value === undefined || value === '') {
      return {
        key: 'passwordEnv',
        problem: `names ${source.passwordEnv}, which is not set (or empty) in the agent's environment (systemd: Environment= or EnvironmentFile=)`,
      }
    }
    return { password: value }
  }
  let text: string
  try {
    text = readFileSync(source.passwordFile, 'utf8')
  } catch (err) {
    return {
      key: 'passwordFile',
      problem: `${source.passwordFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? describeCause(err)}); create it readable by the agent only (chmod 600)`,
    }
  }
  // Editors add a final newline; a password never ends in one.
  const password = text.replace(/\r?\n$/, '')
  return password === '' ? { key: 'passwordFile', problem: `${source.passwordFile} is empty` } : { password }
}
