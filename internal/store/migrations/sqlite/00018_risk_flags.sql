-- Supplier risk flags on received invoices (issue 20, part 2).
--
-- vat_lookups: ANAF's VAT-payer service (PlatitorTvaRest v9) answer per
-- (CUI, date): the typed answer as JSON (found = 0: ANAF does not know the
-- CUI at that date), fetched_at for the cache's age. One row per pair, so
-- each supplier is asked once per day asked about.
--
-- invoice_risk_checks: one row per received invoice the checker has
-- looked at. vat_done = 0 while ANAF's answer is still missing (the
-- service was down): next_try_at says when to ask again, attempts and
-- last_error why it waits. History flags are computed on the first pass.
--
-- invoice_risk_flags: one row per (invoice, flag code), details as JSON,
-- checked_at/checked_by set when a member marked it checked.
-- invoice_risk_flags_unchecked_idx answers "with unchecked risk flags"
-- (the list's EXISTS probe) and the per-company counts.

-- +goose Up
CREATE TABLE vat_lookups (
    cui        TEXT NOT NULL,
    query_date TEXT NOT NULL,
    found      INTEGER NOT NULL,
    answer     TEXT NOT NULL DEFAULT '',
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (cui, query_date)
);
CREATE TABLE invoice_risk_checks (
    invoice_id  INTEGER PRIMARY KEY REFERENCES invoices (id) ON DELETE CASCADE,
    company_id  INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    computed_at TEXT NOT NULL,
    vat_done    INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT,
    last_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invoice_risk_checks_pending_idx ON invoice_risk_checks (vat_done, next_try_at);
CREATE TABLE invoice_risk_flags (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    company_id  INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '',
    computed_at TEXT NOT NULL,
    checked_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    checked_at  TEXT,
    UNIQUE (invoice_id, code)
);
CREATE INDEX invoice_risk_flags_unchecked_idx ON invoice_risk_flags (company_id, invoice_id) WHERE checked_at IS NULL;

-- +goose Down
DROP INDEX invoice_risk_flags_unchecked_idx;
DROP TABLE invoice_risk_flags;
DROP INDEX invoice_risk_checks_pending_idx;
DROP TABLE invoice_risk_checks;
DROP TABLE vat_lookups;
