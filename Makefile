# netns-lab. `make run` and `make test` install what they need on a fresh Debian/Ubuntu machine
# (as root): Debian packages once, npm packages when package-lock.json changes.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

DEB_PACKAGES := iproute2 nftables socat iputils-ping tcpdump tshark
# The VM backend (QEMU, a busybox initramfs, Debian kernels fetched with apt-get download) and
# wireless scenarios (hwsim radios driven by iw, hostapd, wpa_supplicant; regulatory database).
DEB_PACKAGES += qemu-system-x86 busybox-static kmod xz-utils cpio iw hostapd wpasupplicant wireless-regdb
TAP := node_modules/.bin/tap

.PHONY: all deps deb npm build run test test-unit test-integration typecheck typecheck-tests schema docs clean distclean bench

all: build

deps: deb npm

# Installs only what is missing, so a machine that has everything makes no network call.
deb:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi

npm: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: npm
	node_modules/.bin/tsc -p tsconfig.json
	node dist/backends/vm/make-bundle.js

typecheck: npm typecheck-tests
	node_modules/.bin/tsc -p tsconfig.json --noEmit

# The tests with the code they test (tsconfig.test.json): tsx runs them without looking at types.
typecheck-tests: npm
	node_modules/.bin/tsc -p tsconfig.test.json

run: deps build
	./lab run

# lab against Mininet, the raw ip -batch floor and its speed targets (the table goes in the README).
# Only the bench installs Mininet (and the bridge tools its lxbr switch needs): a target-specific
# addition, so `make run` and `make test` never do. BENCHFLAGS: e.g. --json, --quick, --linear 20,50.
bench: DEB_PACKAGES += mininet bridge-utils
bench: deps build
	./lab bench $(BENCHFLAGS)

# tap takes test files, not folders, as arguments.
tests = $(shell find test/$(1) -name '*.test.ts' | sort)

# The suite's temporary files (the tests' and lab's own) go to a folder of the run's own, removed
# afterwards whatever the result: nothing is left in /tmp.
suite = tmp=$$(mktemp -d /tmp/lab-suite-XXXXXX); rc=0; TMPDIR=$$tmp $(TAP) $(TAPFLAGS) $(1) || rc=$$?; rm -rf $$tmp; exit $$rc

test: deps build typecheck-tests
	@$(call suite,$(call tests,unit) $(call tests,integration))

test-unit: npm typecheck-tests
	@$(call suite,$(call tests,unit))

test-integration: deps build
	@$(call suite,$(call tests,integration))

schema: npm
	node --import tsx src/model/write-schema.ts

# docs/reference/*.md from the code (src/docs/); test/unit/docs/reference.test.ts fails when stale.
docs: npm
	node --import tsx src/docs/generate.ts

clean:
	./lab clean 2>/dev/null || true
	rm -rf dist .tap

distclean: clean
	rm -rf node_modules
