import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// React Native components rendered for the web: imports of 'react-native' resolve to react-native-web.
// The dev server answers whatever name the edge routes to it; its hot-reload WebSocket comes back
// through the same edge. The dependencies are pre-bundled when the server starts, so a first visit
// is not reloaded when Vite discovers them.
export default defineConfig({
  plugins: [react()],
  resolve: { alias: { 'react-native': 'react-native-web' }, extensions: ['.web.jsx', '.web.js', '.jsx', '.js'] },
  server: { allowedHosts: true },
  optimizeDeps: { include: ['react', 'react-dom/client', 'react/jsx-dev-runtime', 'react-native-web'] },
});
