#!/bin/sh
# The Next.js dev server (next dev), with hot reload: an edit saved in the IDE shows in the app at
# once. It runs while the project has its node_modules (a new workspace gets them from its host)
# and no file .spinup-serve-build; with that file, or without node_modules, the static export
# (out/, from `npm run build`) is served instead. The app is restarted by restarting the workspace.
set -eu
command -v node >/dev/null 2>&1 || { echo "spinup-guest: node is not installed" >&2; exit 69; }
export NEXT_TELEMETRY_DISABLED=1
if [ ! -f .spinup-serve-build ] && [ -x node_modules/.bin/next ]; then
  exec node_modules/.bin/next dev --hostname "$SPINUP_APP_HOST" --port "$SPINUP_APP_PORT"
fi
exec node "$SPINUP_GUEST_DIR/lib/static-server.js" out
