#!/usr/bin/env bash
# buf lint and buf breaking on the API's .proto files; the build runs it (proto module, validate).
#
# lint:     buf.yaml's rules (STANDARD).
# breaking: the .proto files as they are now against the previous commit: HEAD when the proto
#           directory has uncommitted changes, else HEAD's parent. So a commit that breaks the
#           API fails its own build, and so does every later build until a commit says so.
#           A deliberate break (pre-1.0 only) names itself in the breaking commit's message with
#           a trailer line "API-Break: <why>"; then that one commit is not compared.
# No history (a tarball, a shallow clone of one commit): breaking is skipped, and says so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
protos=src/main/protobuf
tools=$here/buf

# buf from npm (its Linux binary), installed again only when the lock file changed
marker=$tools/node_modules/.package-lock.json
if [[ ! -x $tools/node_modules/.bin/buf || $tools/package-lock.json -nt $marker ]]; then
  command -v npm >/dev/null || { echo "buf-check: npm is needed (scripts/setup-host.sh installs it)" >&2; exit 1; }
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
buf=$tools/node_modules/.bin/buf

cd "$here"
"$buf" lint .
echo "buf lint: ok"

if ! repo=$(git rev-parse --show-toplevel 2>/dev/null) || ! git rev-parse -q --verify HEAD >/dev/null; then
  echo "buf breaking: skipped (no git history here)"
  exit 0
fi
sub=$(git rev-parse --show-prefix)  # proto/
if ! git diff --quiet HEAD -- "$protos" buf.yaml || [[ -n $(git ls-files --others --exclude-standard -- "$protos") ]]; then
  against=$(git rev-parse HEAD)
elif git rev-parse -q --verify HEAD~1 >/dev/null; then
  if git log -1 --format=%B HEAD | grep -q '^API-Break: '; then
    echo "buf breaking: skipped for $(git rev-parse --short HEAD), a declared break: $(git log -1 --format=%B HEAD | grep '^API-Break: ')"
    exit 0
  fi
  against=$(git rev-parse HEAD~1)
else
  echo "buf breaking: skipped (HEAD has no parent here)"
  exit 0
fi
if ! git cat-file -e "$against:$sub$protos" 2>/dev/null; then
  echo "buf breaking: skipped ($against has no $sub$protos)"
  exit 0
fi
"$buf" breaking . --against "$repo/.git#ref=$against,subdir=$sub$protos"
echo "buf breaking: ok against $(git rev-parse --short "$against")"
