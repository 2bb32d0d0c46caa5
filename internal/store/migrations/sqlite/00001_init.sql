-- Initial schema, SQLite dialect. Timestamps are TEXT in the fixed-width
-- UTC layout 2006-01-02T15:04:05.000000Z (sorts and compares as text);
-- booleans are INTEGER 0/1.

-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'pending',
    lang          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    data       BLOB NOT NULL,
    expiry     TEXT NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

CREATE TABLE companies (
    id                    INTEGER PRIMARY KEY,
    cif                   TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    auto_sync             INTEGER NOT NULL DEFAULT 1,
    sync_interval_minutes INTEGER NOT NULL DEFAULT 60,
    last_synced_until     TEXT,
    created_at            TEXT NOT NULL
);

CREATE TABLE memberships (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    PRIMARY KEY (company_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE anaf_app (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    client_id         TEXT NOT NULL,
    client_secret_enc BLOB NOT NULL,
    redirect_uri      TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE anaf_tokens (
    user_id            INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    access_token_enc   BLOB NOT NULL,
    refresh_token_enc  BLOB NOT NULL,
    expires_at         TEXT NOT NULL,
    refresh_expires_at TEXT,
    status             TEXT NOT NULL,
    last_refresh_at    TEXT,
    updated_at         TEXT NOT NULL
);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    scope        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_keys_company_idx ON api_keys (company_id);

CREATE TABLE invoices (
    id               INTEGER PRIMARY KEY,
    company_id       INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    anaf_id          TEXT NOT NULL,
    upload_id        TEXT NOT NULL DEFAULT '',
    message_type     TEXT NOT NULL,
    details          TEXT NOT NULL DEFAULT '',
    cif_emitent      TEXT NOT NULL DEFAULT '',
    cif_beneficiar   TEXT NOT NULL DEFAULT '',
    anaf_created_at  TEXT NOT NULL,
    document_type    TEXT NOT NULL DEFAULT '',
    invoice_number   TEXT NOT NULL DEFAULT '',
    issue_date       TEXT,
    due_date         TEXT NOT NULL DEFAULT '',
    currency         TEXT NOT NULL DEFAULT '',
    issuer_name      TEXT NOT NULL DEFAULT '',
    receiver_name    TEXT NOT NULL DEFAULT '',
    supplier_cif     TEXT NOT NULL DEFAULT '',
    total_amount     TEXT NOT NULL DEFAULT '',
    total_amount_num REAL,
    vat_amount       TEXT NOT NULL DEFAULT '',
    parsed_json      BLOB,
    parse_error      TEXT NOT NULL DEFAULT '',
    search_text      TEXT NOT NULL DEFAULT '',
    zip              BLOB NOT NULL,
    zip_sha256       BLOB NOT NULL,
    synced_at        TEXT NOT NULL,
    UNIQUE (company_id, anaf_id)
);
CREATE INDEX invoices_company_issue_date_idx ON invoices (company_id, issue_date);
CREATE INDEX invoices_company_message_type_idx ON invoices (company_id, message_type);
CREATE INDEX invoices_anaf_id_idx ON invoices (anaf_id);

CREATE TABLE sync_runs (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    status       TEXT NOT NULL,
    found_count  INTEGER NOT NULL DEFAULT 0,
    new_count    INTEGER NOT NULL DEFAULT 0,
    failed_count INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_company_started_idx ON sync_runs (company_id, started_at);

CREATE TABLE audit_events (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor_id INTEGER,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL DEFAULT '',
    details  TEXT NOT NULL DEFAULT '',
    ip       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at_idx ON audit_events (at);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE sync_runs;
DROP TABLE invoices;
DROP TABLE api_keys;
DROP TABLE anaf_tokens;
DROP TABLE anaf_app;
DROP TABLE memberships;
DROP TABLE companies;
DROP TABLE sessions;
DROP TABLE users;
