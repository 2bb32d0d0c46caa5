#!/usr/bin/env bash
# Sync benchmark (issues 4 and 16): an ANAF simulator without quotas or
# latency loaded with INVOICES synthetic invoices over COMPANIES companies
# (2 × INVOICES messages: seller and buyer), a gateway (`serve --demo`
# against that simulator: every company, auto-sync through the job queue),
# on SQLite and on PostgreSQL. It waits for the first sync of every company
# (bench/syncwait) and prints per database:
#
#   companies×messages  messages per company (each company's first sync)
#   msg/s               archived messages per second, first run started → last finished
#   gw ms/msg           the gateway's CPU time (/proc/PID/stat, startup included) per message
#   pg ms/msg           the CPU time of the PostgreSQL backends serving the gateway per message
#                       (shared background processes, WAL writer and checkpointer, not included)
#   dl/msg              successful downloads per message (ANAF delivered each download id once: must be 1.00)
#   RSS MiB             the gateway's resident memory when the sync started / its peak / at the end
#   sim ms/msg          the simulator's CPU time per message during the sync and drain (it shares the
#                       cores here; ANAF's servers would not): not part of gw ms/msg
#   anon pk/end         of it, the anonymous memory (RssAnon: heaps), peak / at the end; the rest
#                       is file pages (SQLite reads the database through a memory map)
#   load                the load average (1 min) before and after
#   drain s             seconds the background jobs the sync left (its events' dispatch, risk
#                       checks, validation) took to finish after it (at most 3 minutes)
#   gw+bg, pg+bg        gw ms/msg and pg ms/msg counted once those jobs finished: all the work
#                       the sync caused (CPU done in the window differs with how far the
#                       background jobs got during it)
#
# A message dated inside the last minute is outside the first sync's window
# (ANAF refuses an end time in the future; the gateway lists up to a minute
# ago): it is left to the next sync. The bench waits for every company's
# first run to finish and counts what the runs archived, instead of waiting
# for the simulator's total (the difference is said on stderr).
#
#   bench/sync.sh [INVOICES [COMPANIES]]      default 50000 50 (50 companies × 2,000 messages)
#   BENCH_DBS="sqlite postgres" (default), BENCH_PG=postgres://postgres@127.0.0.1:5432
#
#   BENCH_BIN=PATH runs that efactura binary instead of building this tree's (A/B runs)
#   BENCH_PG_STATS=1 prints pg_stat_user_tables of invoices; BENCH_KEEP_PG=1 keeps the PostgreSQL database
#
# Needs Go, curl and jq; PostgreSQL via createdb/dropdb on 127.0.0.1 as postgres
# (skipped when createdb is missing or fails).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50000}
M=${2:-50}
DBS=${BENCH_DBS:-sqlite postgres}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[[ -n "${pgdb:-}" && -z "${BENCH_KEEP_PG:-}" ]] && dropdb -h 127.0.0.1 -U postgres --if-exists "$pgdb" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

if [[ -n "${BENCH_BIN:-}" ]]; then
	cp "$BENCH_BIN" "$work/efactura" # another build (A/B against main)
else
	go build -o "$work/efactura" ./cmd/efactura
fi
go build -o "$work/syncwait" ./bench/syncwait

# cpu_ms PID: the process's CPU time so far (user + system), in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($14 + $15) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }

printf '%-9s %18s %7s %9s %9s %7s %19s %11s %7s %9s %9s %12s %10s\n' database companies×messages msg/s "gw ms/msg" "pg ms/msg" dl/msg "RSS MiB st/pk/end" "load" "drain s" "gw+bg" "pg+bg" "anon pk/end" "sim ms/msg"
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
	load0=$(cut -d' ' -f1 /proc/loadavg)
	sim0=$(cpu_ms "$sim")
	gwport=$(free_port)
	DATABASE_URL="$url" EFACTURA_DATA_DIR="$work/data-$db" EFACTURA_ADDR="127.0.0.1:$gwport" \
		EFACTURA_ANAF_BASE_URL="$sim_url" EFACTURA_ANAF_OAUTH_URL="$sim_url" EFACTURA_ANAF_CLIENT_QUOTAS=off EFACTURA_LOG_LEVEL=warn \
		"$work/efactura" serve --demo >"$work/gw-$db.log" 2>&1 &
	gw=$!
	pids+=("$gw")
	read -r secs got _listed gwcpu dbcpu rss0 rsspk rss1 drain gwall dball anonpk anon1 < <("$work/syncwait" -db "$url" -companies "$M" -pid "$gw")
	load1=$(cut -d' ' -f1 /proc/loadavg)
	sim1=$(cpu_ms "$sim")
	dl=$(curl -fs "$sim_url/__sim/stats" | jq -r '(.ok_calls.descarcare // 0) / ((.downloads | length) | if . == 0 then 1 else . end) | . * 100 | round / 100')
	if [[ $db == postgres && -n "${BENCH_PG_STATS:-}" ]]; then
		psql -h 127.0.0.1 -U postgres -d "$pgdb" -Atc "SELECT 'invoices: seq_scan ' || seq_scan || ', seq_tup_read ' || seq_tup_read || ', idx_scan ' || COALESCE(idx_scan, 0) || ', idx_tup_fetch ' || COALESCE(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relname = 'invoices'" >&2 || true
	fi
	awk -v db="$db" -v m="$M" -v got="$got" -v want="$want" -v s="$secs" -v gc="$gwcpu" -v dc="$dbcpu" -v dr="$drain" -v ga="$gwall" -v da="$dball" -v ap="$anonpk" -v a1="$anon1" -v sc=$((sim1 - sim0)) \
		-v dl="$dl" -v r0="$rss0" -v rp="$rsspk" -v r1="$rss1" -v l0="$load0" -v l1="$load1" 'BEGIN {
		pg = dc < 0 ? "-" : sprintf("%.2f", dc / got)
		pga = da < 0 ? "-" : sprintf("%.2f", da / got)
		printf "%-9s %18s %7.0f %9.2f %9s %7.2f %19s %11s %7.1f %9.2f %9s %12s %10.2f\n", db, sprintf("%d×%.0f", m, got / m), got / s, gc / got, pg, dl,
			sprintf("%.0f/%.0f/%.0f", r0 / 1024, rp / 1024, r1 / 1024), l0 "→" l1, dr, ga / got, pga, sprintf("%.0f/%.0f", ap / 1024, a1 / 1024), sc / got
		if (got < want) printf "  %s: archived %d of the simulator'"'"'s %d messages; the other %d are dated inside the last minute, left to the next sync\n", db, got, want, want - got > "/dev/stderr"
	}'
	kill "$gw" "$sim" 2>/dev/null || true
	wait "$gw" "$sim" 2>/dev/null || true
	if [[ $db == postgres && -n "${pgdb:-}" && -z "${BENCH_KEEP_PG:-}" ]]; then dropdb -h 127.0.0.1 -U postgres --if-exists "$pgdb" || true; pgdb=""; fi
done
