-- The accountant's portfolio (issue 17) and the SPV 60-day edge (issue 20).
--
-- company_visits: when a user last opened a company's dashboard, so the
-- portfolio counts the invoices and ANAF error messages archived since.
-- Indexes for the portfolio's per-company counts over all of a user's
-- companies in a few queries: new error messages since a time, rejected
-- uploads, the last successful sync run, deferred (listed, not archived)
-- messages by age.

-- +goose Up
CREATE TABLE company_visits (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    visited_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, company_id)
);
CREATE INDEX company_visits_company_idx ON company_visits (company_id);
CREATE INDEX invoices_company_type_synced_idx ON invoices (company_id, message_type, synced_at);
CREATE INDEX uploads_company_state_idx ON uploads (company_id, state);
CREATE INDEX sync_runs_company_status_finished_idx ON sync_runs (company_id, status, finished_at);
CREATE INDEX sync_message_states_company_state_idx ON sync_message_states (company_id, state, anaf_created_at);

-- +goose Down
DROP INDEX sync_message_states_company_state_idx;
DROP INDEX sync_runs_company_status_finished_idx;
DROP INDEX uploads_company_state_idx;
DROP INDEX invoices_company_type_synced_idx;
DROP TABLE company_visits;
