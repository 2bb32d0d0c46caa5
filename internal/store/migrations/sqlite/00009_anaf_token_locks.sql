-- The cross-process lock of a user's ANAF token refresh on SQLite (issue 15
-- item 1): one row per user while a process refreshes that user's token.
-- Taken by an upsert that only succeeds when the row is absent or its lease
-- expired (a crashed holder blocks others for at most one lease); deleted by
-- its owner when the refresh is over. lease_until UTC fixed-width TEXT as in
-- 00001. PostgreSQL uses an advisory lock instead; the table exists there
-- too so both schemas stay alike.

-- +goose Up
CREATE TABLE anaf_token_locks (
    user_id     INTEGER PRIMARY KEY,
    owner       TEXT NOT NULL,
    lease_until TEXT NOT NULL
);

-- +goose Down
DROP TABLE anaf_token_locks;
