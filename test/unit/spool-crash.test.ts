// A child process appends (and acknowledges some) in a tight loop and is killed with SIGKILL at
// a moment it does not choose. Reopened, the spool must hold every record the child had seen
// `append` return for, in order, once, from the last acknowledged position on.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Spool } from '../../edge/spool/index.ts'
import { waitFor } from '../support/wait.ts'

let dir: string
let script: string
let progress: string

const child = (spoolUrl: string): string => `
import { appendFileSync } from 'node:fs'
import { Spool } from ${JSON.stringify(spoolUrl)}
const [dir, progress, fsync] = process.argv.slice(2)
const s = new Spool(dir, { fsync, segmentBytes: 64 * 1024 })
let n = s.nextSeq
for (let round = 0; ; round++) {
  // Bursts of 1..37 records, as polls of different sizes; the value is the record's seq.
  const burst = 1 + (round % 37)
  s.append(Array.from({ length: burst }, (_, i) => ({ topic: 'shopfloor.machine_state', key: 'm' + ((n + i) % 5), value: Buffer.from(String(n + i).padEnd(120, '.')) })))
  n += burst
  let line = 'appended ' + n
  if (round % 5 === 0) {
    const b = s.read(40)
    s.ack(b.next)
    line += ' acked ' + b.next
  }
  appendFileSync(progress, line + '\\n')
}
`

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-spool-crash-'))
  script = join(dir, 'child.ts')
  progress = join(dir, 'progress')
  writeFileSync(script, child(new URL('../../edge/spool/index.ts', import.meta.url).href))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The child's last complete report: everything below `appended` was appended, below `acked` acknowledged. */
function lastReport(): { appended: number; acked: number } {
  const lines = readFileSync(progress, 'latin1').split('\n').slice(0, -1)
  let acked = 0
  let appended = 0
  for (const l of lines) {
    const m = /^appended (\d+)(?: acked (\d+))?$/.exec(l)
    if (!m) continue
    appended = Number(m[1])
    if (m[2]) acked = Number(m[2])
  }
  return { appended, acked }
}

describe.each(['never', 'interval'] as const)('spool under kill -9 (fsync %s)', (fsync) => {
  it('spool keeps every record the killed process appended, in order, without duplicates', async () => {
    const spoolDir = join(dir, `spool-${fsync}`)
    let expectedFrom = 0
    for (let round = 0; round < 3; round++) {
      writeFileSync(progress, '')
      const p = spawn(process.execPath, [script, spoolDir, progress, fsync], { stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      const exited = new Promise<NodeJS.Signals | null>((resolve) => p.on('exit', (_code, sig) => resolve(sig)))
      await waitFor(`the child to append (stderr: ${stderr})`, () => existsSync(progress) && lastReport().appended > expectedFrom + 20_000 + round * 7_919, 30_000)
      p.kill('SIGKILL')
      expect(await exited).toBe('SIGKILL')
      const reported = lastReport()

      const s = new Spool(spoolDir, { segmentBytes: 64 * 1024 })
      try {
        expect(s.ackedSeq).toBeGreaterThanOrEqual(reported.acked)
        expect(s.nextSeq).toBeGreaterThanOrEqual(reported.appended)
        expect(s.stats.dropped).toEqual({ size: 0, age: 0, torn: 0, corrupt: 0, io: 0 })
        const seqs: number[] = []
        for (let b = s.read(10_000); b.records.length > 0; b = s.read(10_000)) {
          for (const r of b.records) {
            if (Number.parseInt(r.value.toString(), 10) !== r.seq) throw new Error(`record ${r.seq} holds ${r.value.toString().slice(0, 12)}`)
            seqs.push(r.seq)
          }
        }
        // Contiguous from the cursor to the end: nothing lost, nothing twice, in append order.
        // (The child acknowledges 40 records per 5 bursts of 19 on average: a backlog builds up.)
        expect(seqs.length).toBeGreaterThan(1000)
        expect(seqs[0]).toBe(s.ackedSeq)
        expect(seqs.at(-1)).toBe(s.nextSeq - 1)
        expect(seqs.length).toBe(s.nextSeq - s.ackedSeq)
        expectedFrom = s.nextSeq
      } finally {
        s.close()
      }
    }
  }, 120_000)
})
