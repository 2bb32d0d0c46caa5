#!/usr/bin/env bash
# PDF rendering under load (issue 11): a gateway (`serve --demo` on SQLite,
# its in-process simulator loaded with one generated invoice of LINES lines
# padded to about SIZE bytes, 10 MB by default), then PARALLEL simultaneous
# GET /api/v1/invoices/{id}/pdf. Prints one row per request (status,
# seconds, Retry-After, bytes) and the gateway's memory: RSS once the
# invoice is archived, and the peak (VmHWM) over the whole run, which
# includes parsing the document at sync. Every status must be 200 or 503
# (with Retry-After), the peak under 400 MiB.
#
#   bench/pdf-parallel.sh [PARALLEL [LINES [SIZE]]]     default 12 5000 10000000
#
# Needs Go, curl and jq.
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-12}
LINES=${2:-5000}
SIZE=${3:-10000000}
work=$(mktemp -d)
gw=""
cleanup() {
	[[ -n "$gw" ]] && kill "$gw" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/efactura" ./cmd/efactura
go build -o "$work/pdfgen" ./bench/pdfgen
mkdir -p "$work/invoices"
bytes=$("$work/pdfgen" -lines "$LINES" -size "$SIZE" -o "$work/invoices/large.xml")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
port=$(free_port)
base="http://127.0.0.1:$port"
DATABASE_URL="sqlite:$work/data/efactura.db" EFACTURA_DATA_DIR="$work/data" EFACTURA_LOG_LEVEL=warn \
	"$work/efactura" serve --demo --demo-invoices "$work/invoices" --addr "127.0.0.1:$port" >"$work/out.txt" 2>"$work/gw.log" &
gw=$!
key=""
for _ in $(seq 1 600); do
	key=$(awk '/^api key:/ {print $3}' "$work/out.txt" 2>/dev/null || true)
	[[ -n "$key" ]] && break
	kill -0 "$gw" 2>/dev/null || { cat "$work/gw.log" >&2; exit 1; }
	sleep 0.1
done
[[ -n "$key" ]] || { echo "the gateway printed no API key" >&2; cat "$work/gw.log" >&2; exit 1; }
id=""
for _ in $(seq 1 1200); do
	id=$(curl -fs -H "X-API-KEY: $key" "$base/api/v1/invoices" | jq -r '.data[0].id // empty' 2>/dev/null || true)
	[[ -n "$id" ]] && break
	sleep 0.25
done
[[ -n "$id" ]] || { echo "the invoice was not archived" >&2; tail -5 "$work/gw.log" >&2; exit 1; }
mem() { awk -v k="$1:" '$1 == k {printf "%.0f", $2/1024}' "/proc/$gw/status"; }
rss_idle=$(mem VmRSS)
hwm_before=$(mem VmHWM)

echo "invoice: $bytes bytes, $LINES lines; $P parallel GET $base/api/v1/invoices/$id/pdf; $(nproc) CPUs"
for i in $(seq 1 "$P"); do
	curl -s -o "$work/pdf-$i" -D "$work/hdr-$i" -H "X-API-KEY: $key" \
		-w '%{http_code} %{time_total}\n' "$base/api/v1/invoices/$id/pdf" >"$work/res-$i" &
done
wait $(jobs -p | grep -v "^$gw\$") 2>/dev/null || true
printf '%-8s %-7s %8s %12s %10s\n' request status seconds retry-after bytes
declare -A count
for i in $(seq 1 "$P"); do
	read -r code secs <"$work/res-$i"
	retry=$(awk -F': ' 'tolower($1) == "retry-after" {gsub("\r", "", $2); print $2}' "$work/hdr-$i")
	size=$(stat -c %s "$work/pdf-$i")
	printf '%-8s %-7s %8.2f %12s %10s\n' "$i" "$code" "$secs" "${retry:--}" "$size"
	count[$code]=$(( ${count[$code]:-0} + 1 ))
done
hwm=$(mem VmHWM)
echo
printf '%-34s %s\n' "statuses" "$(for c in "${!count[@]}"; do printf '%s×%s ' "${count[$c]}" "$c"; done)"
printf '%-34s %s MiB\n' "RSS after sync, before the burst" "$rss_idle"
printf '%-34s %s MiB\n' "peak RSS (VmHWM) before the burst" "$hwm_before"
printf '%-34s %s MiB\n' "peak RSS (VmHWM) after the burst" "$hwm"
bad=0
for c in "${!count[@]}"; do [[ $c == 200 || $c == 503 ]] || bad=1; done
for i in $(seq 1 "$P"); do
	read -r code _ <"$work/res-$i"
	[[ $code == 503 ]] && ! grep -qi '^retry-after:' "$work/hdr-$i" && bad=1
done
(( hwm < 400 )) || bad=1
if (( bad )); then echo "FAIL: a status other than 200/503, a 503 without Retry-After, or peak RSS >= 400 MiB"; exit 1; fi
echo "OK: only 200 and 503 (with Retry-After), peak RSS under 400 MiB"
