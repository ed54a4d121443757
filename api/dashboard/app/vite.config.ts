import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// `npm run build:dashboard` builds into dist/dashboard (SHOPFLOOR_DASHBOARD_DIR overrides), which
// the API serves at / (api/dashboard/serve.ts). `npx vite api/dashboard/app` serves the source
// with hot reload and forwards /api to an API on :8080 (SHOPFLOOR_API_URL).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: process.env['SHOPFLOOR_DASHBOARD_DIR'] ?? fileURLToPath(new URL('../../../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // echarts is most of the bundle; one chunk keeps the page to two requests.
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { '/api': process.env['SHOPFLOOR_API_URL'] ?? 'http://127.0.0.1:8080' } },
})
