-- Tamper-evident archive (issue 20, part 4; internal/chain).
--
-- archive_chain: each company's archived ZIPs chained in order of
-- archiving; entry_hash = chain.Hash over (company, seq, invoice id,
-- message id, ZIP SHA-256, previous entry_hash, created_at). Appended in
-- the transaction that archives the ZIP (store.insertInvoice). No foreign
-- key to invoices: an invoice row deleted leaves its entry behind for
-- `efactura verify-archive` to name. invoice_id is unique: one entry per
-- archived ZIP.
--
-- archive_chain_heads: the head of each chain, also the per-company lock
-- row appenders serialize on (an upsert locks it on PostgreSQL; SQLite
-- has one writer). backfill_seq/backfill_at: the entries chained after
-- the fact for ZIPs archived before this migration (store.BackfillChain,
-- run after every migration), which the chain attests only from then.
--
-- archive_chain_digests: the daily head of every chain (job
-- archive_digest), the file a company exports and keeps elsewhere.

-- +goose Up
CREATE TABLE archive_chain (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    invoice_id INTEGER NOT NULL UNIQUE,
    anaf_id    TEXT NOT NULL,
    zip_sha256 TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (company_id, seq)
);

CREATE TABLE archive_chain_heads (
    company_id   INTEGER PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    entry_hash   TEXT NOT NULL,
    backfill_seq INTEGER NOT NULL DEFAULT 0,
    backfill_at  TEXT
);

CREATE TABLE archive_chain_digests (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    entry_hash TEXT NOT NULL,
    taken_at   TEXT NOT NULL,
    PRIMARY KEY (company_id, day)
);

-- +goose Down
DROP TABLE archive_chain_digests;
DROP TABLE archive_chain_heads;
DROP TABLE archive_chain;
