#!/bin/sh
# Runs the workspace's IDE: code-server on the workspace's project, listening only inside the
# workspace. Its user data (settings, state) and extensions live on the workspace's disk, so they
# survive suspend, archive and restore. The edge in front of it decides who gets in, so
# code-server itself asks for no password.
#
# Environment:
#   SPINUP_CODE_SERVER    the code-server folder (vm-base-config/build-code-server.sh builds it)
#   SPINUP_WORKSPACE_DIR  the workspace's persistent directory; the project is its project/
#   SPINUP_IDE_PORT       the port the IDE listens on
#   SPINUP_IDE_HOST       the address it listens on (default 127.0.0.1; 0.0.0.0 inside a VM)
#
# It always opens the project given here, never the folder it remembers from its last run: a
# workspace restored onto another host finds its disk at another path.
#
# First start: the user settings are seeded from settings.json beside this script (telemetry,
# update checks and experiments off, no workspace-trust prompt, a terminal drawn in the page).
set -eu
: "${SPINUP_CODE_SERVER:?}" "${SPINUP_WORKSPACE_DIR:?}" "${SPINUP_IDE_PORT:?}"
SPINUP_IDE_HOST=${SPINUP_IDE_HOST:-127.0.0.1}
here=$(cd "$(dirname "$0")" && pwd)
ide="$SPINUP_WORKSPACE_DIR/.ide"
mkdir -p "$ide/user-data/User" "$ide/extensions" "$ide/config" "$ide/data"
if [ ! -f "$ide/user-data/User/settings.json" ]; then
  cp "$here/settings.json" "$ide/user-data/User/settings.json.partial"
  mv "$ide/user-data/User/settings.json.partial" "$ide/user-data/User/settings.json"
fi
# The IDE's home (its terminals' shell profile and history) is on the workspace's disk too, never
# the host user's: a host's own shell setup has no place in a workspace (and a slow one stalls
# every terminal the IDE opens).
mkdir -p "$ide/home"
export HOME="$ide/home"
# code-server's own config file and state go to the workspace too, never to a home directory;
# no extension gallery: the IDE never contacts a marketplace
export XDG_CONFIG_HOME="$ide/config" XDG_DATA_HOME="$ide/data" EXTENSIONS_GALLERY='{"serviceUrl":""}'
# The IDE never outlives its workspace: should the entrypoint that started it be gone (killed, or
# ended before it could stop the IDE), this watcher stops the IDE's whole process group.
if [ -n "${SPINUP_WORKSPACE_PID:-}" ]; then
  (
    while kill -0 "$SPINUP_WORKSPACE_PID" 2>/dev/null; do sleep 1; done
    kill -KILL "-$$"
  ) &
fi
exec node "$SPINUP_CODE_SERVER/out/node/entry.js" \
  --auth none \
  --bind-addr "$SPINUP_IDE_HOST:$SPINUP_IDE_PORT" \
  --disable-telemetry \
  --disable-update-check \
  --disable-workspace-trust \
  --disable-getting-started-override \
  --ignore-last-opened \
  --user-data-dir "$ide/user-data" \
  --extensions-dir "$ide/extensions" \
  "$SPINUP_WORKSPACE_DIR/project"
