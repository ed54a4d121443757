// CPU and memory of the edge agent per 1,000 tags at 1 Hz, and its memory with 10,000 tags
// (target: at most 200 MB resident; EMQX Neuron reports about 200 MB at 10,000 points).
//
// Each size runs the real thing in separate processes: an OPC UA simulator whose every variable
// changes once a second (bench/support/opcua-load-server.ts), the agent as `shopfloor edge
// --config` with a local Kafka broker (bench/support/kafka.ts) and its durable spool,
// and this process reading the agent's /proc and /metrics. Every tag changes every second, so the
// agent makes about one event per tag per second: a worst case (a real line's states change
// rarely). Baseline in the same run: the resident memory of a Node process that has loaded the
// agent's modules and does nothing, with the V8 flag the edge command sets (--optimize-for-size).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { benchBroker } from './support/kafka.ts'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SIZES = (process.env['BENCH_SIZES'] ?? '1000,10000').split(',').map(Number)
const WARMUP_S = Number(process.env['BENCH_WARMUP_S'] ?? 25)
const MEASURE_S = Number(process.env['BENCH_MEASURE_S'] ?? 30)
const RSS_TARGET_MB = 200
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || '100')

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const freePort = () =>
  new Promise<number>((res) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => res(p))
    })
  })

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / TICKS // utime + stime
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) / 1024
}

async function metrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const m = new Map<string, number>()
  for (const line of text.split('\n')) {
    const hit = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line)
    if (hit) m.set(hit[1] as string, (m.get(hit[1] as string) ?? 0) + Number(hit[2]))
  }
  return m
}

function waitLine(child: ChildProcess, prefix: string, timeoutMs: number): Promise<string> {
  return new Promise((res, rej) => {
    let buf = ''
    const t = setTimeout(() => rej(new Error(`no "${prefix}" within ${timeoutMs} ms:\n${buf}`)), timeoutMs)
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      buf += c
      const line = buf.split('\n').find((l) => l.startsWith(prefix))
      if (line) {
        clearTimeout(t)
        res(line.slice(prefix.length).trim())
      }
    })
  })
}

const kafka = await benchBroker('agent')

const rows: string[] = []
let worstRss10k = 0
let baselineRss = 0
try {
  // Baseline: the runtime with the agent's modules loaded.
  {
    const idle = spawn(process.execPath, ['--optimize-for-size', '--input-type=module', '-e', "await import('./edge/index.ts'); await import('./stream/index.ts'); setTimeout(() => {}, 60000)"], { cwd: repo })
    await sleep(4000)
    baselineRss = rssMb(idle.pid as number)
    idle.kill('SIGKILL')
  }
  for (const tags of SIZES) {
    const machines = tags / 4
    const dir = mkdtempSync(join(tmpdir(), 'shopfloor-bench-agent-'))
    const server = spawn(process.execPath, [join(repo, 'bench/support/opcua-load-server.ts'), String(machines)], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] })
    const endpoint = await waitLine(server, 'READY ', 120_000)
    const healthPort = await freePort()
    const lines = []
    for (let l = 0; l * 100 < machines; l++) {
      lines.push({
        id: `line-${l}`,
        area: 'bench',
        machines: Array.from({ length: Math.min(100, machines - l * 100) }, (_, j) => {
          const i = l * 100 + j
          const n = (t: string) => ({ source: 'plc', node: `ns=1;s=M${i}.${t}` })
          return { id: `m${i}`, idealCycleTime: 1, state: { tag: n('State'), map: { '1': 'RUNNING', '2': 'IDLE' }, reason: n('Reason') }, counts: { total: n('PartCount'), reject: n('RejectCount') } }
        }),
      })
    }
    const config = {
      agent: { id: `bench-${tags}`, stateDir: join(dir, 'state'), heartbeatInterval: 10_000 },
      site: { region: 'hcmc', park: 'bench', factory: 'bench' },
      sources: [{ id: 'plc', protocol: 'opcua', endpoint, samplingInterval: 250, publishingInterval: 1000 }],
      lines,
      kafka: { brokers: kafka.brokers, topicPrefix: `bench-${tags}-${Date.now()}` },
      health: { listen: `127.0.0.1:${healthPort}` },
    }
    writeFileSync(join(dir, 'agent.yaml'), stringify(config))
    const agent = spawn(process.execPath, [...(process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean), 'edge/cli/shopfloor.ts', 'edge', '--config', join(dir, 'agent.yaml')], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } })
    let agentErr = ''
    agent.stderr?.setEncoding('utf8').on('data', (c: string) => (agentErr += c))
    agent.stdout?.resume()
    try {
      await sleep(WARMUP_S * 1000)
      const pid = agent.pid as number
      const m0 = await metrics(healthPort)
      const c0 = cpuSeconds(pid)
      const t0 = performance.now()
      let peak = 0
      for (let s = 0; s < MEASURE_S; s++) {
        await sleep(1000)
        peak = Math.max(peak, rssMb(pid))
      }
      const c1 = cpuSeconds(pid)
      const secs = (performance.now() - t0) / 1000
      const m1 = await metrics(healthPort)
      const values = ((m1.get('shopfloor_edge_source_values_total') ?? 0) - (m0.get('shopfloor_edge_source_values_total') ?? 0)) / secs
      const events = ((m1.get('shopfloor_edge_events_total') ?? 0) - (m0.get('shopfloor_edge_events_total') ?? 0)) / secs
      const published = ((m1.get('shopfloor_edge_published_events_total') ?? 0) - (m0.get('shopfloor_edge_published_events_total') ?? 0)) / secs
      const cpuPct = ((c1 - c0) / secs) * 100
      const rss = rssMb(pid)
      if (tags === 10_000) worstRss10k = peak
      rows.push(
        `| ${tags.toLocaleString('en')} | ${values.toFixed(0)} | ${events.toFixed(0)} | ${published.toFixed(0)} | ${cpuPct.toFixed(1)} % | ${((cpuPct * 1000) / tags).toFixed(1)} % | ${rss.toFixed(0)} MB | ${peak.toFixed(0)} MB | ${((m1.get('shopfloor_edge_process_nodejs_heap_size_used_bytes') ?? 0) / 2 ** 20).toFixed(0)} MB | ${((m1.get('shopfloor_edge_process_nodejs_external_memory_bytes') ?? 0) / 2 ** 20).toFixed(0)} MB | ${(m1.get('shopfloor_edge_spool_depth_events') ?? 0).toFixed(0)} |`,
      )
      if (values < tags * 0.8) process.stderr.write(`warning: only ${values.toFixed(0)} values/s of ${tags} expected\n${agentErr.slice(-2000)}\n`)
    } finally {
      agent.kill('SIGTERM')
      await new Promise((r) => agent.on('exit', r))
      server.kill('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    }
  }
} finally {
  await kafka.stop()
}

process.stdout.write(
  [
    `Edge agent at 1 Hz per tag (every tag changes every second), OPC UA subscription, Kafka with acks=all, spool fsync every 1 s; ${WARMUP_S} s warm-up, ${MEASURE_S} s measured.`,
    '',
    '| tags | values/s | events/s | published/s | agent CPU (one core = 100 %) | CPU per 1,000 tags | RSS at end | RSS peak | JS heap used | external | spool depth at end |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Baseline: a Node process with the agent's modules loaded and idle (--optimize-for-size, as the edge command runs): ${baselineRss.toFixed(0)} MB resident.`,
    `Target: RSS at 10,000 tags <= ${RSS_TARGET_MB} MB: peak ${worstRss10k.toFixed(0)} MB -> ${worstRss10k <= RSS_TARGET_MB ? 'PASS' : 'MISS'}`,
    '',
  ].join('\n'),
)
process.exit(worstRss10k > 0 && worstRss10k <= RSS_TARGET_MB ? 0 : 1)
