// A load for bench/agent.bench.ts, run as its own process so its CPU is not the agent's:
// an OPC UA simulator with `machines` x 4 variables (State, Reason, PartCount, RejectCount), every
// one of them changed once a second. Prints "READY <endpoint>" when serving.
import { startOpcuaSimulator, type SimulatedNode } from '../../connectors/index.ts'

const machines = Number(process.argv[2] ?? '250')
const nodes: SimulatedNode[] = []
for (let i = 0; i < machines; i++) {
  nodes.push(
    { nodeId: `ns=1;s=M${i}.State`, dataType: 'Int32', initial: 1 },
    { nodeId: `ns=1;s=M${i}.Reason`, dataType: 'String', initial: '' },
    { nodeId: `ns=1;s=M${i}.PartCount`, dataType: 'UInt32', initial: 0 },
    { nodeId: `ns=1;s=M${i}.RejectCount`, dataType: 'UInt32', initial: 0 },
  )
}
const sim = await startOpcuaSimulator({ nodes })
let tick = 0
setInterval(() => {
  tick++
  const now = Date.now()
  for (let i = 0; i < machines; i++) {
    // Spread over the second so the server is not asked for all changes in one burst.
    sim.setValue(`ns=1;s=M${i}.PartCount`, tick * 2, now)
    sim.setValue(`ns=1;s=M${i}.RejectCount`, tick, now)
    sim.setValue(`ns=1;s=M${i}.State`, tick % 2 === 0 ? 1 : 2, now)
    sim.setValue(`ns=1;s=M${i}.Reason`, tick % 2 === 0 ? '' : `WAIT_${tick % 7}`, now)
  }
}, 1000)
process.stdout.write(`READY ${sim.endpoint}\n`)
process.on('SIGTERM', () => process.exit(0))
