#!/usr/bin/env bash
# Make sure the services the test suite needs are running on 127.0.0.1:
#   PostgreSQL 5432 (trust auth for role postgres, database "test") and Redis 6379;
# the Dovecot binaries (Debian dovecot-imapd: the mail tests start private instances, see
# tests/support/dovecot.py; the system Dovecot service is never started or enabled);
# and the npm packages graphql-http (the GraphQL-over-HTTP audits the suite runs on Node.js) and
# graphql-ws with ws (the reference graphql-transport-ws client the suite runs on Node.js),
# installed outside the repository into $SWITCHBOARD_NPM_CACHE (default ~/.cache/switchboard/npm).
# On Debian, missing services are installed with apt-get (run as root). Idempotent: a service that
# already answers is left alone. To add a service, write an ensure_<name> function and call it at
# the bottom, installing packages through apt_install.
set -euo pipefail

APT_UPDATED=0
WAIT_SECONDS=30

say() { printf '%s\n' "services: $*"; }
die() { printf '%s\n' "services: $*" >&2; exit 1; }

# apt_install PACKAGE... -- apt-get update runs at most once per script run.
apt_install() {
    command -v apt-get >/dev/null || die "cannot install $*: apt-get not found (install it by hand)"
    [ "$(id -u)" -eq 0 ] || die "cannot install $*: run as root (or install it by hand)"
    if [ "$APT_UPDATED" -eq 0 ]; then
        apt-get update -q
        APT_UPDATED=1
    fi
    # C.UTF-8 so that initdb (run by the postgresql package) creates a UTF8 cluster.
    DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8 apt-get install -y -q "$@"
}

# wait_for DESCRIPTION COMMAND... -- retry COMMAND once a second for WAIT_SECONDS.
wait_for() {
    local what=$1 i
    shift
    for ((i = 0; i < WAIT_SECONDS; i++)); do
        if "$@"; then return 0; fi
        sleep 1
    done
    die "$what did not come up within ${WAIT_SECONDS}s"
}

# ---------------------------------------------------------------------------------------- PostgreSQL

pg_ready() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }

# The newest PostgreSQL version with a Debian cluster "main" (empty if none).
pg_version() {
    local v
    for v in $(ls /etc/postgresql 2>/dev/null | sort -V -r); do
        if [ -f "/etc/postgresql/$v/main/postgresql.conf" ]; then echo "$v"; return; fi
    done
}

# pg_start VERSION [ACTION] -- start (or ACTION) cluster VERSION/main directly, not through systemd.
pg_start() { pg_ctlcluster --skip-systemctl-redirect "$1" main "${2:-start}"; }

# Put "trust on 127.0.0.1 and ::1" before every other rule of the cluster's pg_hba.conf.
pg_trust_localhost() {
    local hba=/etc/postgresql/$1/main/pg_hba.conf marker="# added by switchboard scripts/services.sh"
    grep -qF "$marker" "$hba" && return
    local tmp
    tmp=$(mktemp)
    {
        echo "$marker: the test suite connects over TCP as postgres without a password"
        echo "host    all             all             127.0.0.1/32            trust"
        echo "host    all             all             ::1/128                 trust"
        echo
        cat "$hba"
    } >"$tmp"
    cat "$tmp" >"$hba"   # rewrite in place: keeps the file's owner and mode
    rm -f "$tmp"
}

# pg_admin PSQL-ARGS... -- psql on database postgres as superuser: over TCP as role postgres when
# that works (the tests' own path), else as the postgres OS user through the local socket.
pg_admin() {
    if psql -X -w -h 127.0.0.1 -p 5432 -U postgres -d postgres -qAtc 'SELECT 1' >/dev/null 2>&1; then
        psql -X -w -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
    elif id postgres >/dev/null 2>&1; then
        (cd / && runuser -u postgres -- psql -X -p 5432 -d postgres -v ON_ERROR_STOP=1 -qAt "$@")
    else
        die "cannot connect to PostgreSQL as postgres (no trust on 127.0.0.1 and no postgres OS user)"
    fi
}

# Create database "test" if missing (noted in PG_NOTE), and check the tests' own way in.
PG_NOTE=""
pg_ensure_test_db() {
    command -v psql >/dev/null || apt_install postgresql-client
    if [ "$(pg_admin -c "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]; then
        pg_admin -c 'CREATE DATABASE test'
        PG_NOTE=", created database test"
    fi
    psql -X -w -h 127.0.0.1 -p 5432 -U postgres -d test -qAtc 'SELECT 1' >/dev/null ||
        say "WARNING: postgres@127.0.0.1:5432/test is not reachable without a password;" \
            "the tests need 'host all all 127.0.0.1/32 trust' first in pg_hba.conf" >&2
}

ensure_postgres() {
    local version
    if pg_ready; then
        pg_ensure_test_db
        say "postgresql: already running on 127.0.0.1:5432$PG_NOTE"
        return
    fi
    version=$(pg_version)
    if [ -n "$version" ]; then
        pg_start "$version"
        wait_for "PostgreSQL $version" pg_ready
        pg_ensure_test_db
        say "postgresql: started installed cluster $version/main$PG_NOTE"
        return
    fi
    apt_install postgresql
    version=$(pg_version)
    [ -n "$version" ] || die "postgresql installed but no cluster found in /etc/postgresql/*/main"
    pg_trust_localhost "$version"
    # Under systemd the package started the cluster (reload applies pg_hba.conf); without it
    # (containers, CI) it did not, and we start it ourselves.
    if pg_start "$version" status >/dev/null 2>&1; then pg_start "$version" reload; else pg_start "$version"; fi
    wait_for "PostgreSQL $version" pg_ready
    pg_ensure_test_db
    say "postgresql: installed and started $version/main with trust on 127.0.0.1$PG_NOTE"
}

# --------------------------------------------------------------------------------------------- Redis

redis_ready() { command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

redis_start() {
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for "Redis (see /var/log/redis/ci.log)" redis_ready
}

ensure_redis() {
    if redis_ready; then
        say "redis: already running on 127.0.0.1:6379"
    elif command -v redis-server >/dev/null; then
        redis_start
        say "redis: started on 127.0.0.1:6379"
    else
        apt_install redis-server
        redis_ready || redis_start   # under systemd the package has started it already
        say "redis: installed and started on 127.0.0.1:6379"
    fi
}

# -------------------------------------------------------------- graphql-http audits (Node.js, npm)

GRAPHQL_HTTP_VERSION=1.23.1
GRAPHQL_JS_VERSION=16.15.0
NPM_CACHE=${SWITCHBOARD_NPM_CACHE:-$HOME/.cache/switchboard/npm}

graphql_http_installed() {
    [ -f "$NPM_CACHE/node_modules/graphql-http/package.json" ] &&
        grep -q "\"version\": \"$GRAPHQL_HTTP_VERSION\"" "$NPM_CACHE/node_modules/graphql-http/package.json"
}

ensure_graphql_http() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        apt_install nodejs npm
    fi
    if graphql_http_installed; then
        say "graphql-http: $GRAPHQL_HTTP_VERSION already in $NPM_CACHE (node $(node --version))"
        return
    fi
    mkdir -p "$NPM_CACHE"
    npm install --prefix "$NPM_CACHE" --no-audit --no-fund --loglevel=error \
        "graphql-http@$GRAPHQL_HTTP_VERSION" "graphql@$GRAPHQL_JS_VERSION"
    graphql_http_installed || die "graphql-http: npm install into $NPM_CACHE did not install $GRAPHQL_HTTP_VERSION"
    say "graphql-http: installed $GRAPHQL_HTTP_VERSION into $NPM_CACHE (node $(node --version))"
}

# ------------------------------------------- graphql-ws reference client (Node.js, npm; same cache)

# tests/subscriptions/test_graphql_ws_client.py runs tests/support/graphql_ws_client.cjs: graphql-ws's
# client, with ws as its WebSocket (Node 20 has no global WebSocket)
GRAPHQL_WS_VERSION=6.4.2
WS_VERSION=8.23.0

npm_installed() {  # npm_installed PACKAGE VERSION
    [ -f "$NPM_CACHE/node_modules/$1/package.json" ] &&
        grep -q "\"version\": \"$2\"" "$NPM_CACHE/node_modules/$1/package.json"
}

ensure_graphql_ws() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        apt_install nodejs npm
    fi
    if npm_installed graphql-ws "$GRAPHQL_WS_VERSION" && npm_installed ws "$WS_VERSION"; then
        say "graphql-ws: $GRAPHQL_WS_VERSION (ws $WS_VERSION) already in $NPM_CACHE (node $(node --version))"
        return
    fi
    mkdir -p "$NPM_CACHE"
    npm install --prefix "$NPM_CACHE" --no-audit --no-fund --loglevel=error \
        "graphql-ws@$GRAPHQL_WS_VERSION" "ws@$WS_VERSION" "graphql@$GRAPHQL_JS_VERSION"
    npm_installed graphql-ws "$GRAPHQL_WS_VERSION" && npm_installed ws "$WS_VERSION" ||
        die "graphql-ws: npm install into $NPM_CACHE did not install graphql-ws $GRAPHQL_WS_VERSION and ws $WS_VERSION"
    say "graphql-ws: installed $GRAPHQL_WS_VERSION (ws $WS_VERSION) into $NPM_CACHE (node $(node --version))"
}

# ------------------------------------------------------------------------------------------ Chromium

# tests/test_graphiql.py drives GraphiQL in headless Chromium (Debian's package: /usr/bin/chromium)
ensure_chromium() {
    if command -v chromium >/dev/null; then
        say "chromium: already installed ($(command -v chromium))"
    else
        apt_install chromium
        say "chromium: installed ($(command -v chromium))"
    fi
}

# ------------------------------------------------------------------------------------------ Dovecot

# tests/mail start their own Dovecot processes with throwaway configurations on free loopback ports
# (tests/support/dovecot.py): only the binaries are needed. The package would start and enable the
# system service (port 143, /etc/dovecot); a policy-rc.d that denies every start keeps it stopped
# during the install, and the units it enabled are disabled again afterwards.
DOVECOT_POLICY=/usr/sbin/policy-rc.d
DOVECOT_POLICY_SAVED=/usr/sbin/policy-rc.d.switchboard-saved

dovecot_policy_restore() {
    rm -f "$DOVECOT_POLICY"
    if [ -e "$DOVECOT_POLICY_SAVED" ]; then mv "$DOVECOT_POLICY_SAVED" "$DOVECOT_POLICY"; fi
}

ensure_dovecot() {
    if [ -x /usr/sbin/dovecot ]; then
        say "dovecot: already installed ($(/usr/sbin/dovecot --version | cut -d' ' -f1))"
        return
    fi
    [ "$(id -u)" -eq 0 ] || die "cannot install dovecot-imapd: run as root (or install it by hand)"
    if [ -e "$DOVECOT_POLICY" ]; then mv "$DOVECOT_POLICY" "$DOVECOT_POLICY_SAVED"; fi
    printf '#!/bin/sh\n# scripts/services.sh: no service starts while dovecot-imapd installs\nexit 101\n' >"$DOVECOT_POLICY"
    chmod 755 "$DOVECOT_POLICY"
    apt_install dovecot-imapd || { dovecot_policy_restore; die "apt-get install dovecot-imapd failed"; }
    dovecot_policy_restore
    if command -v deb-systemd-helper >/dev/null; then
        deb-systemd-helper disable dovecot.service dovecot.socket >/dev/null 2>&1 || true
    fi
    if command -v update-rc.d >/dev/null && [ -e /etc/init.d/dovecot ]; then
        update-rc.d dovecot disable >/dev/null 2>&1 || true
    fi
    [ -x /usr/sbin/dovecot ] || die "dovecot-imapd installed but /usr/sbin/dovecot is missing"
    say "dovecot: installed $(/usr/sbin/dovecot --version | cut -d' ' -f1) (system service left stopped and disabled)"
}

ensure_postgres
ensure_redis
ensure_graphql_http
ensure_graphql_ws
ensure_chromium
ensure_dovecot
