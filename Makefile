# containerd-shim-kata-v2 in Swift. `make help` lists the targets.
SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
# Shipped binaries: release, fully static, in their own scratch path so that
# switching between them and the debug test build never rebuilds either.
STATIC_SCRATCH ?= .build-static
STATIC_FLAGS = -c release --scratch-path $(STATIC_SCRATCH) -Xswiftc -static-executable
STATIC_BIN = $(STATIC_SCRATCH)/release
PRODUCTS = ttrpc-bench kata-agent containerd-shim-kata-v2 kata-runtime kata-snapshotter

.PHONY: help build release test test-unit test-static proto bench install clean guest demo installer-image

help:
	@echo "make build      debug build of everything (what the tests use)"
	@echo "make release    static release binaries in $(STATIC_BIN)"
	@echo "make test       the whole test suite (what .ci/run runs)"
	@echo "make proto      regenerate Sources/Protocols/Generated and Sources/SnapshotsProtocol/Generated from proto/"
	@echo "make bench      benchmarks, side by side with containerd's runc shim"
	@echo "make install    install the static binaries into \$$(DESTDIR)\$$(PREFIX)/bin"
	@echo "make guest      development guest (kernel, nvdimm image, initrd) in build/guest"
	@echo "make installer-image  the node installer image (OCI layout) in $(INSTALLER_IMAGE_DIR)"
	@echo "make demo       a container in a VM through a private containerd (guest and host kernel)"

build:
	$(SWIFT) build --build-tests

# Only the shipped products: building everything statically would also link
# the Foundation-based bench tools.
release:
	for p in $(PRODUCTS); do $(SWIFT) build $(STATIC_FLAGS) --product $$p || exit 1; done

# The VM tests boot build/guest, which carries the release build's agent.
test: guest test-unit test-static

# protoc-gen-swift and protoc-gen-grpc-swift-2 (same configuration, share
# SwiftProtobuf) feed the test that fails when the committed generated code is stale.
test-unit:
	$(SWIFT) build --build-tests
	$(SWIFT) build --product protoc-gen-swift
	$(SWIFT) build --product protoc-gen-grpc-swift-2
	$(SWIFT) test --skip-build

# The release binaries are static and run in an empty chroot; the installer
# image's kata-runtime installs and uninstalls in a chroot into the image.
test-static: release
	bash hack/test-static.sh $(STATIC_BIN) $(PRODUCTS)
	bash hack/test-installer-image.sh $(STATIC_BIN)

proto:
	bash hack/protogen.sh Sources/Protocols/Generated
	bash hack/protogen.sh --snapshots Sources/SnapshotsProtocol/Generated

bench: guest
	bash bench/run.sh $(STATIC_BIN)

# The README's main command: everything local and private (hack/demo.sh).
demo:
	bash hack/demo.sh

# The DaemonSet's image (configuration/installer/daemonset.yaml), built with
# umoci as an OCI layout and archive; carries build/guest when it exists.
INSTALLER_IMAGE_DIR ?= build/installer-image
installer-image: release
	bash hack/installer-image.sh $(STATIC_BIN) $(INSTALLER_IMAGE_DIR)

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	for p in $(PRODUCTS); do install -m 0755 $(STATIC_BIN)/$$p $(DESTDIR)$(PREFIX)/bin/$$p; done

# The development guest: hack/guest/README.md. It carries the release build's
# kata-agent; GUEST_AGENT=/path installs that file instead and skips the
# release build. Kernel and images are cached outside the tree
# (KATA_GUEST_CACHE, default /var/cache/kata-shim-guest).
GUEST_AGENT ?=
guest: $(if $(GUEST_AGENT),,release)
	bash hack/guest/build.sh --agent $(or $(GUEST_AGENT),$(STATIC_BIN)/kata-agent) --out build/guest

clean:
	rm -rf .build $(STATIC_SCRATCH)
