#!/usr/bin/env bash
# API benchmark (issue 16): a gateway (`efactura serve`) over a database
# seeded by bench/apiseed with INVOICES invoices of one verified company
# and KEYS active API keys, on SQLite and on PostgreSQL. wrk
# (-t2 -c8 -d$BENCH_DURATION --latency) runs against: the list (default
# order, each sort_by, a type and a date filter, free text, page 1 and
# page 200),
# one invoice's detail, health, and the web dashboard (logged in).
# Per endpoint it prints req/s, p50, p99, the gateway's CPU ms per request
# (utime+stime from /proc/PID/stat), PostgreSQL's backends' CPU ms per
# request (the same, summed over the database's backends; a backend that
# ends during a run is not counted), the gateway's
# peak RSS (VmHWM, reset per endpoint) with the peaks of its anonymous
# and file-backed parts (RssAnon, RssFile sampled every 50 ms: the file
# part is the binary's pages and SQLite's memory map) and the load average
# before and after.
#
# The rate limits are raised for the run (EFACTURA_RATE_LIMIT_KEY_PER_MIN
# and _IP_PER_MIN = 100000000): the benchmark measures the endpoints, not
# the limiter's 429s.
#
#   bench/api.sh                      10000 invoices, 10000 keys, 20 s per endpoint
#   BENCH_INVOICES=10000 BENCH_KEYS=10000 BENCH_DURATION=20s
#   BENCH_DBS="sqlite postgres" (default), BENCH_PG=postgres://postgres@127.0.0.1:5432
#   BENCH_BIN=PATH                    measure this efactura binary (e.g. an older build for A/B)
#
# About 5 minutes per database at the default 20 s (13 endpoints);
# BENCH_DURATION=5s for a quick run. Needs Go, curl, wrk (apt-get install
# wrk) and, for PostgreSQL, createdb/dropdb/psql on 127.0.0.1 as postgres
# (skipped when createdb fails).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_INVOICES:-10000}
K=${BENCH_KEYS:-10000}
D=${BENCH_DURATION:-20s}
DBS=${BENCH_DBS:-sqlite postgres}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
command -v wrk >/dev/null || { echo "bench/api.sh needs wrk (apt-get install wrk)" >&2; exit 1; }
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

if [[ -n ${BENCH_BIN:-} ]]; then cp "$BENCH_BIN" "$work/efactura"; else go build -o "$work/efactura" ./cmd/efactura; fi
go build -o "$work/apiseed" ./bench/apiseed

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_snap() { # "pid ticks" of the bench database's backends
	[[ -z "$pgdb" ]] && return 0
	local p
	for p in $(psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT pid FROM pg_stat_activity WHERE datname = '$pgdb'"); do
		echo "$p $(ticks "$p")"
	done
}
# pg_delta START END: CPU ticks the backends used between two snapshots
# (a backend that ended meanwhile is lost: the figure is a lower bound).
pg_delta() { awk 'FILENAME == ARGV[1] {t[$1] = $2; next} {d += $2 - ($1 in t ? t[$1] : 0)} END {print d + 0}' "$1" "$2"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# rss_sampler PID OUT: the peaks of RssAnon and RssFile (MiB) until killed.
rss_sampler() {
	local a=0 f=0 x y
	trap 'echo "$((a / 1024)) $((f / 1024))" >"$2"; exit 0' TERM
	while :; do
		read -r x y < <(awk '$1 == "RssAnon:" {a = $2} $1 == "RssFile:" {f = $2} END {print a + 0, f + 0}' "/proc/$1/status" 2>/dev/null)
		((x > a)) && a=$x
		((y > f)) && f=$y
		sleep 0.05
	done
}
email=bench@example.com
pass=bench-password-1234

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); wrk -t2 -c8 -d$D --latency"
echo "rate limits raised for the run: EFACTURA_RATE_LIMIT_KEY_PER_MIN=EFACTURA_RATE_LIMIT_IP_PER_MIN=100000000"
for db in $DBS; do
	case $db in
	sqlite) url="sqlite:$work/data-sqlite/efactura.db" ;;
	postgres)
		pgdb="efactura_apibench_$$"
		if ! createdb -h 127.0.0.1 -U postgres "$pgdb" 2>/dev/null; then
			echo "postgres: createdb failed, skipped"
			pgdb=""
			continue
		fi
		url="$PG/$pgdb?sslmode=disable"
		;;
	esac
	t0=$(date +%s)
	read -r cid key < <("$work/apiseed" -db "$url" -invoices "$N" -keys "$K" -email "$email" -password "$pass")
	echo
	echo "== $db: $N invoices, $K API keys seeded in $(($(date +%s) - t0)) s"
	port=$(free_port)
	base="http://127.0.0.1:$port"
	DATABASE_URL="$url" EFACTURA_DATA_DIR="$work/data-$db" EFACTURA_ADDR="127.0.0.1:$port" EFACTURA_LOG_LEVEL=warn \
		EFACTURA_RATE_LIMIT_KEY_PER_MIN=100000000 EFACTURA_RATE_LIMIT_IP_PER_MIN=100000000 \
		"$work/efactura" serve >"$work/gw-$db.log" 2>&1 &
	gw=$!
	for _ in $(seq 1 300); do curl -fs "$base/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done
	# A fresh archive starts background jobs (the validation of the seeded
	# invoices): wait until the gateway is idle (≤ 2 % of a core for 3 s
	# running, at most 300 s) so that its CPU per request does not
	# include them.
	idle0=$(date +%s)
	quiet=0
	while ((quiet < 3 && $(date +%s) - idle0 < 300)); do
		a=$(ticks "$gw")
		sleep 1
		b=$(ticks "$gw")
		if ((b - a <= hz / 50)); then quiet=$((quiet + 1)); else quiet=0; fi
	done
	echo "gateway idle after $(($(date +%s) - idle0)) s (the fresh archive's background jobs)"
	cookie=$(curl -s -o /dev/null -D - --data-urlencode "email=$email" --data-urlencode "password=$pass" "$base/login" |
		awk 'tolower($1) == "set-cookie:" {sub(/;.*/, "", $2); print $2; exit}' | tr -d '\r')
	inv=$(curl -fs -H "X-API-Key: $key" "$base/api/v1/invoices?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
	L="$base/api/v1/invoices?per_page=50"
	endpoints=(
		"list default p1|$L"
		"list default p200|$L&page=200"
		"list invoice_date asc|$L&sort_by=invoice_date&sort_order=asc"
		"list total_amount desc|$L&sort_by=total_amount&sort_order=desc"
		"list synced_at desc|$L&sort_by=synced_at&sort_order=desc"
		"list anaf_id asc|$L&sort_by=anaf_id&sort_order=asc"
		"list type=received|$L&type=received"
		"list date range|$L&date_from=$(date -d '-400 days' +%F)&date_to=$(date -d '-100 days' +%F)"
		"list q (free text)|$L&q=gamma"
		"detail|$base/api/v1/invoices/$inv"
		"health|$base/api/v1/health"
		"dashboard (web)|$base/?company=$cid"
	)
	printf '%-24s %9s %9s %9s %9s %9s %8s %5s %5s\n' endpoint "req/s" "p50 ms" "p99 ms" "gw ms/req" "pg ms/req" "RSS MiB" "anon" "file"
	echo "load average before: $(loadavg)"
	for e in "${endpoints[@]}"; do
		name=${e%%|*}
		u=${e#*|}
		hdr=(-H "X-API-Key: $key")
		[[ $name == dashboard* ]] && hdr=(-H "Cookie: $cookie")
		code=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "$u")
		[[ $code == 200 ]] || { echo "$name: answered $code, skipped"; continue; }
		echo 5 >"/proc/$gw/clear_refs" 2>/dev/null || true
		g0=$(ticks "$gw")
		pg_snap >"$work/pg0"
		rss_sampler "$gw" "$work/rss" &
		sampler=$!
		out=$(wrk -t2 -c8 -d"$D" --latency "${hdr[@]}" "$u")
		g1=$(ticks "$gw")
		pg_snap >"$work/pg1"
		kill -TERM "$sampler" 2>/dev/null || true
		wait "$sampler" 2>/dev/null || true
		read -r anon file <"$work/rss" || { anon=?; file=?; }
		pgt=$(pg_delta "$work/pg0" "$work/pg1")
		reqs=$(awk '/requests in/ {print $1}' <<<"$out")
		rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
		ms() { awk -v p="$1" '$1 == p {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms/, "", v)} else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; printf "%.2f", v}' <<<"$out"; }
		non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
		rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$gw/status")
		printf '%-24s %9s %9s %9s %9.3f %9.3f %8s %5s %5s%s\n' "$name" "$rps" "$(ms 50%)" "$(ms 99%)" \
			"$(awk -v a="$g0" -v b="$g1" -v n="$reqs" -v hz="$hz" 'BEGIN {print (b - a) * 1000 / hz / n}')" \
			"$(awk -v d="$pgt" -v n="$reqs" -v hz="$hz" 'BEGIN {print d * 1000 / hz / n}')" \
			"$rss" "$anon" "$file" "${non2xx:+  ($non2xx non-2xx)}"
	done
	echo "load average after: $(loadavg)"
	kill "$gw" 2>/dev/null || true
	wait "$gw" 2>/dev/null || true
	gw=""
	if [[ -n "$pgdb" ]]; then dropdb -h 127.0.0.1 -U postgres --if-exists "$pgdb" || true; pgdb=""; fi
done
