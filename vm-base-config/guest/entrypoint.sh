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
  mv "$project.partial" "$project"
  echo "spinup-guest: created project from template '$SPINUP_TEMPLATE'"
fi

cd "$project"
echo "spinup-guest: starting workspace $SPINUP_WORKSPACE_ID on port $SPINUP_APP_PORT"
exec sh ./spinup-start.sh
