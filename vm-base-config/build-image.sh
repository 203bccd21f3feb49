#!/usr/bin/env bash
# Builds the image every qemu workspace boots, offline, from what scripts/setup-host.sh fetched:
#   vmlinuz      the Debian cloud kernel (linux-image-*-cloud-amd64, unpacked from its .deb)
#   initrd.img   busybox-static and the kernel's virtio modules; mounts the disk, switches root
#   base.qcow2   the read-only root every workspace overlays: busybox, node (with its libraries),
#                resize2fs, the guest agent, the guest entrypoint with its templates, each npm
#                template's node_modules (/opt/spinup/template-deps: new projects run their dev
#                servers without a registry) and the IDE, code-server (/opt/spinup/code-server,
#                from build-code-server.sh), with the libraries its native modules load
# The result goes to <images>/<content hash>/ and is reused while no input changes. Prints
# that directory. Usage: build-image.sh [--images DIR]   (default: $SPINUP_IMAGES_DIR or
# ${XDG_CACHE_HOME:-$HOME/.cache}/spinup/images); the .debs are read from $SPINUP_DEB_CACHE
# (default: ${XDG_CACHE_HOME:-$HOME/.cache}/spinup/debs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/spinup
images=${SPINUP_IMAGES_DIR:-$cache/images}
debs=${SPINUP_DEB_CACHE:-$cache/debs}
if [ "${1:-}" = "--images" ]; then images=$2; fi

fail() { echo "build-image: $*" >&2; exit 1; }
kernel_deb=$(ls -1 "$debs"/linux-image-*-cloud-amd64_*.deb 2>/dev/null | sort -V | tail -1 || true)
[ -n "$kernel_deb" ] || fail "no Debian cloud kernel .deb in $debs: run scripts/setup-host.sh"
for tool in busybox node resize2fs mkfs.ext4 qemu-img cpio dpkg-deb; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup-host.sh"
done
busybox=$(command -v busybox)
busybox --list | grep -x insmod >/dev/null || fail "$busybox is not busybox-static (no insmod applet)"
node=$(readlink -f "$(command -v node)")
resize2fs=$(readlink -f "$(command -v resize2fs)")
# built once and cached by its own content hash, which its folder's name carries
code_server=$(bash "$here/build-code-server.sh" | tail -n 1)
[ -f "$code_server/out/node/entry.js" ] || fail "build-code-server.sh gave no code-server ($code_server)"

# The content hash covers every input: a changed kernel, node, template or script is a new image.
hash=$( (
  sha256sum "$kernel_deb" "$busybox" "$node" "$resize2fs" "$0" "$here"/image/* | cut -d' ' -f1
  sha256sum "$here/build-templates.sh" | cut -d' ' -f1
  basename "$(dirname "$code_server")"
  find "$here/guest" -type f -not -path '*/node_modules/*' | LC_ALL=C sort | xargs sha256sum | sed "s|$here/||"
) | sha256sum | cut -c1-16)
out=$images/$hash
if [ -f "$out/image.properties" ]; then echo "$out"; exit 0; fi

mkdir -p "$images"
work=$(mktemp -d "$images/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "build-image: building $hash from $(basename "$kernel_deb")" >&2
dpkg-deb -x "$kernel_deb" "$work/kernel"
kver=$(ls "$work/kernel/lib/modules")
cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"

# Stage 1: initramfs
init=$work/initramfs
mkdir -p "$init/bin" "$init/modules"
cp "$busybox" "$init/bin/busybox"
cp "$here/image/initramfs-init" "$init/init"
for m in drivers/virtio/virtio drivers/virtio/virtio_ring drivers/virtio/virtio_mmio \
         drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci \
         drivers/block/virtio_blk net/core/failover drivers/net/net_failover drivers/net/virtio_net \
         drivers/char/virtio_console; do
  f=$work/kernel/lib/modules/$kver/kernel/$m.ko
  [ -f "$f" ] && cp "$f" "$init/modules/"
done
(cd "$init" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --reproducible --quiet) | gzip -n -9 > "$work/initrd.img"

# Stage 2: the root filesystem
root=$work/rootfs
mkdir -p "$root"/{bin,sbin,usr/bin,etc,proc,sys,dev,tmp,run,workspace,opt/spinup}
cp "$busybox" "$root/bin/busybox"
for applet in $(busybox --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
# npm packages' executables start with #!/usr/bin/env node
ln -s /bin/busybox "$root/usr/bin/env"
copy_libs() { # the shared libraries an ELF file loads, to the same paths inside the root
  { ldd "$1" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
    [ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
}
copy_with_libs() { # binary, destination inside the root
  install -D -m 0755 "$1" "$root$2"
  copy_libs "$1"
}
copy_with_libs "$node" /usr/bin/node
copy_with_libs "$resize2fs" /sbin/resize2fs
install -m 0755 "$here/image/spinup-init" "$root/sbin/spinup-init"
cp "$here/image/guest-agent.js" "$root/opt/spinup/guest-agent.js"
cp -R "$here/guest" "$root/opt/spinup/guest"
rm -rf "$root/opt/spinup/guest/templates"
bash "$here/build-templates.sh" "$root/opt/spinup/guest/templates" "$work/deps" >&2
for deps in "$work"/deps/*/; do
  name=$(basename "$deps")
  mkdir -p "$root/opt/spinup/template-deps/$name"
  cp -R "$deps/node_modules" "$root/opt/spinup/template-deps/$name/"
done
cp -R "$code_server" "$root/opt/spinup/code-server"
# native modules (node-pty, spdlog, kerberos, esbuild, Next's SWC, ...) and ripgrep load libraries
# node itself does not
find "$root/opt/spinup" -type f \( -name '*.node' -o -perm -u+x \) -print0 | while IFS= read -r -d '' f; do
  if head -c 4 "$f" | grep -q 'ELF'; then copy_libs "$f"; fi
done
printf 'root:x:0:0:root:/workspace:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf '127.0.0.1 localhost spinup-guest\n' > "$root/etc/hosts"
printf 'nameserver 10.0.2.3\n' > "$root/etc/resolv.conf"
# Room for what the root holds, plus a third for the filesystem's own blocks and inodes (a
# workspace's overlay grows the disk to its envelope at boot).
size_mb=$(( $(du -sm "$root" | cut -f1) * 4 / 3 + 128 ))
# Fixed UUID, hash seed and time: the same inputs give the same filesystem.
E2FSPROGS_FAKE_TIME=1 mkfs.ext4 -q -F -L spinup-root -U 6a5b1c9e-5f0e-4d38-9c3e-0a5e5d1a7b01 \
  -E hash_seed=6a5b1c9e-5f0e-4d38-9c3e-0a5e5d1a7b02,root_owner=0:0 -d "$root" "$work/base.raw" "${size_mb}M" >&2
qemu-img convert -f raw -O qcow2 "$work/base.raw" "$work/base.qcow2"
cat > "$work/image.properties" <<PROPS
hash=$hash
kernel=$(basename "$kernel_deb")
kernel_version=$kver
node=$("$node" --version)
templates=$(ls "$here/guest/templates" | paste -sd, -)
ide=code-server
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
PROPS
mkdir -p "$out.partial"
mv "$work/vmlinuz" "$work/initrd.img" "$work/base.qcow2" "$work/image.properties" "$out.partial/"
chmod 0444 "$out.partial/base.qcow2"
rm -rf "$out" && mv "$out.partial" "$out"
echo "$out"
