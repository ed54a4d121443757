import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const CLI = 'edge/cli/shopfloor.ts'
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, KAFKA_BROKERS: '' } })

describe('shopfloor CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shopfloor-cli-'))
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, readFileSync('edge/examples/smt-line.yaml', 'utf8').replace('byteOrder: CDAB', 'byteOrder: WXYZ'))

  it('shopfloor validate accepts the example config', () => {
    const r = run('validate', 'edge/examples/smt-line.yaml')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('ok (agent gw-smt-1: 2 sources, 1 lines, 4 machines)')
  })

  it.each([['validate', bad], ['edge', '--config', bad]])('shopfloor %s exits non-zero with one line naming file, field and allowed values', (...args) => {
    const r = run(...args)
    expect(r.status).toBe(2)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`^${bad.replaceAll('/', '\\/')}:\\d+: lines\\[0\\]\\.machines\\[0\\]\\.energy\\.kw\\.byteOrder must be one of ABCD, DCBA, BADC, CDAB \\(got "WXYZ"\\)$`))
  })

  it('shopfloor edge names a config file that does not exist', () => {
    const r = run('edge', '--config', join(dir, 'missing.yaml'))
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('missing.yaml: cannot be read (ENOENT)')
  })

  it('shopfloor rejects an unknown command and lists the commands', () => {
    const r = run('frobnicate')
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('commands: demo, edge, ingest, api, sim, validate')
  })
})
