#!/usr/bin/env bash
# The action's "dependencies" step: which Debian package groups of the Makefile this run needs
# (DEB_RUN always; DEB_PCAP for the pcaps in `out`; DEB_VM when a kernel other than the runner's
# boots a VM; DEB_WIRELESS when a scenario has a wireless link), installs the missing ones, and
# names the kernel cache for actions/cache. A runner that has them all makes no apt call;
# LAB_DEPS_DRY_RUN=1 only says what it would install.
# In: LAB_SCENARIOS LAB_BACKEND LAB_KERNEL LAB_OUT LAB_WIRELESS (auto|true|false), GITHUB_*.
# Out ($GITHUB_OUTPUT): groups, packages, missing, vm, cache-dir, kernel-cache-key, kernel-cache-restore.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=action/scenarios.sh
. "$here/scenarios.sh"
scenario_files

vm=false
read -r -d '' -a kernels <<<"${LAB_KERNEL:-host}" || true
for k in "${kernels[@]}"; do
  if [ "$k" != host ]; then vm=true; fi
done
if [ "${LAB_BACKEND:-host}" = vm ]; then vm=true; fi

wireless=${LAB_WIRELESS:-auto}
if [ "$wireless" = auto ]; then
  wireless=false
  for f in "${files[@]}"; do
    if grep -Eq '^[^#]*type:[[:space:]]*wireless' "$f"; then wireless=true; break; fi
  done
fi

groups=(RUN)
if [ -n "${LAB_OUT:-}" ]; then groups+=(PCAP); fi
if [ "$vm" = true ]; then groups+=(VM); fi
if [ "$wireless" = true ]; then groups+=(WIRELESS); fi
mapfile -t packages < <(make -s -C "$GITHUB_ACTION_PATH" deb-names GROUPS="${groups[*]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  done_line="all ${#packages[@]} packages were installed already"
elif [ "${LAB_DEPS_DRY_RUN:-}" = 1 ]; then
  done_line="would install ${missing[*]} (dry run)"
else
  echo "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  done_line="installed ${missing[*]}"
fi
echo "$done_line"

# The VM's kernels (extracted packages, initramfs) outlive the job in actions/cache: a directory
# the runner's user owns (lab runs as root and writes into it; run.sh gives it back).
cache_dir=${LAB_CACHE_DIR:-${HOME:-/root}/.cache/netns-lab}
spec=$(printf '%s' "${kernels[*]}" | tr -c 'A-Za-z0-9.+_-' '_')
# A month in the key: `debian` or `ubuntu` move to a new release now and then, and a hit is never re-saved.
prefix="lab-kernels-v1-${RUNNER_OS:-Linux}-${ImageOS:-unknown}-$spec-"
lower=$(printf '%s' "${groups[*]}" | tr 'A-Z' 'a-z')
{
  echo "groups=$lower"
  echo "packages=${packages[*]}"
  echo "missing=${missing[*]}"
  echo "vm=$vm"
  echo "cache-dir=$cache_dir"
  echo "kernel-cache-key=$prefix$(date -u +%Y-%m)"
  echo "kernel-cache-restore=$prefix"
} >>"$GITHUB_OUTPUT"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    echo "### lab: dependencies"
    echo
    echo "backend ${LAB_BACKEND:-host}, kernel ${LAB_KERNEL:-host}: groups $lower; $done_line."
    echo
  } >>"$GITHUB_STEP_SUMMARY"
fi
