#!/usr/bin/env bash
# deploy/smoke.sh: the deployment files run for real (issue 18). Builds the
# project's image and runs it (non-root, read-only root filesystem,
# HEALTHCHECK healthy), brings up deploy/compose.yaml (two replicas,
# PostgreSQL, Redis, nginx with TLS) the way docs/operations.md §1 says,
# checks the proxy's TLS and headers, and under a bounded wrk load through
# nginx restarts each replica in turn and does the rolling upgrade
# (deploy/rolling.sh): any failed request fails the run.
#
# What the machine lacks is a SKIP, not a failure: no Docker engine that
# can start, no Debian mirror for base images, no Go module proxy for
# Compose v2. Then it prints "SKIPPED: <reason>" and exits 0. A failure of
# the product (image build, health, readiness, a failed request) prints
# "FAIL: <what>" with the services' logs and exits 1.
#
# Caches (outside the clone, kept between runs): $EFACTURA_SMOKE_CACHE
# (default /var/cache/efactura-smoke: base image tarball, Compose binary)
# and the started daemon's data root /var/lib/efactura-smoke-docker (image
# layers). .ci/run calls it under `timeout 600`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${EFACTURA_SMOKE_CACHE:-/var/cache/efactura-smoke}
DATA_ROOT=${EFACTURA_SMOKE_DATA_ROOT:-/var/lib/efactura-smoke-docker}
COMPOSE_VERSION=v2.40.3
PROJECT=efactura-smoke
LOAD_CONNS=${SMOKE_LOAD_CONNS:-8}
T0=$(date +%s)
# The whole run must end within .ci/run's `timeout 600`: one-time setup
# (Compose, base images) and the image build get what is left of BUDGET
# after RESERVE seconds for the stack, restarts and upgrade; setup cut
# short is a SKIP (what finished stays cached for the next run).
BUDGET=${SMOKE_BUDGET:-570}
RESERVE=${SMOKE_RESERVE:-200}
left() { echo $((BUDGET - RESERVE - ($(date +%s) - T0))); }
within_budget() { # COMMAND...: timeout at what is left; 124 when nothing is
	local l
	l=$(left)
	[ "$l" -gt 0 ] || return 124
	timeout "$l" "$@"
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

log() { printf 'smoke: [%3ds] %s\n' $(($(date +%s) - T0)) "$*"; }
skip() {
	echo "SKIPPED: $*"
	exit 0
}
FAILED=""
fail() {
	FAILED=1
	echo "FAIL: $*" >&2
	if [ -n "${COMPOSE_UP:-}" ]; then
		echo "---- docker compose ps / logs (last 40 lines per service)" >&2
		$COMPOSE ps -a >&2 || true
		$COMPOSE logs --no-color --tail 40 >&2 || true
	fi
	exit 1
}
[ "$(id -u)" = 0 ] || skip "needs root to start a Docker daemon and build base images (uid $(id -u))"

mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock -w 300 9 || skip "another smoke run holds $CACHE/lock"

apt_install() { # PACKAGE...: Debian's packages, once
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; }
}
for tool in dockerd:docker.io containerd:containerd runc:runc wrk:wrk debootstrap:debootstrap openssl:openssl curl:curl; do
	command -v "${tool%%:*}" >/dev/null || apt_install "${tool#*:}" || skip "cannot install ${tool#*:} from Debian's packages"
done
command -v docker >/dev/null || apt_install docker.io || skip "no docker client"

# ---- The Docker daemon: the running one, else our own.
STARTED_DAEMON=""
cleanup() {
	local rc=$?
	if [ -n "${WRK_PID:-}" ]; then kill "$WRK_PID" 2>/dev/null || true; fi
	if [ -n "${COMPOSE_UP:-}" ]; then $COMPOSE down -v --remove-orphans >/dev/null 2>&1 || true; fi
	docker rm -f efactura-smoke-single >/dev/null 2>&1 || true
	if [ -n "$STARTED_DAEMON" ]; then
		kill "$STARTED_DAEMON" 2>/dev/null || true
		for _ in $(seq 1 20); do kill -0 "$STARTED_DAEMON" 2>/dev/null || break; sleep 0.5; done
	fi
	if [ -n "${SMOKE_RUN:-}" ]; then rm -rf "$SMOKE_RUN"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "smoke: interrupted" >&2; exit 143' TERM INT
if ! timeout 10 docker info >/dev/null 2>&1; then
	sock=/run/efactura-smoke/docker.sock
	export DOCKER_HOST=unix://$sock
	if ! timeout 10 docker info >/dev/null 2>&1; then
		mkdir -p /run/efactura-smoke "$DATA_ROOT"
		log "starting dockerd --iptables=false --bridge=none --data-root $DATA_ROOT"
		dockerd --iptables=false --bridge=none --data-root "$DATA_ROOT" --host "$DOCKER_HOST" \
			--exec-root /run/efactura-smoke/exec --pidfile /run/efactura-smoke/dockerd.pid \
			>"$CACHE/dockerd.log" 2>&1 &
		STARTED_DAEMON=$!
		for _ in $(seq 1 60); do
			timeout 5 docker info >/dev/null 2>&1 && break
			kill -0 "$STARTED_DAEMON" 2>/dev/null || break
			sleep 0.5
		done
		timeout 10 docker info >/dev/null 2>&1 ||
			skip "dockerd does not start here: $(grep -m1 -iE 'level=(fatal|error)' "$CACHE/dockerd.log" || tail -1 "$CACHE/dockerd.log")"
	fi
fi
log "docker engine $(docker version -f '{{.Server.Version}}') at ${DOCKER_HOST:-the default socket}"
export DOCKER_BUILDKIT=0 # the legacy builder needs no frontend image from a registry

# ---- Compose v2: the installed plugin, else built from the Go module proxy.
if ! docker compose version >/dev/null 2>&1; then
	bin=$CACHE/bin/docker-compose-$COMPOSE_VERSION
	if [ ! -x "$bin" ]; then
		command -v go >/dev/null || skip "no docker compose and no Go to build it"
		log "building Compose $COMPOSE_VERSION from the Go module proxy (once; cached in $CACHE/bin)"
		src=$CACHE/src/compose-$COMPOSE_VERSION
		if [ ! -d "$src" ]; then
			mod=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" 2>/dev/null |
				sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
			[ -n "$mod" ] || skip "cannot download github.com/docker/compose/v2@$COMPOSE_VERSION from the Go module proxy"
			mkdir -p "$CACHE/src" && cp -r "$mod" "$src.tmp" && chmod -R u+w "$src.tmp" && mv "$src.tmp" "$src"
		fi
		mkdir -p "$CACHE/bin"
		rc=0
		(cd "$src" && within_budget env CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" -o "$bin.tmp" ./cmd) || rc=$?
		[ "$rc" != 124 ] || skip "building Compose $COMPOSE_VERSION took the setup budget (load average $(loadavg)); Go's build cache keeps the progress for the next run"
		[ "$rc" = 0 ] || skip "Compose $COMPOSE_VERSION does not build here"
		mv "$bin.tmp" "$bin"
	fi
	export DOCKER_CONFIG=$CACHE/docker-config
	mkdir -p "$DOCKER_CONFIG/cli-plugins"
	ln -sf "$bin" "$DOCKER_CONFIG/cli-plugins/docker-compose"
	docker compose version >/dev/null 2>&1 || skip "the Compose plugin $bin does not run"
fi
log "$(docker compose version)"

# ---- Base images: pulled, else made from Debian's packages.
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
pull_or_false() { have_image "$1" || timeout 60 docker pull -q "$1" >/dev/null 2>&1; }
if ! pull_or_false debian:bookworm-slim; then
	tarball=$CACHE/debian-bookworm-minbase.tar
	if [ ! -s "$tarball" ]; then
		log "debootstrap --variant=minbase bookworm (once; cached in $tarball)"
		rm -rf "$CACHE/rootfs.tmp"
		within_budget debootstrap --variant=minbase bookworm "$CACHE/rootfs.tmp" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 ||
			skip "debootstrap cannot reach Debian's mirror: $(tail -1 "$CACHE/debootstrap.log")"
		cat >"$CACHE/rootfs.tmp/etc/apt/sources.list" <<-'EOF'
			deb http://deb.debian.org/debian bookworm main
			deb http://deb.debian.org/debian bookworm-updates main
			deb http://deb.debian.org/debian-security bookworm-security main
		EOF
		rm -rf "$CACHE"/rootfs.tmp/var/cache/apt/archives/*.deb "$CACHE"/rootfs.tmp/var/lib/apt/lists/*
		# The host's own certificate authorities (an egress proxy's, say):
		# ca-certificates, once installed in an image, trusts them too, so
		# the builds reach the Go module proxy as the host does.
		if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
			mkdir -p "$CACHE/rootfs.tmp/usr/local/share/ca-certificates"
			cp /usr/local/share/ca-certificates/*.crt "$CACHE/rootfs.tmp/usr/local/share/ca-certificates/"
		fi
		tar -C "$CACHE/rootfs.tmp" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
		rm -rf "$CACHE/rootfs.tmp"
	fi
	log "docker import $tarball as debian:bookworm-slim"
	docker import --change 'CMD ["bash"]' "$tarball" debian:bookworm-slim >/dev/null
fi
if ! pull_or_false golang:1.26-bookworm; then
	goroot=$(cd "$ROOT" && go env GOROOT 2>/dev/null) || skip "no Go toolchain to make golang:1.26-bookworm"
	log "making golang:1.26-bookworm from debian:bookworm-slim and $goroot"
	printf '%s\n' 'FROM debian:bookworm-slim' \
		'RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates git && rm -rf /var/lib/apt/lists/*' \
		'COPY . /usr/local/go' \
		'ENV PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GOPATH=/go GOTOOLCHAIN=local' |
		within_budget docker build -q --network host -t golang:1.26-bookworm -f - "$goroot" >/dev/null ||
		skip "cannot make golang:1.26-bookworm (Debian's mirror unreachable from a build?)"
fi
# The build stage's Go build cache, warmed once per go.sum: a container of
# golang:1.26-bookworm downloads the modules and compiles the project as
# deploy/Dockerfile does, and is committed under the same name, so the
# image build compiles only what changed (the legacy builder has no cache
# mounts). Only in the smoke's daemon; deploy/Dockerfile is unchanged.
gosum=$(sha256sum go.sum | cut -c1-16)
if [ "$(docker image inspect -f '{{index .Config.Labels "efactura.smoke.gosum"}}' golang:1.26-bookworm 2>/dev/null)" != "$gosum" ]; then
	log "warming golang:1.26-bookworm's module and build caches for go.sum $gosum (once per go.sum)"
	docker rm -f efactura-smoke-warm >/dev/null 2>&1 || true
	rc=0
	within_budget docker run --name efactura-smoke-warm --network host -v "$ROOT:/src:ro" -w /src golang:1.26-bookworm \
		sh -c 'go mod download && CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false -o /dev/null ./cmd/efactura' >"$CACHE/warm.log" 2>&1 || rc=$?
	[ "$rc" != 124 ] || skip "warming the Go build cache took the setup budget (load average $(loadavg))"
	[ "$rc" = 0 ] || { tail -20 "$CACHE/warm.log" >&2; fail "the project does not build in golang:1.26-bookworm"; }
	docker commit -c "LABEL efactura.smoke.gosum=$gosum" -c 'WORKDIR /go' -c 'CMD ["bash"]' efactura-smoke-warm golang:1.26-bookworm >/dev/null
	docker rm efactura-smoke-warm >/dev/null
fi

services_image=""
if pull_or_false postgres:17-bookworm && pull_or_false redis:7-bookworm && pull_or_false nginx:1.22; then
	SMOKE_POSTGRES_IMAGE=postgres:17-bookworm SMOKE_REDIS_IMAGE=redis:7-bookworm SMOKE_NGINX_IMAGE=nginx:1.22
else
	services_image=efactura-smoke/services:bookworm
	if ! have_image "$services_image"; then
		log "making $services_image (PostgreSQL 15, Redis 7, nginx 1.22 from Debian 12)"
		within_budget docker build -q --network host -t "$services_image" -f deploy/smoke/services.Dockerfile deploy/smoke >/dev/null ||
			skip "cannot make $services_image from Debian's packages"
	fi
	SMOKE_POSTGRES_IMAGE=$services_image SMOKE_REDIS_IMAGE=$services_image SMOKE_NGINX_IMAGE=$services_image
fi
export SMOKE_POSTGRES_IMAGE SMOKE_REDIS_IMAGE SMOKE_NGINX_IMAGE

# ---- The project's image (deploy/Dockerfile as docs/operations.md builds it).
log "docker build -f deploy/Dockerfile (layers cached in the daemon's data root)"
rc=0
within_budget docker build -q --network host -f deploy/Dockerfile --build-arg VERSION=smoke -t efactura:smoke . >"$CACHE/build.log" 2>&1 || rc=$?
if [ "$rc" = 124 ]; then
	skip "the image build did not finish within the budget (load average $(loadavg)); its cached layers help the next run"
elif [ "$rc" != 0 ]; then
	tail -30 "$CACHE/build.log" >&2
	fail "the project's image does not build (deploy/Dockerfile)"
fi
log "image efactura:smoke built"

# ---- The run's directory: ports, .env, secrets, TLS certificate, nginx.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Below Linux's ephemeral range (32768-60999): a restarted replica must get
# its ports back, and under load an outgoing connection may hold any port
# of that range (seen: "bind: address already in use" for 47092).
base=${SMOKE_PORT_BASE:-27000}
export SMOKE_PORT_GW1=$((base + 81)) SMOKE_PORT_GW2=$((base + 82)) SMOKE_PORT_MX1=$((base + 91)) SMOKE_PORT_MX2=$((base + 92))
export SMOKE_PORT_PG=$((base + 432)) SMOKE_PORT_REDIS=$((base + 379)) SMOKE_PORT_HTTP=$((base + 80)) SMOKE_PORT_HTTPS=$((base + 443))
SINGLE_PORT=$((base + 85))
for p in $SMOKE_PORT_GW1 $SMOKE_PORT_GW2 $SMOKE_PORT_MX1 $SMOKE_PORT_MX2 $SMOKE_PORT_PG $SMOKE_PORT_REDIS $SMOKE_PORT_HTTP $SMOKE_PORT_HTTPS $SINGLE_PORT; do
	port_free "$p" || fail "port $p on 127.0.0.1 is taken (set SMOKE_PORT_BASE to move the smoke's ports)"
done
SMOKE_RUN=$(mktemp -d /tmp/efactura-smoke.XXXXXX)
export SMOKE_RUN
chmod 0755 "$SMOKE_RUN"
# The compose network as in production when the daemon can make it (a
# bridge with compose.yaml's subnet; it can here even with --bridge=none),
# else every service on the host's network (compose.smoke.yaml).
NET_MODE=host
if [ "${SMOKE_NETWORK:-auto}" != host ]; then
	docker network rm efactura-smoke-probe >/dev/null 2>&1 || true
	if docker network create --subnet 172.28.18.0/24 efactura-smoke-probe >/dev/null 2>&1 &&
		docker run --rm --network efactura-smoke-probe --ip 172.28.18.10 "$SMOKE_NGINX_IMAGE" true >/dev/null 2>&1; then
		NET_MODE=bridge
	fi
	docker network rm efactura-smoke-probe >/dev/null 2>&1 || true
fi
if [ "$NET_MODE" = bridge ]; then
	override=compose.smoke-net.yaml db_host=postgres:5432
else
	override=compose.smoke.yaml db_host=127.0.0.1:$SMOKE_PORT_PG
fi
log "network: $NET_MODE ($override)"
COMPOSE="docker compose -p $PROJECT -f $ROOT/deploy/compose.yaml -f $ROOT/deploy/$override --env-file $SMOKE_RUN/.env"
export COMPOSE

# docs/operations.md §1 "Containers", in the run's directory: .env from
# .env.example, the secrets as files, the keys from `efactura keygen`.
sed -e "s|^EFACTURA_BASE_URL=.*|EFACTURA_BASE_URL=https://localhost:$SMOKE_PORT_HTTPS|" deploy/.env.example >"$SMOKE_RUN/.env"
echo "EFACTURA_IMAGE=efactura:smoke" >>"$SMOKE_RUN/.env"
install -d -m 0700 "$SMOKE_RUN/secrets"
(
	cd "$SMOKE_RUN/secrets"
	openssl rand -hex 24 >postgres_password
	printf 'postgres://efactura:%s@%s/efactura?sslmode=disable\n' "$(cat postgres_password)" "$db_host" >database_url
	: >anaf_client_secret
	touch efactura_secret_key efactura_encryption_key
)
$COMPOSE run --rm --no-deps -T cli keygen >"$SMOKE_RUN/keys" 2>"$SMOKE_RUN/keygen.err" ||
	{ cat "$SMOKE_RUN/keygen.err" >&2; fail "docker compose run --rm --no-deps -T cli keygen (docs/operations.md §1) fails"; }
sed -n 's/^EFACTURA_SECRET_KEY=//p' "$SMOKE_RUN/keys" >"$SMOKE_RUN/secrets/efactura_secret_key"
sed -n 's/^EFACTURA_ENCRYPTION_KEY=//p' "$SMOKE_RUN/keys" >"$SMOKE_RUN/secrets/efactura_encryption_key"
[ -s "$SMOKE_RUN/secrets/efactura_secret_key" ] && [ -s "$SMOKE_RUN/secrets/efactura_encryption_key" ] ||
	fail "efactura keygen printed no EFACTURA_SECRET_KEY/EFACTURA_ENCRYPTION_KEY lines: $(cat "$SMOKE_RUN/keys")"
rm -f "$SMOKE_RUN/keys"
chown root:10001 "$SMOKE_RUN"/secrets/* && chmod 0640 "$SMOKE_RUN"/secrets/*

mkdir -p "$SMOKE_RUN/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout "$SMOKE_RUN/certs/privkey.pem" -out "$SMOKE_RUN/certs/fullchain.pem" 2>/dev/null
chmod 0644 "$SMOKE_RUN"/certs/*
# Host network: the committed example with the smoke's addresses and
# ports, nothing else (on the bridge it is mounted as it is).
if [ "$NET_MODE" = host ]; then
	sed -e "s|server gateway-1:8080 |server 127.0.0.1:$SMOKE_PORT_GW1 |" \
		-e "s|server gateway-2:8080 |server 127.0.0.1:$SMOKE_PORT_GW2 |" \
		-e "s|listen 80;|listen 127.0.0.1:$SMOKE_PORT_HTTP;|" \
		-e "s|listen 443 ssl http2;|listen 127.0.0.1:$SMOKE_PORT_HTTPS ssl http2;|" \
		deploy/nginx/efactura.conf >"$SMOKE_RUN/nginx.conf"
	grep -q "127.0.0.1:$SMOKE_PORT_GW2 " "$SMOKE_RUN/nginx.conf" && grep -q "$SMOKE_PORT_HTTPS ssl http2" "$SMOKE_RUN/nginx.conf" ||
		fail "deploy/nginx/efactura.conf no longer has the lines the smoke rewrites (upstream servers, listen)"
fi

# ---- The image alone: non-root, read-only root filesystem, HEALTHCHECK
# healthy on a port that is not 8080 (it follows EFACTURA_ADDR).
COMPOSE_UP=1
log "docker compose up -d postgres redis"
$COMPOSE up -d --wait --wait-timeout 120 postgres redis >"$SMOKE_RUN/up-db.log" 2>&1 || { cat "$SMOKE_RUN/up-db.log" >&2; fail "PostgreSQL or Redis did not become healthy"; }
single_net=host single_addr=127.0.0.1:$SINGLE_PORT
[ "$NET_MODE" = host ] || single_net=${PROJECT}_backend single_addr=0.0.0.0:$SINGLE_PORT
log "docker run efactura:smoke (read-only, production, EFACTURA_ADDR=$single_addr)"
docker run -d --name efactura-smoke-single --network "$single_net" --read-only --tmpfs /tmp \
	--health-interval 2s --health-start-period 120s \
	-e EFACTURA_ADDR="$single_addr" -e EFACTURA_BASE_URL=https://localhost:$SMOKE_PORT_HTTPS \
	-e DATABASE_URL_FILE=/run/secrets/database_url -e EFACTURA_SECRET_KEY_FILE=/run/secrets/efactura_secret_key \
	-e EFACTURA_ENCRYPTION_KEY_FILE=/run/secrets/efactura_encryption_key \
	-v "$SMOKE_RUN/secrets/database_url:/run/secrets/database_url:ro" \
	-v "$SMOKE_RUN/secrets/efactura_secret_key:/run/secrets/efactura_secret_key:ro" \
	-v "$SMOKE_RUN/secrets/efactura_encryption_key:/run/secrets/efactura_encryption_key:ro" \
	efactura:smoke >/dev/null
health=""
for _ in $(seq 1 90); do
	health=$(docker inspect -f '{{.State.Health.Status}}' efactura-smoke-single 2>/dev/null || echo gone)
	[ "$health" = starting ] || break
	sleep 1
done
if [ "$health" != healthy ]; then
	docker logs --tail 30 efactura-smoke-single >&2 || true
	fail "the image's HEALTHCHECK says '$health' (want healthy) for EFACTURA_ADDR=$single_addr"
fi
uid=$(docker exec efactura-smoke-single id -u)
[ "$uid" != 0 ] || fail "the image runs as root"
if docker exec efactura-smoke-single sh -c 'echo x > /usr/local/bin/x' 2>/dev/null; then fail "the root filesystem is writable"; fi
docker rm -f efactura-smoke-single >/dev/null
log "image: healthy, uid $uid, read-only root filesystem"

# ---- The stack.
log "docker compose up -d (two replicas, PostgreSQL, Redis, nginx with TLS)"
$COMPOSE up -d --no-build --wait --wait-timeout 180 >"$SMOKE_RUN/up.log" 2>&1 || { cat "$SMOKE_RUN/up.log" >&2; fail "docker compose up did not bring every service up healthy"; }
$COMPOSE ps --format '{{.Service}} {{.Status}}' | sed 's/^/smoke:        /'
$COMPOSE run --rm --no-deps -T cli migrate status >"$SMOKE_RUN/migrate.log" 2>&1 ||
	{ cat "$SMOKE_RUN/migrate.log" >&2; fail "docker compose run --rm --no-deps -T cli migrate status (docs/operations.md §1) fails"; }
# docs/operations.md §5 "Large PostgreSQL installations": pg_dump by the
# server's own version, inside its container, to a file on the host.
$COMPOSE exec postgres pg_dump -Fc -U efactura efactura >"$SMOKE_RUN/pg_dump.custom" 2>"$SMOKE_RUN/pg_dump.err" ||
	{ cat "$SMOKE_RUN/pg_dump.err" >&2; fail "docker compose exec postgres pg_dump -Fc -U efactura efactura > FILE (docs/operations.md §5) fails"; }
[ "$(head -c 5 "$SMOKE_RUN/pg_dump.custom")" = PGDMP ] || fail "docker compose exec postgres pg_dump -Fc wrote no custom-format dump"
# Each service sees only its own secrets (no shared env_file).
pg_sees=$(docker exec "$($COMPOSE ps -q postgres)" sh -c 'env; ls /run/secrets' | grep -E '^(EFACTURA_|DATABASE_URL|REDIS_URL)|^(database_url|efactura_secret_key|efactura_encryption_key|anaf_client_secret)$' || true)
[ -z "$pg_sees" ] || fail "the PostgreSQL container sees the gateway's settings or secrets: $pg_sees"
gw_sees=$(docker exec "$($COMPOSE ps -q gateway-1)" ls /run/secrets | tr '\n' ' ')
[ "$gw_sees" = "anaf_client_secret database_url efactura_encryption_key efactura_secret_key " ] ||
	fail "gateway-1's /run/secrets holds '$gw_sees'"
URL=https://127.0.0.1:$SMOKE_PORT_HTTPS
for _ in $(seq 1 30); do curl -ksf -o /dev/null "$URL/login" && break; sleep 1; done
curl -ksf -o /dev/null "$URL/login" || fail "GET $URL/login through nginx does not answer 2xx"

# The proxy as configured: HTTP/2, HSTS on every answer, no version, no
# TLS 1.2 suite without forward secrecy, the client's Host with its port.
hdr=$(curl -ks -D - -o /dev/null --http2 -w 'proto=%{http_version}\n' "$URL/login")
grep -q '^proto=2' <<<"$hdr" || fail "nginx does not speak HTTP/2: $hdr"
grep -qi '^strict-transport-security: max-age=63072000' <<<"$hdr" || fail "no HSTS header on /login: $hdr"
[ "$(grep -ci '^strict-transport-security' <<<"$hdr")" = 1 ] || fail "more than one HSTS header: $hdr"
grep -qi '^server: nginx\s*$' <<<"$hdr" || fail "nginx shows its version (server_tokens): $(grep -i '^server:' <<<"$hdr")"
curl -ks -D - -o /dev/null "$URL/metrics" | grep -qi '^strict-transport-security' || fail "no HSTS header on the proxy's own 404"
curl -s -D - -o /dev/null "http://127.0.0.1:$SMOKE_PORT_HTTP/login" | grep -qi '^strict-transport-security' || fail "no HSTS header on the HTTP redirect"
if openssl s_client -connect "127.0.0.1:$SMOKE_PORT_HTTPS" -tls1_2 -cipher 'AES128-GCM-SHA256:AES256-SHA:DHE-RSA-AES128-GCM-SHA256' </dev/null >/dev/null 2>&1; then
	fail "nginx accepts a TLS 1.2 suite without forward secrecy"
fi
openssl s_client -connect "127.0.0.1:$SMOKE_PORT_HTTPS" -tls1_2 </dev/null 2>/dev/null | grep -q 'Cipher is ECDHE-' || fail "TLS 1.2 does not negotiate an ECDHE suite"
log "proxy: HTTP/2, HSTS always, server_tokens off, TLS 1.2 ECDHE only"

# ---- Under load: restart each replica in turn, then the rolling upgrade.
# wrk (bounded: $LOAD_CONNS connections, 2 threads) runs for the whole
# phase and is stopped with SIGINT, which prints its totals.
phase() { # NAME COMMAND...: run COMMAND under load; fail on any failed request
	local name=$1 out=$SMOKE_RUN/wrk-$1.txt
	shift
	wrk -t2 -c"$LOAD_CONNS" -d600s --timeout 10s "$URL/login" >"$out" 2>&1 &
	WRK_PID=$!
	sleep 3
	"$@" || fail "$name: $* failed"
	sleep 3
	kill -INT "$WRK_PID"
	wait "$WRK_PID" || true
	WRK_PID=""
	local total non2xx sock
	total=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$out")
	non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$out")
	sock=$(sed -n 's/^ *Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1+\2+\3+\4/p' "$out")
	[ -n "$total" ] || { cat "$out" >&2; fail "$name: wrk printed no totals"; }
	local failed=$((${non2xx:-0} + ${sock:-0}))
	log "$name: $total requests through nginx, $failed failed (non-2xx/3xx ${non2xx:-0}, socket errors ${sock:-0}); $(grep -m1 'Requests/sec' "$out" | tr -s ' ')"
	[ "$failed" = 0 ] || { cat "$out" >&2; fail "$name: $failed of $total requests failed through nginx"; }
}
export COMPOSE SETTLE=${SMOKE_SETTLE:-5}
phase restart deploy/rolling.sh restart
# A new image (same binary, another image id) for the upgrade.
printf 'FROM efactura:smoke\nLABEL org.opencontainers.image.version=smoke-next\n' | docker build -q -t efactura:smoke-next - >/dev/null 2>&1
sed -i 's/^EFACTURA_IMAGE=.*/EFACTURA_IMAGE=efactura:smoke-next/' "$SMOKE_RUN/.env"
phase upgrade deploy/rolling.sh upgrade
for s in gateway-1 gateway-2; do
	img=$(docker inspect -f '{{.Config.Image}}' "$($COMPOSE ps -q "$s")")
	[ "$img" = efactura:smoke-next ] || fail "$s runs $img after the rolling upgrade, not efactura:smoke-next"
done
log "PASS: restarts and rolling upgrade without a failed request (load average $(cut -d' ' -f1-3 /proc/loadavg))"
