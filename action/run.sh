#!/usr/bin/env bash
# The action's "lab run" step: lab as root on the scenario files, reports into $LAB_OUT.
# In: LAB_SCENARIOS LAB_KERNEL LAB_BACKEND LAB_FORMAT LAB_OUT LAB_SHARD LAB_ARTIFACT LAB_CACHE_DIR.
# Out ($GITHUB_OUTPUT): report-dir, artifact. Exit: lab's (1 when an expectation failed).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=action/scenarios.sh
. "$here/scenarios.sh"
scenario_files
args=(run "${files[@]}" --format "$LAB_FORMAT" --out "$LAB_OUT")
if [ "${LAB_BACKEND:-host}" != host ]; then args+=(--backend "$LAB_BACKEND"); fi
read -r -d '' -a kernels <<<"${LAB_KERNEL:-host}" || true
for kernel in "${kernels[@]}"; do
  if [ "$kernel" != host ] || [ "${#kernels[@]}" -gt 1 ]; then args+=(--kernel "$kernel"); fi
done
artifact=${LAB_ARTIFACT:-}
if [ -n "${LAB_SHARD:-}" ]; then
  args+=(--shard "$LAB_SHARD")
  if [ -n "$artifact" ]; then artifact="$artifact-shard-${LAB_SHARD/\//-of-}"; fi
fi
echo "report-dir=$LAB_OUT" >>"$GITHUB_OUTPUT"
echo "artifact=$artifact" >>"$GITHUB_OUTPUT"
code=0
as_root "$GITHUB_ACTION_PATH/lab" "${args[@]}" || code=$?
# lab ran as root: what it wrote is handed back to the runner's user, so actions/cache and
# upload-artifact (which run as that user) can read and replace it.
if [ "$(id -u)" -ne 0 ]; then
  for d in "$LAB_OUT" "${LAB_CACHE_DIR:-}"; do
    if [ -n "$d" ] && [ -e "$d" ]; then as_root chown -R "$(id -u):$(id -g)" "$d"; fi
  done
fi
exit "$code"
