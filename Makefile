# netns-lab. `make run` and `make test` install what they need on a fresh Debian/Ubuntu machine
# (as root): Debian packages once, npm packages when package-lock.json changes.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# What the default scenario needs (`make run`, the host backend): the rest is installed by the
# target that needs it, and lab names the package and target when one is missing (exit 3,
# src/backends/packages.ts). perl-base, util-linux and findutils are Essential on Debian.
DEB_RUN := iproute2 nftables socat iputils-ping perl-base util-linux findutils
# --out DIR: a pcap per device per case.
DEB_PCAP := tcpdump
# Wireless scenarios: hwsim radios driven by iw, hostapd and wpa_supplicant; regulatory database;
# modprobe for mac80211_hwsim. (The radios' monitors are captured by lab's agents: no tcpdump.)
DEB_WIRELESS := iw hostapd wpasupplicant wireless-regdb kmod
# The VM backend: QEMU, a busybox initramfs, Debian kernels fetched with apt-get download and read
# with depmod/modprobe (kmod) and xz.
DEB_VM := qemu-system-x86 busybox-static kmod xz-utils
# The bench: Mininet and the bridge tools its lxbr switch needs.
DEB_BENCH := mininet bridge-utils
# The tests: all of the above but the bench; tshark reads the pcaps lab writes, cpio its initramfs, ps its processes,
# sudo runs the action's steps as a runner's user does (test/integration/action.test.ts).
DEB_TEST := $(DEB_RUN) $(DEB_PCAP) $(DEB_WIRELESS) $(DEB_VM) tshark cpio procps sudo
TAP := node_modules/.bin/tap

.PHONY: deb-names all deps deps-pcap deps-wireless deps-vm deps-bench deps-test npm build run test test-unit test-integration typecheck typecheck-tests schema docs agent clean distclean bench

all: build

deps: npm
	@$(call deb,$(DEB_RUN))
deps-pcap:
	@$(call deb,$(DEB_PCAP))
deps-wireless:
	@$(call deb,$(DEB_WIRELESS))
deps-vm:
	@$(call deb,$(DEB_VM))
deps-bench:
	@$(call deb,$(DEB_BENCH))
deps-test: npm
	@$(call deb,$(DEB_TEST))

# The Debian packages of some groups, one per line, each once: `make -s deb-names GROUPS="RUN VM"`
# (the GitHub action installs only the groups its inputs need, action/deps.sh).
deb-names:
	@printf '%s\n' $(foreach g,$(GROUPS),$(DEB_$(g))) | awk 'NF && !seen[$$0]++'

# Installs only what is missing, so a machine that has everything makes no network call.
# tshark's debconf question (may non-root users capture?) is answered by DEBIAN_FRONTEND.
deb = missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
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

# lab against Mininet, the raw ip -batch floor and its speed targets (docs/design/performance.md).
# Only the bench installs Mininet (and the bridge tools its lxbr switch needs), so `make run` and
# `make test` never do. BENCHFLAGS: e.g. --json, --quick, --linear 20,50.
bench: deps deps-bench build
	./lab bench $(BENCHFLAGS)

# tap takes test files, not folders, as arguments.
tests = $(shell find test/$(1) -name '*.test.ts' | sort)

# The suite's temporary files (the tests' and lab's own) go to a folder of the run's own, removed
# afterwards whatever the result: nothing is left in /tmp.
suite = tmp=$$(mktemp -d /tmp/lab-suite-XXXXXX); rc=0; TMPDIR=$$tmp $(TAP) $(TAPFLAGS) $(1) || rc=$$?; rm -rf $$tmp; exit $$rc

test: deps-test build typecheck-tests
	@$(call suite,$(call tests,unit) $(call tests,integration))

test-unit: npm typecheck-tests
	@$(call suite,$(call tests,unit))

test-integration: deps-test build
	@$(call suite,$(call tests,integration))

schema: npm
	node --import tsx src/docs/write-schema.ts

# src/agent/programs.ts from the perl sources (src/agent/*.pl); test/unit/agent/programs.test.ts
# fails when stale. A generated module, not a file read at run time: dist/, the VM's bundle and
# the tests run from source (tsx) all get the text the same way (docs/agent-protocol.md).
agent: npm
	node --import tsx src/agent/write-programs.ts

# docs/reference/*.md from the code (src/docs/); test/unit/docs/reference.test.ts fails when stale.
docs: npm
	node --import tsx src/docs/generate.ts

clean:
	./lab clean 2>/dev/null || true
	rm -rf dist .tap

distclean: clean
	rm -rf node_modules
