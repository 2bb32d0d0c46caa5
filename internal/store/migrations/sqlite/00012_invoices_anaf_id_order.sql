-- Sync lookups by ANAF message id (issue 16). ArchivedZIP and
-- MessageValidation ask for the first row of an anaf_id in id order
-- (`WHERE anaf_id = $1 … ORDER BY id LIMIT 1`). With an index on anaf_id
-- alone PostgreSQL may walk the primary key in id order instead, filtering
-- every row: the whole archive per message whenever the id is not archived
-- yet (the common case), which made sync slow down as the archive grew.
-- An index on (anaf_id, id) answers the query in one index probe whatever
-- the planner's statistics. (On SQLite an index on anaf_id already ends
-- with the rowid; the same index keeps both schemas alike.)
--
-- Independent of 00011 (lists): IF [NOT] EXISTS, no other object touched.

-- +goose Up
CREATE INDEX IF NOT EXISTS invoices_anaf_id_id_idx ON invoices (anaf_id, id);
DROP INDEX IF EXISTS invoices_anaf_id_idx;

-- +goose Down
CREATE INDEX IF NOT EXISTS invoices_anaf_id_idx ON invoices (anaf_id);
DROP INDEX IF EXISTS invoices_anaf_id_id_idx;
