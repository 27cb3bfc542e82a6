#!/usr/bin/env bash
# Recompile the hash-pinned locks from requirements.in (runtime) and requirements-dev.in (tests and
# tooling) with pip-tools, installed into a throwaway virtualenv so it never enters the project's own.
# Run after changing a .in file; `scripts/lock.sh --upgrade` also moves every pin to the newest release the
# bounds allow (then run scripts/test.sh before committing the new locks).
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="$(mktemp -d)"
trap 'rm -rf "$TOOLS"' EXIT
python3 -m venv "$TOOLS"
"$TOOLS/bin/pip" install --quiet --disable-pip-version-check "pip-tools==7.6.2"

compile() {
  CUSTOM_COMPILE_COMMAND="scripts/lock.sh" "$TOOLS/bin/pip-compile" --quiet --generate-hashes --allow-unsafe \
    --strip-extras --no-emit-index-url --no-emit-find-links "$@"
}
compile "$@" --output-file requirements.txt requirements.in
compile "$@" --output-file requirements-dev.txt requirements-dev.in
