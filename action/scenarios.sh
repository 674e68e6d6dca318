# Sourced by the action's steps: the scenario files named by $LAB_SCENARIOS (files or globs,
# relative to the workspace, separated by spaces or newlines) into the array `files`.
# A pattern that matches nothing is an error (exit 2), not an empty run.
scenario_files() {
  shopt -s nullglob globstar
  files=()
  local patterns pattern matches
  # Inputs arrive in the environment, never pasted into the script.
  read -r -d '' -a patterns <<<"${LAB_SCENARIOS:-}" || true
  for pattern in "${patterns[@]}"; do
    # shellcheck disable=SC2206 # the pattern is meant to be expanded as a glob
    matches=($pattern)
    if [ "${#matches[@]}" -eq 0 ]; then
      echo "::error::no scenario file matches '$pattern'"
      exit 2
    fi
    files+=("${matches[@]}")
  done
}

# `sudo -E env PATH=…` when not root: sudo resets PATH (secure_path), and -E keeps GITHUB_* and LAB_*.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -E env "PATH=$PATH" "$@"; fi
}
