#!/usr/bin/env bash
# Real HTTP load over loopback TCP: the demo (examples/demo, all four layers,
# ES256 tokens) with the verifier's token cache on and off, and the same
# `GET /api/me` answer without the crate's layers (examples/bare_me.rs: the
# demo's shell of security headers and refusal log around a fixed answer),
# each driven by wrk with a valid access cookie (the bare app gets one too,
# and ignores it: every server reads requests of the same size). Prints requests/s and
# latency percentiles side by side, and the demo's share of the bare app's
# requests/s.
#
#   bash benches/http_load.sh            # 1 round, 10 s per server
#   ROUNDS=3 DURATION=10s bash benches/http_load.sh
#
# Needs wrk and curl (Debian: `apt-get install -y wrk curl`). Settings:
# DURATION (per server and round, default 10s), THREADS (wrk threads,
# default 2), CONNECTIONS (default 32), ROUNDS (default 1; the servers are
# driven in turn, bare / cache on / cache off, every round, so noise hits all
# three alike). Bounded: ROUNDS x 3 x DURATION, plus a release build of the
# two examples. wrk runs on the same machine as the servers and takes cores
# from them: the ratios are the figure to compare, not the absolute rates.
set -euo pipefail

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-1}

cd "$(dirname "$0")/.."
for tool in wrk curl; do
    if ! command -v "$tool" >/dev/null; then
        echo "http_load: $tool not found; install it with: apt-get install -y wrk curl" >&2
        exit 1
    fi
done

cargo build --release --quiet --example demo --example bare_me
bin="${CARGO_TARGET_DIR:-target}/release/examples"
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# start NAME COMMAND...: starts a server on a free loopback port (port 0),
# waits for its "listening on http://..." line, and sets URL_<NAME>.
start() {
    local name=$1
    shift
    "$@" >"$work/$name.log" 2>&1 &
    pids+=($!)
    local url=""
    for _ in $(seq 1 100); do
        url=$(grep -o 'listening on http://[0-9.:]*' "$work/$name.log" | head -n1 | sed 's/listening on //' || true)
        [ -n "$url" ] && break
        sleep 0.1
    done
    if [ -z "$url" ]; then
        echo "http_load: $name did not start:" >&2
        cat "$work/$name.log" >&2
        exit 1
    fi
    printf -v "URL_$name" '%s' "$url"
}

start bare env BARE_ADDR=127.0.0.1:0 "$bin/bare_me"
start on env DEMO_ADDR=127.0.0.1:0 RUST_LOG=warn "$bin/demo"
start off env DEMO_ADDR=127.0.0.1:0 RUST_LOG=warn DEMO_TOKEN_CACHE=off "$bin/demo"

# login URL: alice's access cookie from the demo's own login route.
login() {
    curl -fsS -D - -o /dev/null -X POST "$1/auth/login" \
        -H 'content-type: application/json' -H 'sec-fetch-site: same-origin' \
        --data '{"username":"alice","password":"wonderland"}' |
        tr -d '\r' | grep -i '^set-cookie: __Host-Http-access=' | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//'
}
cookie_on=$(login "$URL_on")
cookie_off=$(login "$URL_off")
for pair in "$URL_bare|" "$URL_on|$cookie_on" "$URL_off|$cookie_off"; do
    url=${pair%%|*}
    cookie=${pair#*|}
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "cookie: $cookie" "$url/api/me")
    if [ "$status" != 200 ]; then
        echo "http_load: GET $url/api/me answered $status, not 200" >&2
        exit 1
    fi
done

# drive NAME URL COOKIE: one wrk run; prints "rps p50 p90 p99".
drive() {
    local out="$work/$1.wrk"
    timeout $(( ${DURATION%s} + 30 )) wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
        -H "cookie: $3" "$2/api/me" >"$out"
    if grep -q 'Non-2xx' "$out"; then
        echo "http_load: $1 answered non-2xx responses:" >&2
        cat "$out" >&2
        exit 1
    fi
    local rps p50 p90 p99
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    p50=$(awk '$1 == "50%" {print $2}' "$out")
    p90=$(awk '$1 == "90%" {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    echo "$rps $p50 $p90 $p99"
}

echo "GET /api/me over loopback, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, ES256 access cookie"
printf '%-6s %-22s %12s %9s %9s %9s %14s\n' round server requests/s p50 p90 p99 "of bare r/s"
for round in $(seq 1 "$ROUNDS"); do
    read -r bare_rps b50 b90 b99 <<<"$(drive bare "$URL_bare" "$cookie_on")"
    printf '%-6s %-22s %12s %9s %9s %9s %14s\n' "$round" "without layers" "$bare_rps" "$b50" "$b90" "$b99" "100%"
    for mode in on off; do
        url_var="URL_$mode"
        cookie_var="cookie_$mode"
        read -r rps p50 p90 p99 <<<"$(drive "$mode" "${!url_var}" "${!cookie_var}")"
        share=$(awk -v a="$rps" -v b="$bare_rps" 'BEGIN {printf "%.0f%%", 100 * a / b}')
        printf '%-6s %-22s %12s %9s %9s %9s %14s\n' "$round" "demo, cache $mode" "$rps" "$p50" "$p90" "$p99" "$share"
    done
done
