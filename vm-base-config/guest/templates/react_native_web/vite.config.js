import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// React Native components rendered for the web: imports of 'react-native' resolve to react-native-web.
export default defineConfig({
  plugins: [react()],
  resolve: { alias: { 'react-native': 'react-native-web' }, extensions: ['.web.jsx', '.web.js', '.jsx', '.js'] },
});
