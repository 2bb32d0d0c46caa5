#!/usr/bin/env bash
# Disk-full check by hand (issue 11), the same as the tests
# app.TestFullDiskFailsReadiness and jobs.TestSyncBacksOffOnFullDisk: a
# gateway (`serve --demo`, SQLite) whose data directory is a small tmpfs;
# once the tmpfs is full, /readyz must be 503 ("unavailable: disk") while
# /api/v1/health stays 200 with disk "degraded"; the log must show at most
# one "sync stopped: the archive's storage refuses writes" line, not one
# warning per message; freeing the space turns /readyz back to 200.
#
#   sudo bench/diskfull.sh [SIZE]     default 64m
#
# Needs root (mount), Go, curl and jq.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-64m}
work=$(mktemp -d)
mnt="$work/data"
mkdir -p "$mnt"
pid=
cleanup() {
	[[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
mount -t tmpfs -o "size=$SIZE,mode=0700" tmpfs "$mnt"
GOTOOLCHAIN=${GOTOOLCHAIN:-go1.26.11} go build -o "$work/efactura" ./cmd/efactura
EFACTURA_DATA_DIR="$mnt" EFACTURA_ADDR=127.0.0.1:0 "$work/efactura" serve --demo >"$work/out" 2>"$work/log" &
pid=$!
for _ in $(seq 300); do grep -q '^url: ' "$work/out" 2>/dev/null && break; sleep 0.2; done
url=$(sed -n 's/^url: //p' "$work/out")
[[ -n "$url" ]] || { cat "$work/log"; exit 1; }
echo "gateway $url, data on a $SIZE tmpfs"
echo "before: readyz $(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")"
dd if=/dev/zero of="$mnt/filler" bs=1M status=none 2>/dev/null || true
dd if=/dev/zero of="$mnt/filler2" bs=4k status=none 2>/dev/null || true
echo "full:   readyz $(curl -s -w ' %{http_code}' "$url/readyz")"
echo "        health $(curl -s "$url/api/v1/health" | jq -c '{status, checks}')"
sleep 5
echo "        log: $(grep -c 'archiving message failed' "$work/log" || true) per-message warnings," \
	"$(grep -c "storage refuses writes" "$work/log" || true) back-off lines"
rm -f "$mnt/filler" "$mnt/filler2"
echo "freed:  readyz $(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")"
