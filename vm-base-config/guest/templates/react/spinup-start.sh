#!/bin/sh
# Serves the built app (dist/). After editing src/: npm install && npm run build (or npm run dev).
set -eu
command -v node >/dev/null 2>&1 || { echo "spinup-guest: node is not installed" >&2; exit 69; }
exec node "$SPINUP_GUEST_DIR/lib/static-server.js" dist
