#!/bin/sh
# Serves the statically exported Next.js app (out/). After editing app/: npm install && npm run build
# (or npm run dev for the Next.js dev server).
set -eu
command -v node >/dev/null 2>&1 || { echo "spinup-guest: node is not installed" >&2; exit 69; }
exec node "$SPINUP_GUEST_DIR/lib/static-server.js" out
