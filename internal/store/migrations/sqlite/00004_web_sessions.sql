-- Web UI (issue 6): users.sessions_valid_after is the instant before
-- which every web session of the user counts as logged out (set when the
-- password changes, so other browsers are signed out). NULL: no cut-off.

-- +goose Up
ALTER TABLE users ADD COLUMN sessions_valid_after TEXT;

-- +goose Down
ALTER TABLE users DROP COLUMN sessions_valid_after;
