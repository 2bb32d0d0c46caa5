-- Sending invoices (issue 14): one row per upload of one document, and the
-- Idempotency-Key table of POST /api/v1/invoices (and the web form's
-- one-time token). Times are UTC fixed-width TEXT as in 00001.
--
-- uploads_active_idx makes "never twice" a database rule: one (company,
-- seller CIF, number BT-1, issue date BT-2) has at most one upload that is
-- in flight or accepted (sending, unknown, pending, ok); an earlier nok or
-- invalid one does not count. Two concurrent POSTs of one invoice insert
-- once; the second gets a unique violation and names the first.

-- +goose Up
CREATE TABLE uploads (
    id             INTEGER PRIMARY KEY,
    company_id     INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    file_name      TEXT NOT NULL DEFAULT '',
    options        TEXT NOT NULL DEFAULT '{}',
    standard       TEXT NOT NULL DEFAULT 'UBL',
    state          TEXT NOT NULL,
    state_at       TEXT NOT NULL,
    seller_cif     TEXT NOT NULL DEFAULT '',
    invoice_number TEXT NOT NULL DEFAULT '',
    issue_date     TEXT NOT NULL DEFAULT '',
    buyer_cif      TEXT NOT NULL DEFAULT '',
    buyer_name     TEXT NOT NULL DEFAULT '',
    total_amount   TEXT NOT NULL DEFAULT '',
    currency       TEXT NOT NULL DEFAULT '',
    document       BLOB NOT NULL,
    doc_sha256     BLOB NOT NULL,
    id_incarcare   TEXT NOT NULL DEFAULT '',
    id_descarcare  TEXT NOT NULL DEFAULT '',
    errors         TEXT NOT NULL DEFAULT '[]',
    report         TEXT,
    duplicate_of   INTEGER REFERENCES uploads (id) ON DELETE SET NULL,
    invoice_id     INTEGER REFERENCES invoices (id) ON DELETE SET NULL,
    ref_invoice_id INTEGER REFERENCES invoices (id) ON DELETE SET NULL,
    send_started_at TEXT,
    sent_at        TEXT,
    polls          INTEGER NOT NULL DEFAULT 0,
    next_poll_at   TEXT,
    created_by_user INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_by_key  INTEGER,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX uploads_company_created_idx ON uploads (company_id, created_at);
CREATE INDEX uploads_state_idx ON uploads (state);
CREATE INDEX uploads_id_incarcare_idx ON uploads (id_incarcare);
CREATE UNIQUE INDEX uploads_active_idx ON uploads (company_id, seller_cif, invoice_number, issue_date)
    WHERE state IN ('sending', 'unknown', 'pending', 'ok') AND standard <> 'RASP';

CREATE TABLE upload_idempotency (
    id          INTEGER PRIMARY KEY,
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    body_sha256 BLOB NOT NULL,
    upload_id   INTEGER NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    UNIQUE (scope, key)
);
CREATE INDEX upload_idempotency_created_idx ON upload_idempotency (created_at);

-- +goose Down
DROP TABLE upload_idempotency;
DROP TABLE uploads;
