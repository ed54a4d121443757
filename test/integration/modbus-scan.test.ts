import { spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { openPtyPair, type PtyPair } from '../../connectors/modbus/pty-pair.ts'
import { startModbusSimulator, type ModbusSimulator } from '../../connectors/modbus/simulator.ts'
import { freePort } from '../support/wait.ts'

// `shopfloor scan` against the simulator over each transport. The CLI runs as a child process;
// the simulator answers from this one, so the child is awaited without blocking the event loop.

const sims: ModbusSimulator[] = []
const ptys: PtyPair[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()))
  await Promise.all(ptys.splice(0).map((p) => p.close()))
})

function scan(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['edge/cli/shopfloor.ts', 'scan', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

/** A meter's map: kW as FLOAT32 CDAB at 0, kWh as UINT32 at 2, a model name at 4..6; 8 registers in all. */
function fill(s: ModbusSimulator, unitId: number): void {
  s.setValue(unitId, 'holding', 0, 230.4, 'FLOAT32', 'CDAB')
  s.setValue(unitId, 'holding', 2, 123456, 'UINT32')
  s.setValue(unitId, 'holding', 4, 'PM5560', 'STRING', 'ABCD', 3)
  s.setBits(unitId, 'coil', 3, [true, false, true])
}

/** The printed row of one register, split into its columns. */
function row(stdout: string, address: number): string[] {
  const line = stdout.split('\n').find((l) => l.trimStart().startsWith(`${address} `))
  if (line === undefined) throw new Error(`no row for register ${address} in:\n${stdout}`)
  return line.trim().split(/\s+/)
}

describe('shopfloor scan', () => {
  it('shopfloor scan prints raw registers with their plausible decodings over Modbus TCP', async () => {
    const s = await startModbusSimulator({ units: { 1: { holding: 8, coils: 8 } } })
    sims.push(s)
    fill(s, 1)
    const r = await scan(`modbus://127.0.0.1:${s.port}?unit=1`, '--holding', '0-9', '--coils', '0-7')
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`modbus://127.0.0.1:${s.port}?unit=1  holding 0..9 (FC 3)`)
    // Register 0: hex, uint16, int16, text, 4 INT32s, then the one plausible FLOAT32: CDAB 230.4.
    expect(row(r.stdout, 0).slice(0, 2)).toStrictEqual(['0', '6666'])
    expect(row(r.stdout, 0).at(-1)).toBe('230.4')
    // Register 2: 123456 as INT32 ABCD
    expect(row(r.stdout, 2)).toContain('123456')
    expect(row(r.stdout, 4)).toContain('"PM"')
    // Past the end of the device's map: the refused request was split down to the missing registers.
    expect(row(r.stdout, 8).join(' ')).toBe('8 exception 2: illegal data address')
    expect(row(r.stdout, 9).join(' ')).toBe('9 exception 2: illegal data address')
    expect(r.stdout).toMatch(/0-7 {2}0 0 0 1 0 1 0 0/)
  })

  it('shopfloor scan --json gives the same over RTU over TCP, 1-based', async () => {
    const s = await startModbusSimulator({ transport: 'rtu-over-tcp', units: { 4: { holding: 8, coils: 8 } } })
    sims.push(s)
    fill(s, 4)
    const r = await scan(`modbus+rtu-over-tcp://127.0.0.1:${s.port}?unit=4`, '--holding', '1-2', '--address-base', '1', '--json')
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout) as { unitId: number; ranges: { table: string; items: { address: number; value: number }[]; decodings: { address: number; float32?: Record<string, number> }[] }[] }
    expect(out.unitId).toBe(4)
    expect(out.ranges[0]?.items).toStrictEqual([{ address: 1, value: 0x6666 }, { address: 2, value: 0x4366 }])
    expect(out.ranges[0]?.decodings[0]?.float32).toStrictEqual({ CDAB: 230.4 })
  })

  it('shopfloor scan reads a unit on a serial line', async () => {
    const pty = await openPtyPair()
    ptys.push(pty)
    const s = await startModbusSimulator({ transport: 'rtu', serialPort: pty.a, baudRate: 19_200, parity: 'none', units: { 2: { holding: 8, coils: 8 } } })
    sims.push(s)
    fill(s, 2)
    const r = await scan(`modbus+rtu://${pty.b}?unit=2&baud=19200&parity=none`, '--holding', '2-3')
    expect(r.stderr).toBe('')
    expect(row(r.stdout, 2)).toContain('123456')
  })

  it('shopfloor scan says what to check when nothing answers', async () => {
    const port = await freePort()
    const r = await scan(`modbus://127.0.0.1:${port}?unit=1`, '--holding', '0-9', '--timeout', '500')
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^shopfloor scan: SHOPFLOOR_MODBUS_CONNECT: cannot reach 127\.0\.0\.1:\d+: /)
  })

  it('shopfloor scan names the unit that does not answer', async () => {
    const s = await startModbusSimulator({ units: { 1: { holding: 8 } }, unknownUnit: 'ignore' })
    sims.push(s)
    const r = await scan(`modbus://127.0.0.1:${s.port}?unit=9`, '--holding', '0-1', '--timeout', '300')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('SHOPFLOOR_MODBUS_TIMEOUT')
    expect(r.stderr).toContain('check that unit 9 is the right unit id')
  })
})
