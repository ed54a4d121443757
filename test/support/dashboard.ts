// The dashboard for headless tests: a Vite build of api/dashboard/app into a directory of the
// test's own, and Debian's Chromium (no browser download) driven by playwright-core.
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { build } from 'vite'

/** `SHOPFLOOR_CHROMIUM`, else Debian's `/usr/bin/chromium` (`.ci/run` installs the package). */
export const CHROMIUM = process.env['SHOPFLOOR_CHROMIUM'] ?? '/usr/bin/chromium'

/** Where tests save screenshots and PDFs (gitignored). */
export const SHOTS = join(import.meta.dirname, '../../test-results')

/**
 * Builds the dashboard into `dir`, then runs `start` (build the API there: it serves the build of
 * `SHOPFLOOR_DASHBOARD_DIR` as it is when the app is built) with the variable naming `dir`; the
 * variable is restored afterwards.
 */
export async function withDashboard<T>(dir: string, start: () => Promise<T>): Promise<T> {
  const saved = process.env['SHOPFLOOR_DASHBOARD_DIR']
  process.env['SHOPFLOOR_DASHBOARD_DIR'] = dir
  try {
    await build({ configFile: join(import.meta.dirname, '../../api/dashboard/app/vite.config.ts'), logLevel: 'warn' })
    return await start()
  } finally {
    if (saved === undefined) delete process.env['SHOPFLOOR_DASHBOARD_DIR']
    else process.env['SHOPFLOOR_DASHBOARD_DIR'] = saved
  }
}

/** Starts headless Chromium; the error says how to install it when it cannot. */
export async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
  } catch (e) {
    throw new Error(`cannot start Chromium at ${CHROMIUM} (apt-get install -y chromium, or set SHOPFLOOR_CHROMIUM): ${(e as Error).message}`)
  }
}
