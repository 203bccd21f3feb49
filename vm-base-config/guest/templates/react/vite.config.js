import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dev server answers whatever name the edge routes to it (<id>.<workspace domain>); its
// hot-reload WebSocket comes back through the same edge. The dependencies are pre-bundled when
// the server starts, so a first visit is not reloaded when Vite discovers them.
export default defineConfig({
  plugins: [react()],
  server: { allowedHosts: true },
  optimizeDeps: { include: ['react', 'react-dom/client', 'react/jsx-dev-runtime'] },
});
