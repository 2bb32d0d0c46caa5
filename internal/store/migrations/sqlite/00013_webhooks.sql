-- SQLite dialect of postgres/00013_webhooks.sql; times are UTC fixed-width TEXT.
-- Events and signed webhooks (issue 19). An event is recorded in the
-- transaction of the data it announces (an archived invoice, an upload's
-- verdict, a failed sync, a connection needing its user); its
-- dispatch_event River job commits with it. dedupe_key makes one-off
-- events (a connection expiring in 14 days) happen once. data is the
-- envelope's data, written when the event is first dispatched, so every
-- delivery and redelivery carries the same bytes.
--
-- webhook_endpoints: a company's receivers; the secret is sealed with the
-- secretbox keyring (HMAC needs the plain secret). webhook_deliveries: one
-- row per (event, endpoint), the delivery log.

-- +goose Up
CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    public_id     TEXT NOT NULL UNIQUE,
    company_id    INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    type          TEXT NOT NULL,
    subject_id    INTEGER NOT NULL DEFAULT 0,
    detail        TEXT NOT NULL DEFAULT '{}',
    data          TEXT,
    dedupe_key    TEXT UNIQUE,
    created_at    TEXT NOT NULL,
    dispatched_at TEXT
);
CREATE INDEX events_company_idx ON events (company_id, created_at);
CREATE INDEX events_undispatched_idx ON events (created_at) WHERE dispatched_at IS NULL;

CREATE TABLE webhook_endpoints (
    id                    INTEGER PRIMARY KEY,
    company_id            INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    url                   TEXT NOT NULL,
    event_types           TEXT NOT NULL,
    sync_failed_threshold INTEGER NOT NULL DEFAULT 3,
    secret_enc            BLOB NOT NULL,
    enabled               INTEGER NOT NULL DEFAULT 1,
    disabled_reason       TEXT NOT NULL DEFAULT '',
    created_by            INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_company_idx ON webhook_endpoints (company_id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    public_id       TEXT NOT NULL UNIQUE,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    response_code   INTEGER NOT NULL DEFAULT 0,
    latency_ms      INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    retry_from      TEXT NOT NULL,
    next_attempt_at TEXT,
    delivered_at    TEXT,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE events;
