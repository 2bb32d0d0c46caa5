-- Production sync (issue 4): a per-company lease so one company is never
-- synced by two workers at once (across replicas), and resumable sync runs:
-- the window and the page cursor are stored, so a run split into short jobs
-- (or interrupted by a crash) goes on where it stopped.
--
-- companies.sync_lease_owner / sync_lease_until: who holds the company's
-- sync lease and until when (UTC); free when until is NULL or past.
-- sync_runs: window_start/window_end (UTC) of ANAF's list; next_page is
-- the next listaMesajePaginatieFactura page to process (1-based); pages
-- the pages done; total_pages the largest total ANAF announced;
-- at_risk the messages seen but not archived whose data_creare is near
-- ANAF's 60-day edge; warning a readable sentence about them; resume_after
-- holds back a run waiting for an ANAF quota reset; updated_at is the last
-- progress (a stale unfinished run with a free lease is resumed).
-- At most one unfinished run per company (finished_at IS NULL).

-- +goose Up
ALTER TABLE companies ADD COLUMN sync_lease_owner TEXT;
ALTER TABLE companies ADD COLUMN sync_lease_until TEXT;
ALTER TABLE sync_runs ADD COLUMN window_start TEXT;
ALTER TABLE sync_runs ADD COLUMN window_end TEXT;
ALTER TABLE sync_runs ADD COLUMN next_page INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sync_runs ADD COLUMN pages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN total_pages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN at_risk INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN warning TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_runs ADD COLUMN resume_after TEXT;
ALTER TABLE sync_runs ADD COLUMN updated_at TEXT;
UPDATE sync_runs SET finished_at = started_at, status = 'failed', error = 'interrupted (before resumable sync runs existed)'
    WHERE finished_at IS NULL;
CREATE UNIQUE INDEX sync_runs_one_open_idx ON sync_runs (company_id) WHERE finished_at IS NULL;
-- A message id listed for two companies (seller and buyer) is downloaded
-- once: the worker about to download it claims it until claim_until; the
-- other waits and takes the ZIP from the archive.
CREATE TABLE sync_download_claims (
    anaf_id     TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    claim_until TEXT NOT NULL
);

-- +goose Down
DROP TABLE sync_download_claims;
DROP INDEX sync_runs_one_open_idx;
ALTER TABLE sync_runs DROP COLUMN updated_at;
ALTER TABLE sync_runs DROP COLUMN resume_after;
ALTER TABLE sync_runs DROP COLUMN warning;
ALTER TABLE sync_runs DROP COLUMN at_risk;
ALTER TABLE sync_runs DROP COLUMN total_pages;
ALTER TABLE sync_runs DROP COLUMN pages;
ALTER TABLE sync_runs DROP COLUMN next_page;
ALTER TABLE sync_runs DROP COLUMN window_end;
ALTER TABLE sync_runs DROP COLUMN window_start;
ALTER TABLE companies DROP COLUMN sync_lease_until;
ALTER TABLE companies DROP COLUMN sync_lease_owner;
