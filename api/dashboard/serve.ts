import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'

/**
 * Where the built dashboard is: `SHOPFLOOR_DASHBOARD_DIR`, else `dist/dashboard` of the checkout
 * (`npm run build:dashboard` writes it; `npm start` runs that first).
 */
export function dashboardDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env['SHOPFLOOR_DASHBOARD_DIR'] ?? join(import.meta.dirname, '../../dist/dashboard'))
}

export interface DashboardOptions {
  /** The built app (index.html and assets/). Default: {@link dashboardDir}(). */
  dir?: string
}

// The page talks only to this origin; echarts draws on canvas and sets inline styles from script.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'"

const NOT_BUILT = (dir: string): string => `<!doctype html><html lang="en"><meta charset="utf-8"><title>shopfloor: dashboard not built</title>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>The dashboard is not built</h1>
<p>The API found no <code>index.html</code> in <code>${dir.replace(/[<>&]/g, '')}</code>. Run <code>npm run build:dashboard</code>
(<code>npm start</code> does it for you), or point <code>SHOPFLOOR_DASHBOARD_DIR</code> at a built dashboard.
The API itself works: <a href="/docs">/docs</a>.</p></body></html>`

const AssetParams = Type.Object({ file: Type.String({ pattern: '^[A-Za-z0-9._-]+$', description: 'A built asset (hashed file name)' }) }, { additionalProperties: false })

/**
 * `GET /` (the dashboard's page) and `GET /assets/:file` (its hashed scripts and styles), public:
 * the page holds no data; it asks the API with the key the user signs in with. Assets are
 * immutable (their names carry a content hash), the page is never cached so a new build shows at
 * once. Without a build, `/` explains how to make one (503).
 */
export async function registerDashboard(app: FastifyInstance, opts: DashboardOptions = {}): Promise<void> {
  const dir = opts.dir ?? dashboardDir()
  // Cache headers are set per route below, not by the plugin.
  await app.register(fastifyStatic, { root: dir, serve: false, cacheControl: false })
  app.get(
    '/',
    { config: { access: 'public' }, schema: { summary: 'The dashboard (HTML page)', tags: ['dashboard'], produces: ['text/html'] } },
    async (_req, reply) => {
      if (!existsSync(join(dir, 'index.html'))) return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT(dir))
      return reply.header('cache-control', 'no-cache').header('content-security-policy', CSP).sendFile('index.html', dir)
    },
  )
  app.get<{ Params: { file: string } }>(
    '/assets/:file',
    {
      config: { access: 'public' },
      schema: { summary: 'A built dashboard asset', tags: ['dashboard'], params: AssetParams, response: { '4xx': { $ref: 'ErrorBody#' } } },
    },
    async (req, reply) => reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(join('assets', req.params.file), dir),
  )
}
