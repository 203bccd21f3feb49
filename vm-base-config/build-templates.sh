#!/usr/bin/env bash
# Assembles the project templates into <out>: each template folder as it is in guest/templates,
# plus, for a template with a package.json, its build output (dist/ or out/) from
# `npm ci && npm run build`. The build is cached by a hash of the template's files (package-lock
# included), in $SPINUP_TEMPLATE_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/spinup/templates),
# so it runs once per change. npm packages come from the npm registry (npm's own configuration).
# Used by the Maven build (the guest shipped in the host agent) and by build-image.sh (the VM image).
# With <deps>, each npm template's node_modules from that build is also made available there as
# <deps>/<template>/node_modules (a link into the cache): what a host's agent copies into a new
# project (--template-deps) so it can run its dev server without reaching a registry.
# Usage: build-templates.sh <out> [<deps>]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-templates.sh <out> [<deps>]}
deps=${2:-}
cache=${SPINUP_TEMPLATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spinup/templates}
export NEXT_TELEMETRY_DISABLED=1
mkdir -p "$out" "$cache"

copy_sources() { # template folder -> destination, without dependencies or build output
  (cd "$1" && tar --exclude=./node_modules --exclude=./dist --exclude=./out --exclude=./.next -cf - .) | tar -xf - -C "$2"
}

for src in "$here"/guest/templates/*/; do
  name=$(basename "$src")
  rm -rf "${out:?}/$name"
  mkdir -p "$out/$name"
  copy_sources "$src" "$out/$name"
  [ -f "$src/package.json" ] || continue
  command -v npm >/dev/null || { echo "build-templates: npm is missing: run scripts/setup-host.sh" >&2; exit 1; }
  # "deps-1": cache entries keep their node_modules since then (older ones are built again)
  hash=$( (echo deps-1; cd "$out/$name" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16)
  built=$cache/$name-$hash
  if [ ! -f "$built/.done" ]; then
    echo "build-templates: building $name ($hash): npm ci && npm run build" >&2
    rm -rf "$built.work" "$built.partial"
    mkdir -p "$built.work" "$built.partial"
    copy_sources "$src" "$built.work"
    (cd "$built.work" && npm ci --no-audit --no-fund --loglevel=error >&2 && npm run build >&2)
    for d in dist out; do
      if [ -d "$built.work/$d" ]; then cp -R "$built.work/$d" "$built.partial/"; fi
    done
    mv "$built.work/node_modules" "$built.partial/"
    touch "$built.partial/.done"
    rm -rf "$built" && mv "$built.partial" "$built" && rm -rf "$built.work"
  fi
  for d in dist out; do
    if [ -d "$built/$d" ]; then cp -R "$built/$d" "$out/$name/"; fi
  done
  if [ -n "$deps" ]; then
    mkdir -p "$deps"
    ln -sfn "$built" "$deps/$name"
  fi
done
