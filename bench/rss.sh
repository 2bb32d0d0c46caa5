#!/usr/bin/env bash
# Memory benchmark (issue 16): the resident memory of a running
# `efactura serve --demo` (SQLite, the built-in ANAF simulator) idle, after
# one login and during 10 parallel logins (password hashing is argon2id;
# its memory per hash is what moves these figures). VmRSS is sampled every
# 20 ms; "peak" is the largest sample of the phase, and VmHWM the kernel's
# high-water mark since the phase began (reset through /proc/PID/clear_refs);
# "cpu" the gateway's CPU time (user + system) during the phase; "anon"
# and "file" the peaks of RssAnon and RssFile (the anonymous memory, and
# the binary's and SQLite's memory-mapped pages).
#
#   bench/rss.sh [LOGINS]        default 10 parallel logins
#   RSS_IDLE=8                   seconds to let the demo's first sync settle
#   RSS_DB=postgres              the demo on a fresh PostgreSQL database
#                                (createdb on RSS_PG, default
#                                postgres://postgres@127.0.0.1:5432) instead
#                                of SQLite
#   RSS_BIN=PATH                 measure this efactura binary (e.g. an
#                                older build) instead of building one
#
# Needs Go and curl. Prints one line per phase (MiB) and the load average.
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-10}
IDLE=${RSS_IDLE:-8}
work=$(mktemp -d)
gw=""
pgdb=""
cleanup() {
	[[ -n "$gw" ]] && kill "$gw" 2>/dev/null || true
	wait 2>/dev/null || true
	[[ -n "$pgdb" ]] && dropdb -h 127.0.0.1 -U postgres --if-exists "$pgdb" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

if [[ -n ${RSS_BIN:-} ]]; then cp "$RSS_BIN" "$work/efactura"; else go build -o "$work/efactura" ./cmd/efactura; fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))
base="http://127.0.0.1:$port"
dburl=""
if [[ ${RSS_DB:-sqlite} == postgres ]]; then
	pgdb="efactura_rssbench_$$"
	createdb -h 127.0.0.1 -U postgres "$pgdb"
	dburl="${RSS_PG:-postgres://postgres@127.0.0.1:5432}/$pgdb?sslmode=disable"
fi
echo "database: ${RSS_DB:-sqlite}; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
DATABASE_URL="$dburl" EFACTURA_DATA_DIR="$work/data" EFACTURA_ADDR="127.0.0.1:$port" EFACTURA_LOG_LEVEL=warn \
	"$work/efactura" serve --demo >"$work/gw.log" 2>&1 &
gw=$!
for _ in $(seq 1 300); do curl -fs "$base/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done
cred="$work/data/demo-credentials.txt"
email=$(awk '/^admin_email:/ {print $2}' "$cred")
pass=$(awk '/^admin_password:/ {print $2}' "$cred")

ticks() { awk '{print $14 + $15}' "/proc/$gw/stat"; }
hz=$(getconf CLK_TCK)
mib() { awk -v k="$1:" '$1 == k {printf "%.1f", $2/1024}' "/proc/$gw/status"; }
reset_hwm() { echo 5 >"/proc/$gw/clear_refs" 2>/dev/null || true; }
# sample PHASE CMD...: runs CMD while sampling VmRSS, prints the phase's line.
sample() {
	local phase=$1 peak=0 r t0 a f pa=0 pf=0
	shift
	reset_hwm
	t0=$(ticks)
	"$@" &
	local job=$!
	while kill -0 "$job" 2>/dev/null; do
		read -r r a f < <(awk '$1 == "VmRSS:" {r = $2} $1 == "RssAnon:" {a = $2} $1 == "RssFile:" {f = $2} END {print r + 0, a + 0, f + 0}' "/proc/$gw/status")
		((r > peak)) && peak=$r
		((a > pa)) && pa=$a
		((f > pf)) && pf=$f
		sleep 0.02
	done
	wait "$job"
	r=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$gw/status")
	((r > peak)) && peak=$r
	printf '%-22s VmRSS %6s  peak %6.1f  VmHWM %6s  anon %5.1f  file %5.1f  cpu %6.0f ms\n' "$phase" "$(mib VmRSS)" "$(awk -v p="$peak" 'BEGIN {print p/1024}')" "$(mib VmHWM)" \
		"$(awk -v p="$pa" 'BEGIN {print p/1024}')" "$(awk -v p="$pf" 'BEGIN {print p/1024}')" \
		"$(awk -v a="$t0" -v b="$(ticks)" -v hz="$hz" 'BEGIN {print (b - a) * 1000 / hz}')"
}
login() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' -c /dev/null --data-urlencode "email=$email" --data-urlencode "password=$pass" "$base/login")
	[[ $code == 303 || $code == 302 ]] || { echo "login answered $code" >&2; return 1; }
}
logins() {
	local pids=() i
	for ((i = 0; i < P; i++)); do login & pids+=($!); done
	for i in "${pids[@]}"; do wait "$i"; done
}

printf '%-22s (MiB)\n' phase
sample "idle (${IDLE}s)" sleep "$IDLE"
sample "1 login" login
sample "idle after (3s)" sleep 3
start=$(date +%s.%N)
sample "$P parallel logins" logins
echo "$P logins took $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}') s"
sample "idle after (3s)" sleep 3
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
