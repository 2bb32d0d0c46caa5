#!/usr/bin/env bash
# Sync benchmark (issue 4): an ANAF simulator without quotas or latency
# loaded with INVOICES synthetic invoices over COMPANIES companies
# (2 × INVOICES messages: seller and buyer), a gateway (`serve --demo`
# against that simulator: every company, auto-sync through the job queue),
# on SQLite and on PostgreSQL. Prints messages archived per second, the
# gateway's peak RSS (VmHWM) and successful downloads per message (ANAF
# delivered each download id once: must be 1.00).
#
#   bench/sync.sh [INVOICES [COMPANIES]]      default 20000 20
#   BENCH_DBS="sqlite postgres" (default), BENCH_PG=postgres://postgres@127.0.0.1:5432
#
# Needs Go, curl and jq; PostgreSQL via createdb/dropdb on 127.0.0.1 as postgres
# (skipped when createdb is missing or fails).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
M=${2:-20}
DBS=${BENCH_DBS:-sqlite postgres}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[[ -n "${pgdb:-}" ]] && dropdb -h 127.0.0.1 -U postgres --if-exists "$pgdb" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/efactura" ./cmd/efactura
go build -o "$work/syncwait" ./bench/syncwait

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }

printf '%-10s %9s %9s %12s %14s %10s\n' database messages seconds "archived/s" "peak RSS MiB" "dl/message"
for db in $DBS; do
	simport=$(free_port)
	"$work/efactura" anaf-sim --auto-approve --quotas off --generate "$N" --companies "$M" --addr "127.0.0.1:$simport" >"$work/sim.log" 2>&1 &
	sim=$!
	pids+=("$sim")
	sim_url="http://127.0.0.1:$simport"
	for _ in $(seq 1 600); do curl -fs "$sim_url/__sim/stats" >/dev/null 2>&1 && break; sleep 0.1; done
	want=$(curl -fs "$sim_url/__sim/stats" | jq '[.messages[]] | add')

	case $db in
	sqlite) url="sqlite:$work/data-sqlite/efactura.db" ;;
	postgres)
		pgdb="efactura_bench_$$"
		if ! createdb -h 127.0.0.1 -U postgres "$pgdb" 2>/dev/null; then
			echo "postgres: createdb failed, skipped"; pgdb=""; kill "$sim"; continue
		fi
		url="$PG/$pgdb?sslmode=disable" ;;
	esac
	gwport=$(free_port)
	DATABASE_URL="$url" EFACTURA_DATA_DIR="$work/data-$db" EFACTURA_ADDR="127.0.0.1:$gwport" \
		EFACTURA_ANAF_BASE_URL="$sim_url" EFACTURA_ANAF_OAUTH_URL="$sim_url" EFACTURA_ANAF_CLIENT_QUOTAS=off EFACTURA_LOG_LEVEL=warn \
		"$work/efactura" serve --demo >"$work/gw-$db.log" 2>&1 &
	gw=$!
	pids+=("$gw")
	read -r secs got < <("$work/syncwait" -db "$url" -want "$want")
	rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$gw/status" 2>/dev/null || echo "?")
	dl=$(curl -fs "$sim_url/__sim/stats" | jq -r '(.ok_calls.descarcare // 0) / ((.downloads | length) | if . == 0 then 1 else . end) | . * 100 | round / 100')
	rate=$(awk -v n="$got" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
	printf '%-10s %9d %9.1f %12s %14s %10.2f\n' "$db" "$got" "$secs" "$rate" "$rss" "$dl"
	kill "$gw" "$sim" 2>/dev/null || true
	wait "$gw" "$sim" 2>/dev/null || true
	if [[ $db == postgres && -n "${pgdb:-}" ]]; then dropdb -h 127.0.0.1 -U postgres --if-exists "$pgdb" || true; pgdb=""; fi
done
