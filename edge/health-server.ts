import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../connectors/common/logger.ts'

/** One named check of readiness, with what an operator needs to see. */
export interface HealthCheck {
  readonly ok: boolean
  readonly detail?: Record<string, unknown>
}

export interface HealthReport {
  readonly ready: boolean
  readonly checks: Record<string, HealthCheck>
}

export interface HealthServerOptions {
  /** Address to listen on. Loopback by default (config `health.listen`). */
  readonly host: string
  /** 0 picks a free port (tests). */
  readonly port: number
  /** Readiness, asked on every request to /healthz and /healthz/ready. */
  readonly health: () => HealthReport
  /** The Prometheus text exposition, asked on every scrape of /metrics. */
  readonly metrics: () => Promise<{ contentType: string; body: string }>
  readonly logger: Logger
}

/**
 * The agent's HTTP endpoints for plant IT and for monitoring:
 * - `GET /healthz/live`: 200 while the process serves requests (systemd, a container's liveness).
 * - `GET /healthz/ready` (and `/healthz`): 200 when the agent does its job, 503 when not, with a
 *   JSON body of every check, so `curl` shows what is wrong.
 * - `GET /metrics`: Prometheus text format.
 * Nothing else: every other path is 404, every other method 405.
 */
export class HealthServer {
  readonly #opts: HealthServerOptions
  readonly #server: Server
  #address: AddressInfo | undefined

  constructor(opts: HealthServerOptions) {
    this.#opts = opts
    this.#server = createServer((req, res) => void this.#handle(req, res))
  }

  /** Listens; rejects with a message naming the address when it is taken. */
  async start(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(new Error(`health server cannot listen on ${this.#opts.host}:${this.#opts.port} (${err.code ?? err.message}): change health.listen, or 'off'`))
      }
      this.#server.once('error', onError)
      this.#server.listen(this.#opts.port, this.#opts.host, () => {
        this.#server.off('error', onError)
        resolve()
      })
    })
    this.#address = this.#server.address() as AddressInfo
    return { host: this.#address.address, port: this.#address.port }
  }

  async stop(): Promise<void> {
    if (!this.#server.listening) return
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n')
      return
    }
    try {
      if (path === '/healthz/live') {
        json(res, 200, { status: 'live' })
      } else if (path === '/healthz' || path === '/healthz/ready') {
        const report = this.#opts.health()
        json(res, report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not ready', checks: report.checks })
      } else if (path === '/metrics') {
        const m = await this.#opts.metrics()
        res.writeHead(200, { 'content-type': m.contentType }).end(m.body)
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz, /healthz/live, /healthz/ready, /metrics\n')
      }
    } catch (err) {
      this.#opts.logger.error({ err, path }, 'health endpoint failed')
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('internal error\n')
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body) + '\n')
}
