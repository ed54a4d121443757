import { defineConfig } from 'vitest/config'

// Two projects: `unit` needs no server; `integration` talks to real servers (node-opcua, the
// Modbus TCP simulator, chDB, a Kafka broker started by test/setup/kafka.ts unless
// KAFKA_BROKERS names one). Integration tests never skip: a server that cannot be reached fails
// the test, on CI and off it.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/kafka.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // chDB binds one data directory per process: each test file gets its own process.
          pool: 'forks',
        },
      },
    ],
  },
})
