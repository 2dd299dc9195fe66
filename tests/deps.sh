#!/bin/sh
# make deps: install the Debian packages cell needs to build and test. Quiet when all are present.
# As root, missing packages are installed with apt-get; otherwise the command is printed and we fail.
BUILD="gcc make pkg-config libseccomp-dev libcap-dev libyajl-dev libmnl-dev libarchive-dev libssl-dev"
TEST="busybox-static python3 python3-pytest python3-jsonschema iproute2 crun runc util-linux time clang umoci skopeo procps containerd podman conmon python3-grpcio"
# the cgroup v2 suite's VM (tests/vm): qemu, a Debian kernel, cpio for its initrd
VM="qemu-system-x86 linux-image-amd64 cpio"

missing=
for p in $BUILD $TEST $VM; do
  st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)
  [ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages:$missing" >&2
  echo "deps: run as root: apt-get update && apt-get install -y$missing" >&2
  exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # one word per package
apt-get update -q && apt-get install -y -q --no-install-recommends $missing
