# Stand-in for the postgres, redis and nginx images of compose.yaml, made by
# deploy/smoke.sh from Debian 12's packages when no image registry is
# reachable: PostgreSQL 15, Redis 7.0 and nginx 1.22 in one image; the
# entrypoint does what the official postgres image's does with
# POSTGRES_USER, POSTGRES_DB and POSTGRES_PASSWORD_FILE.
FROM debian:bookworm-slim
RUN mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 redis-server nginx-light ca-certificates \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH
ENTRYPOINT ["docker-entrypoint.sh"]
