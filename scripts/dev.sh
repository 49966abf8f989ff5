#!/usr/bin/env bash
# A complete local stack for trying the gateway: Redis, Prosody with the
# gateway's three components (sms, mail, hooks; all on the sandbox provider),
# two users, and the gateway itself in the foreground.
#
#   ./scripts/dev.sh          set up, start, run the gateway (Ctrl-C stops it,
#                             and the Prosody this script started); while the
#                             stack is up, prints how to reach it and exits
#   ./scripts/dev.sh stop     stop the gateway, Prosody and Redis that dev.sh started
#
# A Redis that dev.sh starts keeps running after the gateway stops (it holds
# the queued messages); `./scripts/dev.sh stop` stops it.
#
# Environment:
#   XMPP_C2S_PORT        Prosody's client port        (default 5222)
#   XMPP_COMPONENT_PORT  Prosody's component port     (default 5347)
#   GATEWAY_HTTP_PORT    the gateway's HTTP port      (default 8080)
#   DEV_STACK_DRY_RUN=1  set everything up and start Prosody/Redis, print the
#                        gateway command instead of running it, and leave the
#                        stack running (stop it with `./scripts/dev.sh stop`)
#   DEV_STACK_DIR        where the state lives        (default .stack)
#   DEV_STACK_BUILD=0    skip `npm run build` (dist/ is already fresh)
#   DEV_STACK_REDIS_PREFIX  the gateway's Redis key prefix (default xgw-dev)
#
# State lives in .stack/ (gitignored): configs, data, logs, and the generated
# passwords and secrets, which reruns reuse. Delete .stack/ to start afresh.
set -euo pipefail
# DEV_STACK_DIR is read relative to where the script was started.
STACK="$(realpath -m "${DEV_STACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/../.stack}")"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
C2S_PORT="${XMPP_C2S_PORT:-5222}"
COMPONENT_PORT="${XMPP_COMPONENT_PORT:-5347}"
HTTP_PORT="${GATEWAY_HTTP_PORT:-8080}"
REDIS_PREFIX="${DEV_STACK_REDIS_PREFIX:-xgw-dev}"
GATEWAY_CFG="$STACK/gateway.yaml"
GATEWAY_PID="$STACK/gateway.pid"
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

# Stops the process in pidfile $2 (if it is $3) and waits up to $4 tenths of a second (default 50).
stop_pidfile() {
  local name="$1" file="$2" command="$3" tenths="${4:-50}"
  if pid_alive "$file" "$command"; then
    echo "==> stopping $name (pid $(cat "$file"))"
    kill -TERM "$(cat "$file")"
    for _ in $(seq "$tenths"); do pid_alive "$file" "$command" || break; sleep 0.1; done
  fi
  rm -f "$file"
}

# The gateway, as the process list shows it (its pid is the one dev.sh ran as).
GATEWAY_ARGS="dist/src/main.js --config $GATEWAY_CFG"

# Reads the generated passwords and secrets: ALICE_PASSWORD, BOB_PASSWORD, GATEWAY_ADMIN_TOKEN, ...
load_state() {
  # Values are hex: safe to source.
  # shellcheck disable=SC1091
  source "$STACK/secrets.env"
  ALICE_PASSWORD="$(sed -n 's/^alice=//p' "$STACK/credentials")"
  BOB_PASSWORD="$(sed -n 's/^bob=//p' "$STACK/credentials")"
}

# What a person needs to try the stack; the console address carries the admin token in its fragment.
print_summary() {
  local http="http://127.0.0.1:$HTTP_PORT"
  cat <<EOF

xmpp-gateway local stack
  XMPP users  alice@localhost  password $ALICE_PASSWORD  (SMS +15550001111, mail alice@mail.localhost, admin)
              bob@localhost    password $BOB_PASSWORD  (SMS +15550002222, mail bob@mail.localhost)
              (server 127.0.0.1, port $C2S_PORT, no TLS: allow plain-text login in your client)
  components  sms.localhost, mail.localhost, hooks.localhost on 127.0.0.1:$COMPONENT_PORT
  console     $http/sandbox/console#token=$GATEWAY_ADMIN_TOKEN
  config      $GATEWAY_CFG  (passwords: $STACK/credentials, secrets: $STACK/secrets.env)

Try it:
  1. Log in as alice@localhost with any XMPP client and send a message to
     +15551234567@sms.localhost (or add a contact through sms.localhost and
     type a US number the way people write it: (415) 555-2671).
  2. Open the console address above: the text shows under +15551234567.
     Reply as the phone, mark the text delivered or failed. "Write first"
     texts or mails bob (to bob@localhost, +15550002222 or bob@mail.localhost).
  3. Mail someone: bob\\40example.net@mail.localhost; call a service: deploy@hooks.localhost
  4. alice is an admin: the ad-hoc commands of sms.localhost and mail.localhost
     assign and release numbers and addresses. A user without a number who
     registers with sms.localhost gets one from the pool (+15550003333, +15550004444).
  The same from a shell:
     curl -H 'Authorization: Bearer $GATEWAY_ADMIN_TOKEN' $http/sandbox/sms.localhost/outbox
     curl -H 'Authorization: Bearer $GATEWAY_ADMIN_TOKEN' -H 'Content-Type: application/json' \\
       -d '{"from":"+15551234567","to":"alice@localhost","body":"hi"}' $http/sandbox/sms.localhost/inbound

EOF
}

if [ "${1:-}" = "stop" ]; then
  # The gateway drains its deliveries for up to shutdown.timeoutMs (10 s) before it exits.
  stop_pidfile gateway "$GATEWAY_PID" "$GATEWAY_ARGS" 150
  stop_pidfile Prosody "$PROSODY_PID" prosody
  stop_pidfile Redis "$REDIS_PID" redis-server
  exit 0
fi

if pid_alive "$GATEWAY_PID" "$GATEWAY_ARGS"; then
  load_state
  print_summary
  echo "The stack is already up (gateway pid $(cat "$GATEWAY_PID")). Stop it with: ./scripts/dev.sh stop"
  exit 0
fi

# Fails (and says why) when something else listens on the gateway's HTTP port.
check_http_port() {
  if port_open "$HTTP_PORT"; then
    cat >&2 <<EOF
error: something else already listens on 127.0.0.1:$HTTP_PORT (the gateway's HTTP port).
Stop it, or pick another port: GATEWAY_HTTP_PORT=18080 $0
EOF
    exit 1
  fi
}
check_http_port

# --- dependencies and build ----------------------------------------------

# shellcheck source=lib/install-deps.sh
source scripts/lib/install-deps.sh
install_system_packages --no-browser # the browser is for the console's e2e test only
ensure_node_modules
if [ "${DEV_STACK_BUILD:-1}" != "0" ]; then
  echo "==> npm run build"
  npm run build
fi

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
load_state

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

cat >"$GATEWAY_CFG" <<EOF
# Written by scripts/dev.sh: the local trial stack, every network on the sandbox provider.
xmpp: { host: 127.0.0.1, port: $COMPONENT_PORT }
redis: { url: redis://127.0.0.1:6379, prefix: $REDIS_PREFIX }
http: { host: 127.0.0.1, port: $HTTP_PORT, publicUrl: http://127.0.0.1:$HTTP_PORT, adminToken: $GATEWAY_ADMIN_TOKEN }
# alice may run the ad-hoc commands (XEP-0050) that assign and release numbers and addresses.
admins: [alice@localhost]
components:
  - domain: sms.localhost
    secret: $SMS_SECRET
    network: sms
    provider: sandbox
    # Each user's own number: texts go out from it, texts to it come to its owner.
    numbers: { "+15550001111": alice@localhost, "+15550002222": bob@localhost }
    # Numbers users may claim by registering (XEP-0077) with sms.localhost.
    numberPool: ["+15550003333", "+15550004444"]
    # Numbers typed without a country code, such as (415) 555-2671, are US numbers.
    defaultRegion: US
  - domain: mail.localhost
    secret: $MAIL_SECRET
    network: email
    provider: sandbox
    addresses: { alice@mail.localhost: alice@localhost, bob@mail.localhost: bob@localhost }
    addressPool: [desk@mail.localhost, support@mail.localhost]
  - domain: hooks.localhost
    secret: $HOOKS_SECRET
    network: webhook
    provider: sandbox
EOF
chmod 600 "$GATEWAY_CFG"

print_summary

# The node flags `npm start` passes (package.json), so the dev gateway runs as a deployed one.
GATEWAY_CMD=(node --max-old-space-size=1024 dist/src/main.js --config "$GATEWAY_CFG")

if [ "${DEV_STACK_DRY_RUN:-}" = "1" ]; then
  echo "DEV_STACK_DRY_RUN=1: not starting the gateway. Run it with:"
  echo "  ${GATEWAY_CMD[*]}"
  echo "Stop Prosody and Redis with: ./scripts/dev.sh stop"
  exit 0
fi

# exec below replaces this shell, so no trap survives it; instead a watcher
# cleans up once the gateway (same pid as this script) has exited, Ctrl-C and
# `dev.sh stop` included: it removes the gateway's pidfile and stops the
# Prosody this run started. Background jobs ignore SIGINT, so the watcher
# outlives the Ctrl-C that ends the gateway.
script_pid=$$
prosody_pid=""
[ -n "$started_prosody" ] && prosody_pid="$(cat "$PROSODY_PID")"
echo "$script_pid" >"$GATEWAY_PID"
(
  while kill -0 "$script_pid" 2>/dev/null; do sleep 1; done
  rm -f "$GATEWAY_PID"
  if [ -n "$prosody_pid" ]; then
    kill -TERM "$prosody_pid" 2>/dev/null || true
    rm -f "$PROSODY_PID"
  fi
) </dev/null >/dev/null 2>&1 &

echo "==> starting the gateway (Ctrl-C stops it)"
exec "${GATEWAY_CMD[@]}"
