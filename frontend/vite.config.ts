// Vite for the dashboard: `npm run dev` here serves it on :3000 against a running stack (the API on :8000 and
// the WebSocket gateway on :8765, proxied; HF_API_URL / HF_WS_URL point elsewhere); `npm run build` (or
// `npm run build:frontend` at the root) writes dist/, which the API serves at `/`.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.HF_API_URL ?? 'http://localhost:8000';
const ws = process.env.HF_WS_URL ?? 'ws://localhost:8765';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  server: {
    port: 3000,
    strictPort: true,
    proxy: {
      '/api': api,
      '/auth': api,
      '/control': api,
      '/reconcile': api,
      '/health': api,
      '/openapi.json': api,
      '/ws': { target: ws, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
});
