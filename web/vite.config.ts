// Vite configuration: React, absolute base `/`, hashed assets under `assets/`, and (for `vite dev`
// and `vite preview`) a proxy of the API paths to the Hearth server named by HEARTH_PROXY_TARGET.
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const target = process.env.HEARTH_PROXY_TARGET ?? 'http://127.0.0.1:8080';
const proxied = ['/api', '/v1', '/health', '/ready'];
const proxy = Object.fromEntries(
  proxied.map((path) => [path, { target, changeOrigin: true, ws: true }]),
);

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    assetsDir: 'assets',
    // The embedding build passes its own --outDir (outside web/): empty it like dist/.
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      output: {
        // Libraries in chunks of their own: they change less often than the app, so they stay cached.
        manualChunks(id) {
          if (/node_modules\/(react|react-dom|scheduler)\//.test(id)) return 'react';
          if (/node_modules\/(marked|dompurify|highlight\.js)\//.test(id)) return 'markdown';
          return undefined;
        },
      },
    },
  },
  server: { proxy },
  preview: { proxy },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
