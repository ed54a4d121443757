import Type from 'typebox'

/** Response and query schemas of the API, in TypeBox (JSON Schema): fastify validates and serializes with them. */

const Ratio = Type.Union([Type.Number(), Type.Null()], { description: 'A ratio (0.85 = 85 %); null when its denominator is 0' })

const OeeFields = {
  availability: Ratio,
  performance: Ratio,
  quality: Ratio,
  oee: Ratio,
  seconds: Type.Object(
    {
      plannedBusy: Type.Number({ description: 'PBT: running + micro-stops + setup + down + idle' }),
      actualProduction: Type.Number({ description: 'APT: running + micro-stops' }),
      running: Type.Number(),
      microStops: Type.Number({ description: 'DOWN stops shorter than microStop seconds' }),
      setup: Type.Number(),
      down: Type.Number(),
      idle: Type.Number(),
      plannedStop: Type.Number(),
      offline: Type.Number({ description: 'No data from the machine: neither running nor a loss' }),
      idealProduced: Type.Number({ description: 'Σ units produced × ideal cycle time' }),
      idealGood: Type.Number({ description: 'Σ good units × ideal cycle time' }),
    },
    { description: 'The time model behind the ratios, seconds' },
  ),
  counts: Type.Object({ produced: Type.Integer(), good: Type.Integer(), rejected: Type.Integer() }),
  failures: Type.Integer({ description: 'DOWN stops at or above the micro-stop threshold that began in the window' }),
  flags: Type.Array(Type.String(), { description: 'performance_above_100, no_planned_time' }),
  energy: Type.Object({ kwh: Type.Number(), kwhPerGoodUnit: Type.Union([Type.Number(), Type.Null()]) }),
}

export const OeeQuerystring = Type.Object(
  {
    machine: Type.Optional(Type.String({ minLength: 1, description: 'Machine path, region/park/factory/area/line/machine' })),
    line: Type.Optional(Type.String({ minLength: 1, description: 'Line path, region/park/factory/area/line' })),
    from: Type.String({ description: 'Window start, ISO 8601 with a time zone (2026-11-21T08:00:00+07:00)' }),
    to: Type.String({ description: 'Window end (exclusive), ISO 8601 with a time zone' }),
    microStop: Type.Optional(Type.Number({ minimum: 0, maximum: 86400, description: 'Micro-stop threshold, seconds. Default 120' })),
  },
  { additionalProperties: false },
)

export const OeeResponseSchema = Type.Object({
  scope: Type.Object({
    machine: Type.Optional(Type.String()),
    line: Type.Optional(Type.String()),
    from: Type.String(),
    to: Type.String(),
    microStopS: Type.Number(),
  }),
  judgedBy: Type.Optional(Type.Object({ machine: Type.String(), idealCycleS: Type.Number() })),
  ...OeeFields,
  machines: Type.Array(Type.Object({ machine: Type.String(), name: Type.String(), line: Type.String(), ...OeeFields })),
})

export const MachinesResponse = Type.Object({
  machines: Type.Array(
    Type.Object({
      id: Type.String({ description: 'Machine path' }),
      name: Type.String(),
      line: Type.String({ description: 'Line path' }),
      factory: Type.String({ description: 'Factory path' }),
      position: Type.Integer({ description: 'Position in the line, 0 first' }),
      idealCycleS: Type.Number(),
      endOfLine: Type.Boolean(),
      agent: Type.String(),
      lastSeen: Type.String({ description: 'When its agent last announced it' }),
    }),
  ),
})
