#!/bin/sh
# Restart or upgrade the gateway replicas of deploy/compose.yaml one at a
# time, without a failed request (docs/operations.md §4):
#   deploy/rolling.sh restart            # e.g. after editing deploy/secrets/
#   deploy/rolling.sh upgrade            # after `docker compose build` / `pull`
#   deploy/rolling.sh upgrade gateway-2  # only the named replicas
# For each replica: `restart` (SIGTERM: /readyz turns 503, the replica
# serves for EFACTURA_SHUTDOWN_DRAIN, then stops accepting and finishes its
# requests; nginx sends new requests to the other one), or `up -d --no-deps`
# which recreates it from the new image the same way; then wait until its
# /readyz answers 200 and SETTLE more seconds (longer than nginx's
# fail_timeout, so nginx has taken it back) before the next replica.
# Never `docker compose up -d` for an upgrade: it recreates both at once.
#
# COMPOSE overrides the compose command (default "docker compose", run in
# deploy/), e.g. COMPOSE="docker compose -f compose.yaml -f my.override.yaml".
set -eu
usage() { echo "usage: $0 restart|upgrade [SERVICE...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
action=$1
shift
case $action in restart | upgrade) ;; *) usage ;; esac
[ $# -gt 0 ] || set -- gateway-1 gateway-2
cd "$(dirname "$0")"
COMPOSE=${COMPOSE:-docker compose}
READY_TIMEOUT=${READY_TIMEOUT:-180}
SETTLE=${SETTLE:-5}

# The replica's own /readyz, on the address it listens on (EFACTURA_ADDR).
ready() {
	# shellcheck disable=SC2016 # expanded inside the container
	$COMPOSE exec -T "$1" sh -c 'a="${EFACTURA_ADDR:-0.0.0.0:8080}"; h="${a%:*}"; case "$h" in ""|0.0.0.0|"[::]") h=127.0.0.1;; esac; exec efactura probe "http://$h:${a##*:}/readyz"' >/dev/null 2>&1
}

for s in "$@"; do
	start=$(date +%s)
	echo "rolling: $action $s"
	case $action in
	restart) $COMPOSE restart --no-deps "$s" ;;
	upgrade) $COMPOSE up -d --no-deps --no-build "$s" ;;
	esac
	until ready "$s"; do
		if [ $(($(date +%s) - start)) -ge "$READY_TIMEOUT" ]; then
			echo "rolling: $s is not ready after ${READY_TIMEOUT}s; stopping here (the other replicas are untouched): docker compose logs $s" >&2
			exit 1
		fi
		sleep 1
	done
	echo "rolling: $s ready after $(($(date +%s) - start))s; settling ${SETTLE}s"
	sleep "$SETTLE"
done
