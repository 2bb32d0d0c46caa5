-- The cross-process lock of a user's ANAF token refresh on SQLite (issue 15
-- item 1). PostgreSQL serialises refreshes with an advisory lock
-- (store.WithUserTokenLock) and does not use this table; it exists so both
-- schemas stay alike.

-- +goose Up
CREATE TABLE anaf_token_locks (
    user_id     BIGINT PRIMARY KEY,
    owner       TEXT NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE anaf_token_locks;
