# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/dev.sh: installs what the gateway's
# tests and local stack need and the machine lacks. Debian/Ubuntu only.
#
#   install_system_packages   prosody, redis-server, redis-tools, swaks, prometheus (promtool) and chromium
#                             via apt-get, only if missing; `--no-browser` leaves chromium out (dev.sh)
#   ensure_node_modules       npm ci when node_modules is missing or stale

# Runs "$@" as root: directly when we are root, else through sudo when it exists.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: '$*' needs root and sudo is not installed; run it as root" >&2
    return 1
  fi
}

install_system_packages() {
  local missing=() browser=1
  if [ "${1:-}" = "--no-browser" ]; then browser=""; fi
  command -v prosody >/dev/null 2>&1 || missing+=(prosody)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  # redis-cli (Debian's redis-tools): the Cluster e2e test creates its cluster with `redis-cli --cluster create`.
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  # promtool (Debian's prometheus package) checks and tests the shipped alert rules.
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  # swaks: the independent SMTP client the email tests deliver mail with.
  command -v swaks >/dev/null 2>&1 || missing+=(swaks)
  # chromium: the headless browser the sandbox console's e2e test drives (playwright-core, test/support/browser.ts).
  if [ -n "$browser" ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
  [ "${#missing[@]}" -eq 0 ] && return 0

  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
    return 1
  fi
  echo "==> installing ${missing[*]} (apt-get)"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

  # On a machine running systemd, Debian's prosody package starts its own
  # service on 5222/5269/5347 with /etc/prosody's config. Tests and
  # scripts/dev.sh start Prosody with their own config, so a service we just
  # installed is only in the way of dev.sh's default ports: stop and disable it.
  # (A prosody that was installed before is left alone.)
  if [[ " ${missing[*]} " == *" prosody "* ]] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    echo "==> disabling the prosody system service the package started (this project runs its own)"
    as_root systemctl disable --now prosody >/dev/null 2>&1 || true
  fi
  # Likewise the prometheus package starts a server on :9090; the tests only need promtool.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    as_root systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
  fi
}

# npm ci when node_modules is missing or older than package-lock.json.
ensure_node_modules() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "==> npm ci"
    npm ci
  fi
}
