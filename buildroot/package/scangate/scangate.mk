################################################################################
#
# scangate
#
################################################################################

# The package is built from the repository that holds this external tree.
SCANGATE_SITE = $(BR2_EXTERNAL_SCANGATE_PATH)/..
SCANGATE_SITE_METHOD = local
SCANGATE_LICENSE = Proprietary
SCANGATE_GOMOD = github.com/scangate/scangate
SCANGATE_BUILD_TARGETS = cmd/scangated cmd/scangate
# Same tags and flags as the repository's Makefile: no dlopen in go-sqlite3;
# kiosk: the image's scangate CLI carries only the kiosk's commands (status,
# present, selftest, decode, verify, version), not issuing or the collector.
SCANGATE_TAGS = sqlite_omit_load_extension kiosk
SCANGATE_VERSION_STRING = \
	$(shell git -C $(SCANGATE_SITE) describe --always --dirty 2>/dev/null || echo custom)
SCANGATE_LDFLAGS = -s -w \
	-X github.com/scangate/scangate/version.Version=$(SCANGATE_VERSION_STRING)
# Build outputs, the Buildroot tree and any vendor/ left in the checkout
# are not sources of the binaries.
SCANGATE_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude=/bin/ --exclude=/var/ --exclude=/demo/ \
	--exclude=/vendor/ --exclude=/buildroot/ --exclude=/.cache/

# A local package has no download step, so the golang infrastructure's
# download post-process ("go mod vendor" on the downloaded tarball) never
# runs, while the build runs with GOFLAGS=-mod=vendor GOPROXY=off. So the
# modules named by go.mod/go.sum are fetched here, as part of
# "make scangate-source" (and so "make source"), into a module cache in
# DL_DIR; the configure step then vendors them from that cache with the
# network off. After "make source" on a connected machine, the build needs
# no network.
SCANGATE_GOMODCACHE = $(SCANGATE_DL_DIR)/gomodcache
SCANGATE_MODULES_STAMP = $(SCANGATE_GOMODCACHE)/.stamp_scangate_modules
# go.sum pins the hash of every module, so a proxy cannot substitute code.
SCANGATE_GOPROXY ?= https://proxy.golang.org,direct

$(SCANGATE_MODULES_STAMP): $(SCANGATE_SITE)/go.mod $(SCANGATE_SITE)/go.sum | host-go
	@$(call MESSAGE,"Downloading Go modules")
	rm -rf $(SCANGATE_DL_DIR)/gomod-work
	mkdir -p $(SCANGATE_DL_DIR)/gomod-work $(SCANGATE_GOMODCACHE)
	cp $(SCANGATE_SITE)/go.mod $(SCANGATE_SITE)/go.sum $(SCANGATE_DL_DIR)/gomod-work/
	cd $(SCANGATE_DL_DIR)/gomod-work && \
		$(HOST_GO_COMMON_ENV) GOFLAGS=-modcacherw \
		GOMODCACHE=$(SCANGATE_GOMODCACHE) GOPROXY=$(SCANGATE_GOPROXY) \
		$(GO_BIN) mod download
	rm -rf $(SCANGATE_DL_DIR)/gomod-work
	touch $@

scangate-source: $(SCANGATE_MODULES_STAMP)

# Rare characters in names (CJK Extension A and B) need the extension
# fonts that scripts/fonts.sh cuts from Debian's fonts-hanazono; they are
# not in git (docs/cards.md). A local package has no download step, so the
# .deb is fetched here with the modules (SHA-256 pinned, as in fonts.sh)
# and cut in the configure step, so no image lacks them.
SCANGATE_FONTS_DEB = fonts-hanazono_20170904-2.1_all.deb
SCANGATE_FONTS_URL = https://deb.debian.org/debian/pool/main/f/fonts-hanazono/$(SCANGATE_FONTS_DEB)
SCANGATE_FONTS_SHA256 = a6943366b4f5a6cec34221f8b4eb22555a628f0ee6ef4e3d3401cabe9363aeae

$(SCANGATE_DL_DIR)/$(SCANGATE_FONTS_DEB):
	@$(call MESSAGE,"Downloading the extension fonts")
	mkdir -p $(SCANGATE_DL_DIR)
	$(call qstrip,$(BR2_WGET)) -O $@.tmp $(SCANGATE_FONTS_URL)
	echo "$(SCANGATE_FONTS_SHA256)  $@.tmp" | sha256sum -c --status || \
		{ rm -f $@.tmp; echo "$(SCANGATE_FONTS_DEB): not the pinned SHA-256" >&2; exit 1; }
	mv $@.tmp $@

scangate-source: $(SCANGATE_DL_DIR)/$(SCANGATE_FONTS_DEB)

define SCANGATE_VENDOR_MODULES
	cd $(@D) && $(HOST_GO_COMMON_ENV) GOFLAGS=-modcacherw GOPROXY=off \
		GOMODCACHE=$(SCANGATE_GOMODCACHE) $(GO_BIN) mod vendor
endef
SCANGATE_PRE_CONFIGURE_HOOKS += SCANGATE_VENDOR_MODULES

define SCANGATE_EXTENSION_FONTS
	cd $(@D) && $(HOST_GO_COMMON_ENV) GOFLAGS=-mod=vendor GOPROXY=off GO=$(GO_BIN) \
		bash scripts/fonts.sh --deb $(SCANGATE_DL_DIR)/$(SCANGATE_FONTS_DEB)
endef
SCANGATE_PRE_CONFIGURE_HOOKS += SCANGATE_EXTENSION_FONTS

# The daemon's own user: only the device groups it needs (camera, serial
# and HID scanners, GPIO, I2C/SPI screens, sound). Root stays locked.
# A fixed gid: /etc/fstab gives it write access to the FAT boot partition
# (scangate-error.txt), and vfat takes only numbers.
SCANGATE_USERS = scangate 1990 scangate 1990 * /data/scangate - video,dialout,input,gpio,i2c,spi,audio scangate kiosk

define SCANGATE_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(SCANGATE_PKGDIR)/scangated.service \
		$(TARGET_DIR)/usr/lib/systemd/system/scangated.service
endef

$(eval $(golang-package))

# Building without a prior "make source" fetches the modules first.
$(SCANGATE_TARGET_CONFIGURE): | $(SCANGATE_MODULES_STAMP) $(SCANGATE_DL_DIR)/$(SCANGATE_FONTS_DEB)
