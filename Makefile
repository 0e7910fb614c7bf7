# scangate build. Host binaries go to bin/, cross binaries to bin/linux-ARCH/.
# Every target works on a fresh Debian 12 machine after scripts/install-deps.sh
# (make test installs its own tool chain: install-deps.sh --test).

# Go: the go on PATH if it is new enough for go.mod, else the one
# scripts/install-go.sh installs in $(SCANGATE_GO_ROOT) (default /usr/local/go).
# GO=... on the command line or in the environment wins.
ifeq ($(origin GO),undefined)
GO := $(shell bash scripts/install-go.sh --find --quiet 2>/dev/null)
ifeq ($(GO),)
# None yet: install-deps.sh puts one in the root (make test runs it first),
# so look again when a recipe needs it.
GO_ROOT := $(or $(SCANGATE_GO_ROOT),/usr/local/go)
export PATH := $(GO_ROOT)/bin:$(PATH)
GO = $(or $(shell test -x '$(GO_ROOT)/bin/go' && echo '$(GO_ROOT)/bin/go'),$(error no Go toolchain new enough for go.mod: run `bash scripts/install-deps.sh` (or `bash scripts/install-go.sh`) as root))
else ifneq ($(GO),$(shell command -v go 2>/dev/null))
# Not the go on PATH: put it first for the scripts the targets run.
export PATH := $(patsubst %/,%,$(dir $(GO))):$(PATH)
endif
endif
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
# sqlite_omit_load_extension: no dlopen, so the static ARMv6 build links cleanly.
TAGS      ?= sqlite_omit_load_extension
LDFLAGS   ?= -s -w -X github.com/scangate/scangate/version.Version=$(VERSION)
CMDS      := scangate scangated
STATICCHECK ?= $(shell $(GO) env GOPATH)/bin/staticcheck

.PHONY: all build test unit lint cross cross-smoke bench demo clean buildroot-check image-check rauc-devkeys vmtest

all: build

# The extension fonts fonts/ embeds for rare characters in names (CJK
# Extension A and B), cut from Debian's fonts-hanazono (pinned by SHA-256);
# generated, not committed (26 MB): docs/cards.md. Every build that links
# fonts/ (cards, the kiosk's screen) depends on them.
FONTS_STAMP := fonts/ext/.stamp
$(FONTS_STAMP): scripts/fonts.sh fonts/internal/mkext/main.go fonts/internal/subset/subset.go
	GO='$(GO)' bash scripts/fonts.sh
.PHONY: fonts
fonts: $(FONTS_STAMP)

build: fonts
	@mkdir -p bin
	$(GO) build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

# The whole suite: vet, staticcheck, race-enabled tests (fuzz seed corpora run
# as ordinary tests), then the cross binaries under qemu-user.
test: test-deps lint portable unit cross-smoke image-check buildroot-check vmtest imagetest

# The test tool chain (cross compilers, QEMU, Chromium, image tools,
# staticcheck): installed by the test command, not by the demo's set-up.
# Root only when something is missing. First in test's list (no make -j).
.PHONY: test-deps
test-deps:
	bash scripts/install-deps.sh --test

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet -tags '$(TAGS)' ./...
	$(STATICCHECK) -tags '$(TAGS)' ./...
	shellcheck $$(git ls-files '*.sh') .ci/run
	$(GO) mod tidy -diff

unit: fonts
	$(GO) test -race -tags '$(TAGS)' -timeout 20m ./...

# The decision, decoder, display, card format and trust data are pure Go:
# they build for another OS without cgo (internal/deptest keeps them so).
PORTABLE := ./door ./downlink ./gate ./scanner ./display ./voice ./idcode ./trust ./clock
.PHONY: portable
portable: fonts
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(PORTABLE)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build $(PORTABLE)
	$(GO) test -tags '$(TAGS) kiosk' ./cmd/scangate

# Raspberry Pi targets. cgo is needed by go-sqlite3. Debian's armhf runtime is
# ARMv7-only, so ARMv6 (Pi Zero/1) links statically against armel's libc.
cross: bin/linux-arm64/scangate bin/linux-armv7/scangate bin/linux-armv6/scangate bin/linux-arm64/kiosk/scangate

# The kiosk image's CLI: cmd/scangate with the kiosk tag (no issuing, keys or
# collector; see cmd/scangate/main.go).
bin/linux-arm64/kiosk/scangate: FORCE $(FONTS_STAMP)
	@mkdir -p $(@D)
	CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc \
	  $(GO) build -tags '$(TAGS) kiosk' -ldflags '$(LDFLAGS)' -o $@ ./cmd/scangate

bin/linux-arm64/scangate: FORCE $(FONTS_STAMP)
	@mkdir -p $(@D)
	CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc \
	  $(GO) build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(@D)/ ./cmd/...

bin/linux-armv7/scangate: FORCE $(FONTS_STAMP)
	@mkdir -p $(@D)
	CGO_ENABLED=1 GOOS=linux GOARCH=arm GOARM=7 CC=arm-linux-gnueabihf-gcc \
	  $(GO) build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(@D)/ ./cmd/...

bin/linux-armv6/scangate: FORCE $(FONTS_STAMP)
	@mkdir -p $(@D)
	CGO_ENABLED=1 GOOS=linux GOARCH=arm GOARM=6 CC=arm-linux-gnueabi-gcc \
	  $(GO) build -tags '$(TAGS) osusergo netgo' -ldflags '$(LDFLAGS) -linkmode external -extldflags -static' -o $(@D)/ ./cmd/...

# Where Debian's own arm64 libc is installed (make imagetest installs arm64
# -dev packages to build RAUC), the cross prefix would pair the cross
# toolchain's ld.so with the native libc and qemu-aarch64 spins for ever:
# the native loader is used then.
ARM64_PREFIX := $(if $(wildcard /lib/ld-linux-aarch64.so.1),,-L /usr/aarch64-linux-gnu)
ARMHF_PREFIX := $(if $(wildcard /lib/ld-linux-armhf.so.3),,-L /usr/arm-linux-gnueabihf)

cross-smoke: cross
	timeout -s KILL 120 qemu-aarch64 $(ARM64_PREFIX) bin/linux-arm64/scangate version
	timeout -s KILL 120 qemu-aarch64 $(ARM64_PREFIX) bin/linux-arm64/scangated --version
	timeout -s KILL 120 qemu-aarch64 $(ARM64_PREFIX) bin/linux-arm64/kiosk/scangate version
	timeout -s KILL 120 qemu-arm $(ARMHF_PREFIX) bin/linux-armv7/scangate version
	timeout -s KILL 120 qemu-arm bin/linux-armv6/scangate version
	file bin/linux-armv6/scangate | grep -q 'statically linked'

bench:
	bash scripts/bench.sh

demo: build
	bash scripts/demo.sh

vmtest:
	bash scripts/vmtest.sh

# The SD card image booted under qemu-system-aarch64: U-Boot from Debian's
# source with the project's fragment, A/B updates, rollback, power cuts.
# Boot waits stretch while the guest's console still prints (TCG on a
# loaded CI host ran one boot 7x slower than here; imagetest/host/patience.go).
.PHONY: imagetest
imagetest:
	bash scripts/imagetest.sh

clean:
	rm -rf bin var demo

FORCE:

# Buildroot external tree: defconfig round trips and check-package against
# BUILDROOT_DIR (skips without it); image layout and RAUC bundle with
# Debian's genimage and rauc; development RAUC keys (never committed).
buildroot-check:
	BUILDROOT_DIR='$(BUILDROOT_DIR)' sh scripts/buildroot-check.sh

image-check:
	sh scripts/image-check.sh

rauc-devkeys:
	sh buildroot/board/scangate/rauc-devkeys.sh buildroot/board/scangate/rauc-keys
