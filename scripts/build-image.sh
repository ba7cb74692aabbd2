#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# `make image`: the OCI image of Holdfast, built from the Debian package in deb-out/ (`make deb`)
# on a Debian 12 root file system made with Debian's own tools, with no registry involved:
#  1. mmdebstrap (variant "essential": no apt in the image) installs the package and iproute2
#     (the init container's `ip`) from the host's Debian mirror (/usr merged by mmdebstrap's
#     merged-usr hook, as debootstrap does, so that usrmerge and with it perl stay out), without
#     recommends, docs
#     (copyright files stay), manual pages, info pages or translations; no apt lists or caches
#     are left. The holdfast system user is made beforehand with a fixed UID/GID, 953, so that
#     manifests can name it (runAsUser); the package's postinst keeps it as it is.
#  2. /usr/sbin/holdfastd gets the file capability cap_net_bind_service=ep, so the non-root
#     user binds port 53 in a container granted only NET_BIND_SERVICE (Kubernetes does not give
#     non-root processes ambient capabilities; the file capability works with
#     allowPrivilegeEscalation: false, as the capability is in the container's permitted set).
#  3. umoci packs the tree as one layer and writes the image config: user 953:953, entrypoint
#     holdfastd --config /etc/holdfast/holdfast.toml, stop signal SIGTERM; skopeo copies the
#     layout into an OCI archive: $IMAGE_OUT/holdfast-image_VERSION.tar, image holdfast:VERSION.
# Run as root (mmdebstrap --mode=root, umoci unpack/repack of a tree owned by several users).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

log() { printf 'build-image: %s\n' "$*"; }
die() { printf 'build-image: FAIL: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap --mode=root, umoci)"
for tool in mmdebstrap umoci skopeo setcap getcap dpkg-deb; do
  command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh --image"
done

ARCH=$(dpkg --print-architecture)
shopt -s nullglob
debs=(deb-out/holdfast_*_"$ARCH".deb)
shopt -u nullglob
[ ${#debs[@]} -eq 1 ] || die "expected one deb-out/holdfast_*_$ARCH.deb (run make deb), found ${#debs[@]}"
DEB=$REPO/${debs[0]}
VERSION=$(dpkg-deb -f "$DEB" Version)
IMAGE_OUT=${IMAGE_OUT:-image-out}
OUT=$REPO/$IMAGE_OUT/holdfast-image_$VERSION.tar
IMAGE_UID=953
log "package $(basename "$DEB") -> $IMAGE_OUT/holdfast-image_$VERSION.tar (image holdfast:$VERSION)"

# The Debian 12 mirror the host's apt uses (deb822 sources), else deb.debian.org.
SOURCES=/etc/apt/sources.list.d/debian.sources
if [ ! -s "$SOURCES" ]; then
  SOURCES=$(mktemp)
  printf 'deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' > "$SOURCES"
fi

WORK=$(mktemp -d /var/tmp/holdfast-image.XXXXXX)
cleanup() { rm -rf --one-file-system "$WORK"; }
trap cleanup EXIT
LAYOUT=$WORK/oci
BUNDLE=$WORK/bundle
mkdir -p "$WORK/debs"
cp "$DEB" "$WORK/debs/"

umoci init --layout "$LAYOUT"
umoci new --image "$LAYOUT:$VERSION"
umoci unpack --image "$LAYOUT:$VERSION" "$BUNDLE" >/dev/null
ROOTFS=$BUNDLE/rootfs
[ -d "$ROOTFS" ] && [ -z "$(ls -A "$ROOTFS")" ] || die "umoci unpack left a non-empty rootfs"

started=$SECONDS
log "mmdebstrap bookworm (essential + holdfast + iproute2) from $(awk '/^URIs:|^deb /{print $2; exit}' "$SOURCES")"
# The file-mirror-automount hook makes the local .deb visible to dpkg inside the tree.
mmdebstrap --mode=root --variant=essential --format=directory \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --essential-hook="printf 'holdfast:x:$IMAGE_UID:\n' >> \"\$1/etc/group\"" \
  --essential-hook="printf 'holdfast:!::\n' >> \"\$1/etc/gshadow\"" \
  --essential-hook="printf 'holdfast:x:$IMAGE_UID:$IMAGE_UID:Holdfast DNS resolver:/var/lib/holdfast:/usr/sbin/nologin\n' >> \"\$1/etc/passwd\"" \
  --essential-hook="printf 'holdfast:!*:19000::::::\n' >> \"\$1/etc/shadow\"" \
  --include=iproute2 \
  --include="$WORK/debs/$(basename "$DEB")" \
  --customize-hook='setcap cap_net_bind_service=ep "$1/usr/sbin/holdfastd"' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old "$1"/var/log/* "$1"/tmp/* "$1"/etc/machine-id "$1"/usr/share/info/dir' \
  bookworm "$ROOTFS" "$SOURCES" > "$WORK/mmdebstrap.log" 2>&1 \
  || { tail -40 "$WORK/mmdebstrap.log"; die "mmdebstrap failed"; }
log "root file system made in $((SECONDS - started)) s: $(du -sh --apparent-size "$ROOTFS" | cut -f1)"

# The control socket's directory (mmdebstrap empties /run at the end): the non-root daemon cannot
# create it under /run itself. In a pod an emptyDir is mounted there.
install -d -o "$IMAGE_UID" -g "$IMAGE_UID" -m 0750 "$ROOTFS/run/holdfast"

# The tree as the image expects it.
[ "$(stat -c %u:%g "$ROOTFS/var/lib/holdfast")" = "$IMAGE_UID:$IMAGE_UID" ] \
  || die "/var/lib/holdfast is not owned by the holdfast user ($IMAGE_UID)"
getcap "$ROOTFS/usr/sbin/holdfastd" | grep -q 'cap_net_bind_service=ep' || die "holdfastd has no file capability"
[ -e "$ROOTFS/etc/holdfast/holdfast.toml" ] || die "no /etc/holdfast/holdfast.toml"

umoci repack --image "$LAYOUT:$VERSION" "$BUNDLE"
umoci config --image "$LAYOUT:$VERSION" \
  --os linux --architecture "$ARCH" --author "Holdfast maintainers" \
  --config.user "$IMAGE_UID:$IMAGE_UID" \
  --config.entrypoint /usr/sbin/holdfastd \
  --config.entrypoint --config --config.entrypoint /etc/holdfast/holdfast.toml \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.workingdir /var/lib/holdfast \
  --config.stopsignal SIGTERM \
  --config.label org.opencontainers.image.title=holdfast \
  --config.label org.opencontainers.image.version="$VERSION" \
  --config.label org.opencontainers.image.description="Holdfast, a resilient local DNS resolver (Debian 12, holdfast $VERSION)" \
  --manifest.annotation org.opencontainers.image.version="$VERSION" \
  --history.comment "make image: mmdebstrap bookworm + holdfast_${VERSION}_$ARCH.deb"
umoci gc --layout "$LAYOUT"

mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
skopeo copy --quiet "oci:$LAYOUT:$VERSION" "oci-archive:$OUT:holdfast:$VERSION"
log "$(du -h --apparent-size "$OUT" | cut -f1) $IMAGE_OUT/holdfast-image_$VERSION.tar"
skopeo inspect --raw "oci-archive:$OUT" | python3 -c '
import json, sys
m = json.load(sys.stdin)
print("build-image: image holdfast:%s, %d layer(s), %.1f MiB compressed (%s)" % (sys.argv[1], len(m["layers"]),
    sum(l["size"] for l in m["layers"]) / 1048576, m["layers"][0]["mediaType"]))' "$VERSION"
