#!/usr/bin/env bash
# Instructions per request (valgrind's callgrind) of the CSRF guard's refused
# cross-site POST, its allowed cross-site path, the hand-built 403 that is
# the floor of any refusal, and the empty service, all from the csrf_cors
# bench binary. Each case counts its whole timed loop minus the building of
# its requests (so calling the service and dropping the request and the
# response are in); a layer's cost is its case minus the empty service's.
# The refusal's goal is at most 2x the allowed path's.
#
# Why instructions as well as criterion's times: the allowed path's layer
# cost is tens of nanoseconds inside a ~400 ns request (building and dropping
# it), so the difference of two criterion means swings by more than itself
# between runs. Instruction counts do not depend on the host's load.
#
# Needs valgrind (Debian: apt-get install -y valgrind). Usage:
#   bash benches/csrf_instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in valgrind callgrind_annotate; do
    command -v "$tool" >/dev/null || {
        echo "needs $tool: apt-get install -y valgrind" >&2
        exit 1
    }
done

build=$(cargo bench --bench csrf_cors --no-run --message-format=json) || {
    echo "could not build the csrf_cors bench (the compiler's messages are above)" >&2
    exit 1
}
bench=$(grep -o '"executable":"[^"]*csrf_cors[^"]*"' <<<"$build" | tail -1 | cut -d'"' -f4 || true)
[ -x "$bench" ] || {
    echo "cargo built no csrf_cors bench executable" >&2
    exit 1
}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Instructions per request of one case: the timed loop's total minus the
# building of its requests, over the number of requests.
per_request() {
    local case=$1 file
    file="$out/$(echo "$case" | tr / _).out"
    valgrind --tool=callgrind --callgrind-out-file="$file" \
        "$bench" --bench --profile-time 1 "^$case\$" >"$file.log" 2>&1 || {
        echo "valgrind failed on $case:" >&2
        tail -5 "$file.log" >&2
        return 1
    }
    callgrind_annotate --tree=calling --inclusive=yes "$file" 2>/dev/null | awk '
        function count(s) { gsub(/[^0-9]/, "", s); return s + 0 }
        / \* .*criterion::bencher::Bencher<M>::iter / { loop = count($1) }
        / \* .*csrf_cors::request / { build = count($1) }
        # The most frequent caller is the timed loop (setup builds one).
        / > .*csrf_cors::request \(/ {
            match($0, /\([0-9,]+x\)/)
            n = count(substr($0, RSTART, RLENGTH))
            if (n > calls) calls = n
        }
        END {
            # Thousands of requests run in the second; fewer means the
            # request builder was inlined and the count is not that of the loop.
            if (!loop || !build || calls < 1000) exit 1
            printf "%.0f\n", (loop - build) / calls
        }'
}

empty=$(per_request baseline/empty_service) &&
    floor=$(per_request baseline/bare_403) &&
    allowed=$(per_request csrf/trusted_cross_site_origin) &&
    refused=$(per_request csrf/refused_cross_site) || {
    echo "callgrind gave no count (are the bench's symbols there?)" >&2
    exit 1
}

awk -v e="$empty" -v f="$floor" -v a="$allowed" -v r="$refused" 'BEGIN {
    printf "instructions per request (callgrind), whole request minus building it:\n"
    printf "  empty service                         %6d\n", e
    printf "  hand-built 403 (floor of a refusal)   %6d  layer %5d\n", f, f - e
    printf "  guard, allowed cross-site POST        %6d  layer %5d\n", a, a - e
    printf "  guard, refused cross-site POST (403)  %6d  layer %5d\n", r, r - e
    printf "refusal / allowed, layer costs: %.2fx (goal: at most 2x)\n", (r - e) / (a - e)
    printf "floor / allowed, layer costs:   %.2fx\n", (f - e) / (a - e)
}'
