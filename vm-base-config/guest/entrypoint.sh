#!/bin/sh
# SpinUp guest entrypoint: what every workspace boots. The `process` driver runs it directly;
# the VM image's init runs the same script inside the guest.
#
# Environment:
#   SPINUP_WORKSPACE_ID    workspace id
#   SPINUP_WORKSPACE_DIR   the workspace's persistent directory (its "disk")
#   SPINUP_APP_PORT        the port the app must listen on
#   SPINUP_APP_HOST        the address it listens on (default 127.0.0.1; 0.0.0.0 inside a VM)
#   SPINUP_TEMPLATE        starter | nextjs | react | react_native_web
#   SPINUP_DISPLAY_NAME    shown by the starter page
#   SPINUP_IDE_PORT        with SPINUP_CODE_SERVER: the port of the workspace's IDE (ide/start-ide.sh)
#   SPINUP_CODE_SERVER     the code-server folder; unset: the workspace has no IDE
#   SPINUP_TEMPLATE_DEPS   a folder with <template>/node_modules: a new project gets a copy, so
#                          its dev server runs without a registry; unset: it serves its build
#
# On first boot the template is copied into $SPINUP_WORKSPACE_DIR/project; later boots keep
# whatever the workspace has changed. The template's spinup-start.sh then runs the app.
set -eu

: "${SPINUP_WORKSPACE_ID:?}" "${SPINUP_WORKSPACE_DIR:?}" "${SPINUP_APP_PORT:?}"
SPINUP_TEMPLATE=${SPINUP_TEMPLATE:-starter}
SPINUP_APP_HOST=${SPINUP_APP_HOST:-127.0.0.1}
SPINUP_DISPLAY_NAME=${SPINUP_DISPLAY_NAME:-$SPINUP_WORKSPACE_ID}
export SPINUP_WORKSPACE_ID SPINUP_WORKSPACE_DIR SPINUP_APP_PORT SPINUP_APP_HOST SPINUP_TEMPLATE SPINUP_DISPLAY_NAME

guest_dir=$(cd "$(dirname "$0")" && pwd)
# templates' start scripts find shared guest helpers (lib/static-server.js) here
SPINUP_GUEST_DIR=$guest_dir
export SPINUP_GUEST_DIR
template_dir="$guest_dir/templates/$SPINUP_TEMPLATE"
project="$SPINUP_WORKSPACE_DIR/project"

if [ ! -d "$template_dir" ]; then
  echo "spinup-guest: unknown template '$SPINUP_TEMPLATE'" >&2
  exit 64
fi

if [ ! -d "$project" ]; then
  # Copy then rename, so a crash mid-copy never leaves a half project that looks complete.
  rm -rf "$project.partial"
  cp -R "$template_dir" "$project.partial"
  if [ -n "${SPINUP_TEMPLATE_DEPS:-}" ] && [ -d "$SPINUP_TEMPLATE_DEPS/$SPINUP_TEMPLATE/node_modules" ]; then
    # hard links where the folder is on the same filesystem (instant, no space), else a copy
    cp -R -l -P "$SPINUP_TEMPLATE_DEPS/$SPINUP_TEMPLATE/node_modules" "$project.partial/" 2>/dev/null \
      || { rm -rf "$project.partial/node_modules"; cp -R "$SPINUP_TEMPLATE_DEPS/$SPINUP_TEMPLATE/node_modules" "$project.partial/"; }
  fi
  mv "$project.partial" "$project"
  echo "spinup-guest: created project from template '$SPINUP_TEMPLATE'"
fi

cd "$project"
echo "spinup-guest: starting workspace $SPINUP_WORKSPACE_ID on port $SPINUP_APP_PORT"
if [ -z "${SPINUP_IDE_PORT:-}" ] || [ -z "${SPINUP_CODE_SERVER:-}" ]; then
  exec sh ./spinup-start.sh
fi

# With an IDE: it runs beside the app and is started again whenever it exits, without touching
# the app. The workspace lives as long as its app: when the app ends (or the workspace is told to
# stop), the IDE goes with it.
SPINUP_IDE_HOST=${SPINUP_IDE_HOST:-$SPINUP_APP_HOST}
# the IDE watches this process and stops itself when it is gone (ide/start-ide.sh)
SPINUP_WORKSPACE_PID=$$
export SPINUP_IDE_PORT SPINUP_CODE_SERVER SPINUP_IDE_HOST SPINUP_WORKSPACE_PID
# code-server is a wrapper process and a server it forks: each IDE runs in a process group of its
# own (setsid), so whatever is left of one that ended is stopped with the whole group.
(
  trap 'kill -TERM "-$ide" 2>/dev/null; exit 0' TERM INT
  while :; do
    setsid sh "$guest_dir/ide/start-ide.sh" &
    ide=$!
    wait "$ide" || true
    kill -KILL "-$ide" 2>/dev/null || true
    echo "spinup-guest: the IDE exited; starting it again"
    sleep 1
  done
) &
ide_loop=$!
sh ./spinup-start.sh &
app=$!
trap 'kill "$app" 2>/dev/null' TERM INT
status=0
wait "$app" || status=$?
kill "$ide_loop" 2>/dev/null || true
wait "$ide_loop" 2>/dev/null || true
exit "$status"
