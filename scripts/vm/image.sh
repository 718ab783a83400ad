#!/usr/bin/env bash
# Builds (or reuses) the Debian 12 guest image that scripts/vm-check.sh boots:
# debootstrap from the mirror apt uses, with a kernel, systemd, sshd,
# mosquitto and the libraries the edgegw package depends on (so that
# `apt install ./edgegw_*.deb` in the guest needs no network), then an ext4
# image made with `mkfs.ext4 -d` (no loop mount). The kernel and initrd are
# copied out for qemu's -kernel/-initrd.
#
# Usage: scripts/vm/image.sh ARCH OUT_DIR [EXTRA_PACKAGE...]   (as root)
# Writes OUT_DIR/{rootfs.raw,vmlinuz,initrd.img,id_ed25519,id_ed25519.pub,stamp}.
# The image is rebuilt only when the stamp (this script, ARCH and the
# package list) changes; downloaded .debs stay in OUT_DIR/../debs-ARCH.
# For arm64 the second stage runs under qemu-user through binfmt_misc
# (qemu-user-static, binfmt-support).
set -euo pipefail
ARCH=$1
OUT=$2
shift 2
EXTRA=("$@")

PKGS=(systemd systemd-sysv udev dbus kmod initramfs-tools "linux-image-$ARCH"
      openssh-server mosquitto mosquitto-clients procps iproute2 sqlite3)
PKGS+=("${EXTRA[@]}")
SELF_HASH=$(sha256sum "$0" | cut -c1-16)
STAMP=$(printf '%s\n' "$SELF_HASH" "$ARCH" "${PKGS[@]}" | sort | sha256sum | cut -c1-16)
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$STAMP" ] && [ -f "$OUT/rootfs.raw" ]; then
  exit 0
fi

# The mirror apt already uses (deb822 or one-line sources), nothing else.
MIRROR=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list \
           | grep -v security | awk '{ print $2; exit }' || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}

echo "vm image: building $ARCH from $MIRROR (${#PKGS[@]} packages asked, stamp $STAMP)" >&2
start=$SECONDS
DEBS="$(dirname "$OUT")/debs-$ARCH"
ROOT="$OUT/rootfs"
mkdir -p "$OUT" "$DEBS"
rm -rf "$ROOT" "$OUT/rootfs.raw" "$OUT/stamp"
if [ "$ARCH" != "$(dpkg --print-architecture)" ]; then
  # The second stage runs the guest's own binaries in a chroot: qemu-user
  # through binfmt_misc, registered with the F flag (qemu-user-static).
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  q=$(case $ARCH in arm64) echo aarch64 ;; *) echo "$ARCH" ;; esac)
  update-binfmts --enable "qemu-$q" >/dev/null 2>&1 || true
  grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$q" || { echo "vm image: binfmt_misc has no enabled qemu-$q" >&2; exit 1; }
fi
include=$(IFS=,; echo "${PKGS[*]}")
bootstrap_failed() {
  tail -n 30 "$OUT/debootstrap.log" >&2
  echo "vm image: debootstrap $1 failed (full log: $OUT/debootstrap.log)" >&2
  exit 1
}
# Two stages, so that the initramfs settings are in place before the kernel
# package runs update-initramfs: only the drivers this VM boots from, gzip.
# With Debian's MODULES=most the arm64 kernel package was still configuring
# under qemu-user after 50 minutes; with this the whole arm64 image took 604 s.
debootstrap --foreign --variant=minbase --arch="$ARCH" --cache-dir="$(realpath "$DEBS")" --include="$include" \
  bookworm "$ROOT" "$MIRROR" > "$OUT/debootstrap.log" 2>&1 || bootstrap_failed "first stage"
mkdir -p "$ROOT/etc/initramfs-tools/conf.d" "$ROOT/usr/share/initramfs-tools/modules.d"
printf 'MODULES=list\nCOMPRESS=gzip\n' > "$ROOT/etc/initramfs-tools/conf.d/edgegw-vm"
printf '%s\n' virtio_pci virtio_mmio virtio_blk ext4 > "$ROOT/usr/share/initramfs-tools/modules.d/edgegw-vm"
echo "vm image: first stage done after $((SECONDS - start)) s" >&2
chroot "$ROOT" /debootstrap/debootstrap --second-stage >> "$OUT/debootstrap.log" 2>&1 || bootstrap_failed "second stage"
echo "vm image: second stage done after $((SECONDS - start)) s" >&2

# Identity, root file system, network (systemd-networkd, DHCP from qemu's
# user-mode network), root's ssh key.
echo edgegw-vm > "$ROOT/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 edgegw-vm\n' > "$ROOT/etc/hosts"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' > "$ROOT/etc/fstab"
cat > "$ROOT/etc/systemd/network/20-wired.network" <<'EOF'
[Match]
Name=e*

[Network]
DHCP=ipv4
EOF
chroot "$ROOT" systemctl enable systemd-networkd.service >/dev/null 2>&1
# Timers that would only add noise (and disk writes) to a test boot.
chroot "$ROOT" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer >/dev/null 2>&1 || true
# The guest's journal is kept on disk, so a boot after a power cut can be read.
mkdir -p "$ROOT/var/log/journal"
rm -f "$OUT/id_ed25519" "$OUT/id_ed25519.pub"
ssh-keygen -q -t ed25519 -N '' -C edgegw-vm-check -f "$OUT/id_ed25519"
install -d -m 0700 "$ROOT/root/.ssh"
install -m 0600 "$OUT/id_ed25519.pub" "$ROOT/root/.ssh/authorized_keys"
printf 'UseDNS no\nPasswordAuthentication no\n' > "$ROOT/etc/ssh/sshd_config.d/vm-check.conf"
rm -rf "$ROOT/var/cache/apt/archives/"*.deb

newest() { find "$ROOT/boot" -name "$1" | sort -V | tail -n 1; }
cp "$(newest 'vmlinuz-*')" "$OUT/vmlinuz"
cp "$(newest 'initrd.img-*')" "$OUT/initrd.img"

truncate -s 4G "$OUT/rootfs.raw"
mkfs.ext4 -q -F -L edgegw-vm -d "$ROOT" "$OUT/rootfs.raw"
rm -rf "$ROOT"
echo "$STAMP" > "$OUT/stamp"
echo "vm image: $ARCH ready in $((SECONDS - start)) s ($(du -h "$OUT/rootfs.raw" | cut -f1) used of 4G)" >&2
