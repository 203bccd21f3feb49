#!/usr/bin/env bash
# Installs the Debian packages SpinUp's tests and dev mode need on this machine, and fetches the
# Debian kernel package the VM image is built from. Idempotent: when everything is present it only
# checks. Needs root (or sudo) to install.
#   nodejs          runs the workspace starter app (the guest entrypoint's template), on the host
#                   for the process driver and inside the VM image for the qemu driver
#   caddy           each host's edge proxy; the host agent starts and drives it in dev mode
#   chromium        headless, for the tests that load and screenshot the edge pages
#   curl            the raw baseline of the edge benchmark (bench/)
#   qemu-system-x86, qemu-utils   the qemu driver: VMs, qcow2 overlays and snapshots
#   busybox-static, cpio, e2fsprogs   vm-base-config/build-image.sh: the guest userland,
#                   its initramfs and its root filesystem
#   libkrb5-dev, ripgrep, make, g++   vm-base-config/build-code-server.sh: code-server's native
#                   modules (kerberos needs the Kerberos headers) and the IDE's search tool
#   bind9           the tests' authoritative DNS server for RFC 2136 updates: each test runs its own
#                   named on a free port (the package's own service is not used; on a machine with
#                   systemd, `systemctl disable --now named` if you do not want it)
# The kernel (linux-image-*-cloud-amd64) is downloaded as a .deb into $SPINUP_DEB_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/spinup/debs), not installed: it boots inside the VMs only.
# promtool (the alert rules' checker) is taken out of Debian's prometheus package into
# ${XDG_CACHE_HOME:-$HOME/.cache}/spinup/promtool/, without installing the Prometheus server.
set -euo pipefail
packages=(nodejs caddy chromium curl qemu-system-x86 qemu-utils busybox-static cpio e2fsprogs libkrb5-dev ripgrep make g++ bind9)
debs=${SPINUP_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spinup/debs}
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
kernel_missing=false
ls "$debs"/linux-image-*-cloud-amd64_*.deb >/dev/null 2>&1 || kernel_missing=true
promtool_dir=${XDG_CACHE_HOME:-$HOME/.cache}/spinup/promtool
promtool_missing=false
[ -x "$promtool_dir/promtool" ] || promtool_missing=true
[ ${#missing[@]} -eq 0 ] && [ "$kernel_missing" = false ] && [ "$promtool_missing" = false ] && exit 0

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-host: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "$kernel_missing" = true ]; then
  # the metapackage names the current kernel package; download that one
  kernel=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -1)
  [ -n "$kernel" ] || { echo "setup-host: cannot find the Debian cloud kernel package" >&2; exit 1; }
  echo "setup-host: fetching $kernel into $debs (for the VM image)"
  mkdir -p "$debs"
  (cd "$debs" && apt-get download -q "$kernel" 2>&1 | grep -v "^W: Download is performed unsandboxed" || true)
  ls "$debs"/linux-image-*-cloud-amd64_*.deb >/dev/null 2>&1 || { echo "setup-host: downloading $kernel failed" >&2; exit 1; }
fi
if [ "$promtool_missing" = true ]; then
  echo "setup-host: taking promtool out of Debian's prometheus package into $promtool_dir"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -q prometheus 2>&1 | grep -v "^W: Download is performed unsandboxed" || true)
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
  mkdir -p "$promtool_dir"
  cp "$tmp/x/usr/bin/promtool" "$promtool_dir/promtool"
  rm -rf "$tmp"
  "$promtool_dir/promtool" --version >/dev/null || { echo "setup-host: promtool does not run" >&2; exit 1; }
fi
