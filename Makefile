# Holdfast — build, run, test, install.
# `make run` and `make test` install what they need on a fresh Debian 12 machine (as root).

SHELL        := /bin/bash
SWIFT        ?= swift
CONFIG       ?= config/holdfast.toml
PREFIX       ?= /usr/local
DESTDIR      ?=
SYSCONFDIR   ?= /etc
UNITDIR      ?= /lib/systemd/system
DOCDIR       ?= $(PREFIX)/share/doc/holdfast
# `make install BIN_DIR=DIR` installs the binaries already built in DIR (e.g. the debug bin
# dir, as the install test does) instead of building a release first.
BIN_DIR      ?=
BUILD_FLAGS  ?=
RELEASE_BIN   = $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)
INSTALL_BIN   = $(or $(BIN_DIR),$(RELEASE_BIN))
DEBUG_BIN     = $(shell $(SWIFT) build --show-bin-path 2>/dev/null)

.PHONY: all deps deps-deb deps-image build release run test test-kubernetes bench bench-micro profile profile-misses fuzz soak sanitize sanitize-thread install uninstall clean check-root-port deb test-deb image test-image measure-cache-memory

all: build

# System packages: c-ares, the real authoritative server and clients the tests use.
deps:
	@scripts/install-deps.sh

# Also what `make deb` and `make test-deb` use: debhelper, lintian, debootstrap.
deps-deb:
	@scripts/install-deps.sh --deb

# Also what `make image` and `make test-image` use: mmdebstrap, umoci, skopeo, podman.
deps-image:
	@scripts/install-deps.sh --image

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(BUILD_FLAGS)

# Runs the daemon in the foreground with the documented default config (port 53 needs root
# or CAP_NET_BIND_SERVICE; see README).
run: release check-root-port
	"$(RELEASE_BIN)/holdfastd" --config "$(CONFIG)"

check-root-port:
	@scripts/check-bind-permission.sh "$(CONFIG)"

# Every test: unit, scenario and integration (real nsd, dig, the built daemon on loopback),
# then the offline validation of deploy/kubernetes/ (scripts/test-kubernetes.py). Both always
# run; the target fails when either does.
test: deps
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	HOLDFAST_BIN_DIR="$(DEBUG_BIN)" $(SWIFT) test --skip-build --no-parallel 2>&1 | tee .test-output.log; swift_rc=$${PIPESTATUS[0]}; \
	HOLDFAST_BIN_DIR="$(DEBUG_BIN)" python3 scripts/test-kubernetes.py; kube_rc=$$?; \
	[ $$swift_rc -eq 0 ] && [ $$kube_rc -eq 0 ]

# Only the deploy/kubernetes/ validation (yamllint, kubernetes-validate, kubectl kustomize,
# holdfastd --check-config on the ConfigMap), against the debug build.
test-kubernetes: deps
	$(SWIFT) build --product holdfastd $(BUILD_FLAGS)
	HOLDFAST_BIN_DIR="$(DEBUG_BIN)" python3 scripts/test-kubernetes.py

bench: deps
	@scripts/bench.sh

# Micro-benchmarks (separate package under Benchmarks/): codec and cache-hit path, ns and mallocs per op.
bench-micro: deps
	@scripts/bench-micro.sh

# Instructions per cache hit in the running daemon, by function (valgrind --tool=callgrind).
profile: deps
	@scripts/profile.sh

profile-misses: deps
	@scripts/profile-misses.sh

FUZZ_SECONDS ?= 60
# libFuzzer targets (Fuzz/, a separate package), FUZZ_SECONDS each; findings in fuzz-out/.
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

# Chaos + soak (SOAK_SECONDS, default 600) against the release build; figures in soak-out/summary.txt.
soak: release
	HOLDFAST_BIN_DIR="$(RELEASE_BIN)" scripts/soak.sh

# Suites that are deterministic under the sanitizers' slowdown (CI runs `sanitize`).
SAN_SUITES = DNSWireTests|NetAddressTests|DNSOverHTTPSCodecTests|DNSStreamFramerTests|HoldfastServerTests|HoldfastConfigTests|HoldfastCacheTests|HoldfastResolverTests|HoldfastControlTests|HoldfastDaemonTests
sanitize: deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	ASAN_OPTIONS=detect_leaks=0 HOLDFAST_BIN_DIR="$$($(SWIFT) build --scratch-path .build-asan --show-bin-path)" \
	  $(SWIFT) test --sanitize=address --scratch-path .build-asan --skip-build --no-parallel --filter '$(SAN_SUITES)'
# ThreadSanitizer: also valid for these suites (it cannot see Synchronization.Mutex in the
# upstream loop on Linux with Swift 6.3.1 and reports false positives there).
sanitize-thread: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan --skip-build --no-parallel --filter '$(SAN_SUITES)'

install: $(if $(BIN_DIR),,release)
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(SYSCONFDIR)/holdfast" "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(DOCDIR)"
	install -m 0755 "$(INSTALL_BIN)/holdfastd" "$(INSTALL_BIN)/holdfastctl" "$(DESTDIR)$(PREFIX)/bin/"
	@if [ -e "$(DESTDIR)$(SYSCONFDIR)/holdfast/holdfast.toml" ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/holdfast/holdfast.toml"; \
	else \
		install -m 0644 config/holdfast.toml "$(DESTDIR)$(SYSCONFDIR)/holdfast/holdfast.toml"; \
	fi
	sed 's|/usr/local/bin|$(PREFIX)/bin|g' systemd/holdfastd.service > "$(DESTDIR)$(UNITDIR)/holdfastd.service"
	install -m 0644 systemd/holdfastd.socket "$(DESTDIR)$(UNITDIR)/holdfastd.socket"
	"$(INSTALL_BIN)/holdfastd" --help > "$(DESTDIR)$(DOCDIR)/holdfastd.txt"
	"$(INSTALL_BIN)/holdfastctl" --help > "$(DESTDIR)$(DOCDIR)/holdfastctl.txt"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/holdfastd" "$(DESTDIR)$(PREFIX)/bin/holdfastctl"
	rm -f "$(DESTDIR)$(UNITDIR)/holdfastd.service" "$(DESTDIR)$(UNITDIR)/holdfastd.socket"
	rm -f "$(DESTDIR)$(DOCDIR)/holdfastd.txt" "$(DESTDIR)$(DOCDIR)/holdfastctl.txt"
	rmdir "$(DESTDIR)$(DOCDIR)" 2>/dev/null || true
	@echo "left $(DESTDIR)$(SYSCONFDIR)/holdfast/ and /var/lib/holdfast in place"

# The Debian package (debian/): release binaries with the Swift runtime linked statically, built
# by dpkg-buildpackage in a copy of the tree (its outputs go to the parent directory), then
# collected in $(DEB_OUT)/. SwiftPM's build directory .build-deb is kept as a cache.
DEB_OUT      ?= deb-out
DEB_SRC       = $(DEB_OUT)/src/holdfast
# No holdfast-dbgsym by default (compressing ~100 MB of Swift debug info takes minutes);
# `make deb DEB_BUILD_OPTIONS=` builds it too.
DEB_BUILD_OPTIONS ?= noautodbgsym
deb: deps-deb
	rm -rf "$(DEB_OUT)/src"
	mkdir -p "$(DEB_SRC)"
	tar -c --exclude=./.git --exclude='./.build*' --exclude='./$(DEB_OUT)' --exclude=./Fuzz/.build \
	  --exclude=./Benchmarks/.build --exclude='./*-out' --exclude=./.test-output.log . | tar -x -C "$(DEB_SRC)"
	cd "$(DEB_SRC)" && SWIFT_SCRATCH="$(CURDIR)/.build-deb" SWIFT="$(SWIFT)" DEB_BUILD_OPTIONS="$(DEB_BUILD_OPTIONS)" \
	  dpkg-buildpackage -b -us -uc
	rm -f "$(DEB_OUT)"/holdfast*_*.deb "$(DEB_OUT)"/holdfast*_*.ddeb "$(DEB_OUT)"/holdfast_*.changes "$(DEB_OUT)"/holdfast_*.buildinfo
	mv "$(DEB_OUT)"/src/holdfast*_* "$(DEB_OUT)/"
	rm -rf "$(DEB_OUT)/src"
	@for b in holdfastd holdfastctl; do \
	  ! ldd "$(CURDIR)/.build-deb/release/$$b" | grep -i swift || { echo "make deb: $$b links a Swift library from the toolchain" >&2; exit 1; }; \
	  ! strings "$(CURDIR)/.build-deb/release/$$b" | grep -q 'FoundationInternationalization\|icudt' || \
	    { echo "make deb: $$b links Foundation's ICU half (use FoundationEssentials, not Foundation)" >&2; exit 1; }; \
	done
	@ls -l "$(DEB_OUT)"/holdfast_*.deb
	@dpkg-deb -f "$(DEB_OUT)"/holdfast_*.deb Package Version Architecture Depends

# Tests the package in deb-out/ (lintian; install, run, remove, purge and upgrade in a clean
# Debian 12 debootstrap tree); see scripts/test-deb.sh.
test-deb: deps-deb
	scripts/test-deb.sh

# The OCI image holdfast-image_VERSION.tar (in $(IMAGE_OUT)/) from the package `make deb` builds, on a
# Debian 12 tree made by mmdebstrap, packed by umoci; see scripts/build-image.sh.
IMAGE_OUT ?= image-out
image: deps-image deb
	IMAGE_OUT="$(IMAGE_OUT)" scripts/build-image.sh

# Checks the image in $(IMAGE_OUT)/ (skopeo, umoci, podman: a question answered on port 53 by
# the non-root daemon); see scripts/test-image.sh. Not part of `make test` or CI.
test-image: deps-image
	IMAGE_OUT="$(IMAGE_OUT)" scripts/test-image.sh

# Resident bytes per cache entry of the release daemon (the figure behind the DaemonSet's memory).
measure-cache-memory: deps
	scripts/measure-cache-memory.sh

clean:
	$(SWIFT) package clean
