#!/usr/bin/env bash
# Builds the browser IDE every workspace runs: code-server, from the npm registry (npm's own
# configuration), into a folder it prints on its last line of output (run it with
# `node <folder>/out/node/entry.js`). Built once per change of
# this script or of the version, cached by content hash in $SPINUP_CODE_SERVER_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/spinup/code-server).
#
# Why not `npm install code-server`: 4.100.3 is the newest release whose engine is Node 20 (4.103
# and later need 22 or 24), and a plain install fails here twice over: kerberos' native build
# needs libkrb5-dev (scripts/setup-host.sh installs it), and @vscode/ripgrep's post-install
# downloads rg from GitHub, which these machines cannot reach. So: unpack the package, install
# its dependencies and those of its lib/vscode without install scripts, rebuild the native
# modules, put Debian's ripgrep where @vscode/ripgrep expects its binary, link
# lib/vscode/node_modules.asar to node_modules (the workbench loads modules through that name),
# and give the server a minute, not 10 s, to start (see below).
# Usage: build-code-server.sh
set -euo pipefail
version=4.100.3
here=$(cd "$(dirname "$0")" && pwd)
cache=${SPINUP_CODE_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spinup/code-server}
hash=$( (echo "$version"; cat "$0") | sha256sum | cut -c1-16)
out=$cache/code-server-$version-$hash
if [ -f "$out/.done" ]; then
  echo "$out/code-server"
  exit 0
fi
for tool in node npm rg make g++; do
  command -v "$tool" >/dev/null || { echo "build-code-server: $tool is missing: run scripts/setup-host.sh" >&2; exit 1; }
done
echo "build-code-server: building code-server $version ($hash) into $out" >&2
mkdir -p "$cache"
work=$out.partial
rm -rf "$work"
mkdir -p "$work"
(
  cd "$work"
  step() { echo "build-code-server: $*" >&2; }
  step "[1/5] fetching the package"
  npm pack --silent "code-server@$version" >/dev/null
  tar -xzf "code-server-$version.tgz"
  rm "code-server-$version.tgz"
  cd package
  export npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_loglevel=error
  step "[2/5] installing its dependencies (no install scripts)"
  npm install --ignore-scripts --omit=dev >&2
  (cd lib/vscode && npm install --ignore-scripts --omit=dev >&2)
  step "[3/5] building the native modules"
  npm rebuild argon2 >&2
  # only the native ones: a plain `npm rebuild` would run @vscode/ripgrep's download again
  (cd lib/vscode && npm rebuild kerberos @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog node-pty >&2)
  step "[4/5] ripgrep from Debian"
  rg_dir=lib/vscode/node_modules/@vscode/ripgrep/bin
  mkdir -p "$rg_dir"
  cp "$(command -v rg)" "$rg_dir/rg"
  ln -sfn node_modules lib/vscode/node_modules.asar
  # code-server's wrapper gives the server it forks 10 s to say hello, then kills it and tries
  # again; a VM under software emulation (or a busy host) needs longer, and every retry starts
  # from scratch. A minute, as a start deadline rather than a liveness check.
  sed -i 's/^const timeoutInterval = 10000;/const timeoutInterval = 60000;/' out/node/wrapper.js
  grep -q '^const timeoutInterval = 60000;' out/node/wrapper.js \
    || { echo "build-code-server: out/node/wrapper.js has no start timeout to lengthen" >&2; exit 1; }
  step "[5/5] checking it starts"
  XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" node out/node/entry.js --version >&2
)
rm -rf "$work/config" "$work/data"
mv "$work/package" "$work/code-server"
touch "$work/.done"
rm -rf "$out" && mv "$work" "$out"
echo "$out/code-server"
