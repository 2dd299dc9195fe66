#!/bin/sh
# make deps: install the Debian packages cell needs to build and test. Quiet when all are present.
# - Debian or Ubuntu, as root: the missing packages are installed with apt-get.
# - Debian or Ubuntu, not root: the missing packages and the command that installs them are printed; exit 1.
# - Not Debian (no dpkg/apt-get): what is needed is named, nothing is changed; exit 1.
BUILD="gcc make pkg-config libseccomp-dev libcap-dev libyajl-dev libmnl-dev libarchive-dev libssl-dev"
TEST="busybox-static python3 python3-pytest python3-jsonschema iproute2 crun runc util-linux time clang libclang-rt-14-dev umoci skopeo zstd procps"
# the caller tests (tests/integration/test_containerd.py, test_podman.py): containerd with its CRI plugin, podman
CALLERS="containerd podman conmon python3-grpcio"
# the cgroup v2 suite's VM (tests/vm): qemu, a Debian kernel, cpio for its initrd
VM="qemu-system-x86 linux-image-amd64 cpio"
# the fresh-machine check (tests/fresh/run) builds a new Debian in a chroot
FRESH="debootstrap"

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<EOF
deps: this is not a Debian or Ubuntu system (no dpkg-query/apt-get), so nothing was installed.
deps: cell needs, under your distribution's names:
deps:   to build: a C compiler (gcc), make, pkg-config, and the development files of libseccomp, libcap,
deps:     yajl, libmnl, libarchive and OpenSSL's libcrypto
deps:   to test: busybox (static), python3 with pytest and jsonschema, iproute2, util-linux, GNU time,
deps:     procps, clang (libFuzzer), crun, runc, umoci, skopeo, zstd, containerd, podman, conmon, python grpcio;
deps:     for the cgroup v2 VM: qemu-system-x86_64,
deps:     a Linux kernel image with its modules, cpio; for tests/fresh/run: debootstrap
deps: Debian's package names: $BUILD $TEST $CALLERS $VM $FRESH
EOF
  exit 1
fi

missing=
for p in $BUILD $TEST $CALLERS $VM $FRESH; do
  st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)
  [ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages:$missing" >&2
  echo "deps: not root, so nothing was installed; as root run: apt-get update && apt-get install -y$missing" >&2
  exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # one word per package
apt-get update -q && apt-get install -y -q --no-install-recommends $missing
