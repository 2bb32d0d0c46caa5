#!/bin/sh
# The stand-in's entrypoint (services.Dockerfile): `postgres ARGS` creates
# the cluster on first start like the official image (POSTGRES_USER,
# POSTGRES_DB, POSTGRES_PASSWORD_FILE; password auth over TCP), then runs
# PostgreSQL as the postgres user; anything else is run as given.
set -eu
if [ "${1:-}" != postgres ]; then
	exec "$@"
fi
shift
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	user=${POSTGRES_USER:-postgres}
	install -o postgres -m 0600 "${POSTGRES_PASSWORD_FILE:?POSTGRES_PASSWORD_FILE is not set}" /tmp/pwfile
	runuser -u postgres -- initdb -U "$user" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 >/dev/null
	rm -f /tmp/pwfile
	# As the official image: password logins from any address (the
	# compose network), not only from loopback.
	echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
	runuser -u postgres -- pg_ctl -w -o "-c listen_addresses='' -p 5432" start >/dev/null
	if [ "${POSTGRES_DB:-$user}" != postgres ]; then
		runuser -u postgres -- psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -c "CREATE DATABASE \"${POSTGRES_DB:-$user}\"" >/dev/null
	fi
	runuser -u postgres -- pg_ctl -w -m fast stop >/dev/null
	echo "docker-entrypoint.sh: cluster created for $user"
fi
exec runuser -u postgres -- postgres "$@"
