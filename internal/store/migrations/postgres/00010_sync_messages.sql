-- Sync hardening (issue 15, items 3–9).
--
-- invoices.duplicate_of: the id of the first row of the same company and
-- message type with the same invoice identity (seller CIF + number BT-1 +
-- issue date BT-2) under another ANAF message id (ANAF re-published it);
-- NULL otherwise. Such rows are left out of figures and exports unless
-- asked for. invoices.conflict_of: the same identity with a different
-- total (BT-112): not a duplicate, a conflict to look at.
-- invoices_identity_idx supports the identity lookup.
--
-- sync_message_states: what the sync knows of a listed message it did not
-- archive: 'deferred' until deferred_until (ANAF's daily download quota,
-- reset assumed at Bucharest midnight) or 'expired' (ANAF answered that
-- the message is past its 60-day retention: terminal, never requested
-- again), with ANAF's text.
--
-- sync_runs: kind ('incremental' | 'relist': the daily re-list of the last
-- 48 hours), and what a run met besides archiving: expired, deferred (and
-- until when), listed for another CIF (count and CIFs), duplicates and
-- identity conflicts, and ANAF's text of the last expired answer.

-- +goose Up
ALTER TABLE invoices ADD COLUMN duplicate_of BIGINT REFERENCES invoices (id) ON DELETE SET NULL;
ALTER TABLE invoices ADD COLUMN conflict_of BIGINT REFERENCES invoices (id) ON DELETE SET NULL;
CREATE INDEX invoices_identity_idx ON invoices (company_id, supplier_cif, invoice_number, issue_date);
CREATE TABLE sync_message_states (
    company_id      BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    anaf_id         TEXT NOT NULL,
    state           TEXT NOT NULL,
    deferred_until  TIMESTAMPTZ,
    anaf_text       TEXT NOT NULL DEFAULT '',
    message_type    TEXT NOT NULL DEFAULT '',
    anaf_created_at TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, anaf_id)
);
ALTER TABLE sync_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'incremental';
ALTER TABLE sync_runs ADD COLUMN expired_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN expired_text TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_runs ADD COLUMN deferred_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN deferred_until TIMESTAMPTZ;
ALTER TABLE sync_runs ADD COLUMN foreign_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN foreign_cifs TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_runs ADD COLUMN duplicate_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN conflict_count INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sync_runs DROP COLUMN conflict_count;
ALTER TABLE sync_runs DROP COLUMN duplicate_count;
ALTER TABLE sync_runs DROP COLUMN foreign_cifs;
ALTER TABLE sync_runs DROP COLUMN foreign_count;
ALTER TABLE sync_runs DROP COLUMN deferred_until;
ALTER TABLE sync_runs DROP COLUMN deferred_count;
ALTER TABLE sync_runs DROP COLUMN expired_text;
ALTER TABLE sync_runs DROP COLUMN expired_count;
ALTER TABLE sync_runs DROP COLUMN kind;
DROP TABLE sync_message_states;
DROP INDEX invoices_identity_idx;
ALTER TABLE invoices DROP COLUMN conflict_of;
ALTER TABLE invoices DROP COLUMN duplicate_of;
