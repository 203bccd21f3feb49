import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dev server answers whatever name the edge routes to it (<id>.<workspace domain>); its
// hot-reload WebSocket comes back through the same edge.
export default defineConfig({ plugins: [react()], server: { allowedHosts: true } });
