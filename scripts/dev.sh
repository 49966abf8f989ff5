#!/usr/bin/env bash
# A complete local stack for trying the gateway: Redis, Prosody with the
# gateway's three components (sms, mail, hooks; all on the sandbox provider),
# two users, and the gateway itself in the foreground.
#
#   ./scripts/dev.sh          set up, start, run the gateway (Ctrl-C stops it,
#                             and the Prosody this script started)
#   ./scripts/dev.sh stop     stop the Prosody and Redis that dev.sh started
#
# A Redis that dev.sh starts keeps running after the gateway stops (it holds
# the queued messages); `./scripts/dev.sh stop` stops it.
#
# Environment:
#   XMPP_C2S_PORT        Prosody's client port        (default 5222)
#   XMPP_COMPONENT_PORT  Prosody's component port     (default 5347)
#   DEV_STACK_DRY_RUN=1  set everything up and start Prosody/Redis, print the
#                        gateway command instead of running it, and leave the
#                        stack running (stop it with `./scripts/dev.sh stop`)
#
# State lives in .stack/ (gitignored): configs, data, logs, and the generated
# passwords and secrets, which reruns reuse. Delete .stack/ to start afresh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
STACK="$ROOT/.stack"
C2S_PORT="${XMPP_C2S_PORT:-5222}"
COMPONENT_PORT="${XMPP_COMPONENT_PORT:-5347}"
PROSODY_DIR="$STACK/prosody"
PROSODY_CFG="$STACK/prosody.cfg.lua"
PROSODY_PID="$PROSODY_DIR/prosody.pid"
REDIS_DIR="$STACK/redis"
REDIS_PID="$REDIS_DIR/redis.pid"

# --- helpers -------------------------------------------------------------

random_hex() { head -c "${1:-16}" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# True when a Redis answers PING on 127.0.0.1:$1.
redis_answers() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; printf 'PING\r\n' >&3; IFS= read -r line <&3; [[ \$line == +PONG* ]]" 2>/dev/null
}

# True when the pid in file $1 is a live process whose command line contains
# $2 (so a stale pidfile whose pid was reused does not count).
pid_alive() {
  [ -f "$1" ] || return 1
  local pid
  pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null && ps -o args= -p "$pid" 2>/dev/null | grep -q -- "$2"
}

stop_pidfile() {
  local name="$1" file="$2" command="$3"
  if pid_alive "$file" "$command"; then
    echo "==> stopping $name (pid $(cat "$file"))"
    kill -TERM "$(cat "$file")"
    for _ in $(seq 50); do pid_alive "$file" "$command" || break; sleep 0.1; done
  fi
  rm -f "$file"
}

if [ "${1:-}" = "stop" ]; then
  stop_pidfile Prosody "$PROSODY_PID" prosody
  stop_pidfile Redis "$REDIS_PID" redis-server
  exit 0
fi

# --- dependencies and build ----------------------------------------------

# shellcheck source=lib/install-deps.sh
source scripts/lib/install-deps.sh
install_system_packages --no-browser # the browser is for the console's e2e test only
ensure_node_modules
echo "==> npm run build"
npm run build

mkdir -p "$STACK" "$PROSODY_DIR/data" "$PROSODY_DIR/certs" "$REDIS_DIR"

# --- generated secrets, kept across reruns -------------------------------

if [ ! -f "$STACK/secrets.env" ]; then
  {
    echo "SMS_SECRET=$(random_hex)"
    echo "MAIL_SECRET=$(random_hex)"
    echo "HOOKS_SECRET=$(random_hex)"
    echo "GATEWAY_ADMIN_TOKEN=$(random_hex 24)"
  } >"$STACK/secrets.env"
  chmod 600 "$STACK/secrets.env"
fi
if [ ! -f "$STACK/credentials" ]; then
  {
    echo "alice=$(random_hex 8)"
    echo "bob=$(random_hex 8)"
  } >"$STACK/credentials"
  chmod 600 "$STACK/credentials"
fi
# Values are hex: safe to source.
# shellcheck disable=SC1091
source "$STACK/secrets.env"
ALICE_PASSWORD="$(sed -n 's/^alice=//p' "$STACK/credentials")"
BOB_PASSWORD="$(sed -n 's/^bob=//p' "$STACK/credentials")"

# --- Redis ---------------------------------------------------------------

if redis_answers 6379; then
  echo "==> Redis already answers on 127.0.0.1:6379; using it"
else
  echo "==> starting redis-server on 127.0.0.1:6379 (data in .stack/redis)"
  redis-server --daemonize yes --port 6379 --bind 127.0.0.1 --dir "$REDIS_DIR" \
    --appendonly yes --pidfile "$REDIS_PID" --logfile "$REDIS_DIR/redis.log"
  for _ in $(seq 50); do redis_answers 6379 && break; sleep 0.1; done
  redis_answers 6379 || { echo "error: redis-server did not come up; see $REDIS_DIR/redis.log" >&2; exit 1; }
fi

# --- Prosody -------------------------------------------------------------

new_cfg="$(mktemp)"
cat >"$new_cfg" <<EOF
-- Written by scripts/dev.sh for a local trial of xmpp-gateway.
-- FOR LOCAL TRIAL ONLY: clients may log in with plain-text passwords over an
-- unencrypted connection, and everything listens on 127.0.0.1 only.
data_path = "$PROSODY_DIR/data"
certificates = "$PROSODY_DIR/certs"
log = { { levels = { min = "info" }, to = "file", filename = "$PROSODY_DIR/prosody.log" } }

-- mod_posix is left out so Prosody runs in the foreground as whoever runs
-- this script (as root it refuses to start once mod_posix loads).
modules_enabled = { "roster", "saslauth", "disco", "ping", "presence", "message", "iq", "version", "offline" }
modules_disabled = { "posix", "s2s", "tls", "admin_socket" }

c2s_ports = { $C2S_PORT }
c2s_interfaces = { "127.0.0.1" }
component_ports = { $COMPONENT_PORT }
component_interfaces = { "127.0.0.1" }
s2s_ports = { }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
http_ports = { }
https_ports = { }

-- Local trial only: no TLS, plain-text passwords.
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"

VirtualHost "localhost"

-- The gateway's components (XEP-0114); secrets match .stack/gateway.yaml.
Component "sms.localhost"
	component_secret = "$SMS_SECRET"
Component "mail.localhost"
	component_secret = "$MAIL_SECRET"
Component "hooks.localhost"
	component_secret = "$HOOKS_SECRET"
EOF

# Accounts in internal_plain's own format (data/<host>/accounts/<user>.dat);
# Prosody reads them at login, so this works while it runs too.
mkdir -p "$PROSODY_DIR/data/localhost/accounts"
for user in alice bob; do
  password_var="${user^^}_PASSWORD"
  printf 'return {\n\t["password"] = "%s";\n};\n' "${!password_var}" >"$PROSODY_DIR/data/localhost/accounts/$user.dat"
done

started_prosody=""
if pid_alive "$PROSODY_PID" prosody && cmp -s "$new_cfg" "$PROSODY_CFG"; then
  echo "==> Prosody from an earlier dev.sh is running (pid $(cat "$PROSODY_PID")); using it"
  rm -f "$new_cfg"
else
  stop_pidfile Prosody "$PROSODY_PID" prosody
  mv "$new_cfg" "$PROSODY_CFG"
  for port in "$C2S_PORT" "$COMPONENT_PORT"; do
    if port_open "$port"; then
      cat >&2 <<EOF
error: something else already listens on 127.0.0.1:$port (another XMPP server,
such as the prosody system service: 'sudo systemctl stop prosody').
Stop it, or pick other ports: XMPP_C2S_PORT=15222 XMPP_COMPONENT_PORT=15347 $0
EOF
      exit 1
    fi
  done
  echo "==> starting Prosody (c2s 127.0.0.1:$C2S_PORT, components 127.0.0.1:$COMPONENT_PORT)"
  # Not daemonized (no mod_posix): a background child whose pid we keep.
  prosody --config "$PROSODY_CFG" >>"$PROSODY_DIR/prosody.out" 2>&1 &
  echo $! >"$PROSODY_PID"
  started_prosody=1
  for _ in $(seq 150); do
    port_open "$C2S_PORT" && port_open "$COMPONENT_PORT" && break
    pid_alive "$PROSODY_PID" prosody || break
    sleep 0.1
  done
  if ! { port_open "$C2S_PORT" && port_open "$COMPONENT_PORT"; }; then
    echo "error: Prosody did not come up; last log lines:" >&2
    tail -n 30 "$PROSODY_DIR/prosody.log" "$PROSODY_DIR/prosody.out" >&2 || true
    stop_pidfile Prosody "$PROSODY_PID" prosody
    exit 1
  fi
fi

# --- gateway config ------------------------------------------------------

cat >"$STACK/gateway.yaml" <<EOF
# Written by scripts/dev.sh: the local trial stack, every network on the sandbox provider.
xmpp: { host: 127.0.0.1, port: $COMPONENT_PORT }
redis: { url: redis://127.0.0.1:6379, prefix: xgw-dev }
http: { host: 127.0.0.1, port: 8080, publicUrl: http://127.0.0.1:8080, adminToken: $GATEWAY_ADMIN_TOKEN }
components:
  - { domain: sms.localhost, secret: $SMS_SECRET, network: sms, provider: sandbox }
  - { domain: mail.localhost, secret: $MAIL_SECRET, network: email, provider: sandbox }
  - { domain: hooks.localhost, secret: $HOOKS_SECRET, network: webhook, provider: sandbox }
EOF
chmod 600 "$STACK/gateway.yaml"

# --- how to try it -------------------------------------------------------

cat <<EOF

xmpp-gateway local stack
  XMPP users  alice@localhost  password $ALICE_PASSWORD
              bob@localhost    password $BOB_PASSWORD
              (server 127.0.0.1, port $C2S_PORT, no TLS: allow plain-text login in your client)
  components  sms.localhost, mail.localhost, hooks.localhost on 127.0.0.1:$COMPONENT_PORT
  config      .stack/gateway.yaml   (passwords: .stack/credentials, secrets: .stack/secrets.env)

Try it:
  1. Log in as alice@localhost with any XMPP client and send a message to
     +15551234567@sms.localhost
  2. See what the sandbox SMS provider "sent":
     curl -H 'Authorization: Bearer $GATEWAY_ADMIN_TOKEN' \\
       http://127.0.0.1:8080/sandbox/sms.localhost/outbox
  3. Make the phone answer; alice receives it from +15551234567@sms.localhost:
     curl -H 'Authorization: Bearer $GATEWAY_ADMIN_TOKEN' -H 'Content-Type: application/json' \\
       -d '{"from":"+15551234567","to":"alice@localhost","body":"hi"}' \\
       http://127.0.0.1:8080/sandbox/sms.localhost/inbound

EOF

GATEWAY_CMD=(node dist/src/main.js --config .stack/gateway.yaml)

if [ "${DEV_STACK_DRY_RUN:-}" = "1" ]; then
  echo "DEV_STACK_DRY_RUN=1: not starting the gateway. Run it with:"
  echo "  ${GATEWAY_CMD[*]}"
  echo "Stop Prosody and Redis with: ./scripts/dev.sh stop"
  exit 0
fi

if [ -n "$started_prosody" ]; then
  # exec below replaces this shell, so no trap survives it; instead a watcher
  # stops the Prosody we started once the gateway (same pid as this script)
  # has exited, Ctrl-C included. Background jobs ignore SIGINT, so the
  # watcher outlives the Ctrl-C that ends the gateway.
  script_pid=$$
  prosody_pid="$(cat "$PROSODY_PID")"
  (
    while kill -0 "$script_pid" 2>/dev/null; do sleep 1; done
    kill -TERM "$prosody_pid" 2>/dev/null || true
    rm -f "$PROSODY_PID"
  ) </dev/null >/dev/null 2>&1 &
fi

echo "==> starting the gateway (Ctrl-C stops it)"
exec "${GATEWAY_CMD[@]}"
