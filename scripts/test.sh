#!/usr/bin/env bash
# The one test command (README, CI): installs Prosody, Redis (and Chromium,
# for the sandbox console's browser test) if missing,
# installs node modules if needed, builds, then runs every test tier.
# Extra arguments go to vitest, e.g. `./scripts/test.sh test/unit` or
# `./scripts/test.sh --project e2e`.
#
# Tests start their own Prosody (and, where they stop Redis, their own
# redis-server) on free loopback ports, so a system Prosody or Redis on the
# default ports does not get in their way.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=lib/install-deps.sh
source scripts/lib/install-deps.sh
install_system_packages
ensure_node_modules

npm run build
exec npx vitest run "$@"
