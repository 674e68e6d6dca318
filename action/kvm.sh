#!/usr/bin/env bash
# The action's "enable KVM" step: hosted runners have /dev/kvm, but only root may open it until
# this udev rule is in place. Without /dev/kvm the VM runs under TCG (slower, still correct).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=action/scenarios.sh
. "$here/scenarios.sh"
if [ -e /dev/kvm ]; then
  echo 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"' | as_root tee /etc/udev/rules.d/99-kvm4all.rules >/dev/null
  as_root udevadm control --reload-rules
  as_root udevadm trigger --name-match=kvm
  echo "accel=kvm" >>"$GITHUB_OUTPUT"
else
  echo "no /dev/kvm on this runner: the VM runs without acceleration (slower)"
  echo "accel=tcg" >>"$GITHUB_OUTPUT"
fi
