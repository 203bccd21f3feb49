#!/usr/bin/env bash
# Installs the Debian packages SpinUp's tests and dev mode need on this machine. Idempotent:
# when everything is present it only checks. Needs root (or sudo) to install.
#   nodejs    runs the workspace starter app (the guest entrypoint's template)
#   caddy     each host's edge proxy; the host agent starts and drives it in dev mode
#   chromium  headless, for the tests that load and screenshot the edge pages
#   curl      the raw baseline of the edge benchmark (bench/)
set -euo pipefail
packages=(nodejs caddy chromium curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup-host: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
