#!/bin/sh
# Starts the starter project's app. Replace this with your own start command.
set -eu
command -v node >/dev/null 2>&1 || { echo "spinup-guest: node is not installed" >&2; exit 69; }
exec node server.js
