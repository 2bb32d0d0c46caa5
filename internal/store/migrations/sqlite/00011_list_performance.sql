-- Lists, totals and the dashboard without scanning a company (issue 16).
--
-- Indexes matching every list order (store.invoiceOrder) and the
-- date/type filters. On SQLite every index ends with the rowid (id), and
-- NULL sorts first: "c DESC, id DESC" (nulls last) is a backward scan of
-- (company_id, c); "c ASC" with nulls last needs the expression
-- "c IS NULL" first. invoices_company_issue_date_idx (00001) serves the
-- default order; invoices_company_type_date_idx replaces the type index
-- so a type filter keeps the default order.
--
-- invoice_counts: per company, the number of invoices (the unfiltered
-- total of a list, no count(*) per page) and a version bumped by every
-- insert, delete and update of a listed/filtered column, which keys the
-- gateway's caches of filtered totals, deep-page boundaries and dashboard
-- figures (every replica reads it, so caches agree across replicas).
-- Maintained by triggers; no foreign key, so cascaded deletes of a
-- company's invoices can still decrement it.
--
-- invoice_blobs: the ZIP and parsed JSON, out of the invoices row, so a
-- list reads small rows instead of dragging BLOB overflow pages.

-- +goose Up
CREATE INDEX invoices_company_issue_date_nl_idx ON invoices (company_id, issue_date IS NULL, issue_date);
CREATE INDEX invoices_company_total_idx ON invoices (company_id, total_amount_num);
CREATE INDEX invoices_company_total_nl_idx ON invoices (company_id, total_amount_num IS NULL, total_amount_num);
CREATE INDEX invoices_company_synced_idx ON invoices (company_id, synced_at);
CREATE INDEX invoices_company_anaf_idx ON invoices (company_id, length(anaf_id), anaf_id);
CREATE INDEX invoices_company_number_idx ON invoices (company_id, invoice_number);
CREATE INDEX invoices_company_type_date_idx ON invoices (company_id, message_type, issue_date);
DROP INDEX invoices_company_message_type_idx;

CREATE TABLE invoice_counts (
    company_id INTEGER PRIMARY KEY,
    n          INTEGER NOT NULL,
    version    INTEGER NOT NULL
);
INSERT INTO invoice_counts (company_id, n, version)
    SELECT company_id, count(*), 1 FROM invoices GROUP BY company_id;

-- +goose StatementBegin
CREATE TRIGGER invoices_count_insert AFTER INSERT ON invoices BEGIN
    INSERT INTO invoice_counts (company_id, n, version) VALUES (NEW.company_id, 1, 1)
        ON CONFLICT (company_id) DO UPDATE SET n = n + 1, version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER invoices_count_delete AFTER DELETE ON invoices BEGIN
    UPDATE invoice_counts SET n = n - 1, version = version + 1 WHERE company_id = OLD.company_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER invoices_count_update AFTER UPDATE OF company_id, anaf_id, message_type, cif_emitent, cif_beneficiar,
    invoice_number, issue_date, currency, issuer_name, receiver_name, supplier_cif, total_amount, total_amount_num,
    search_text, synced_at, duplicate_of, conflict_of ON invoices BEGIN
    UPDATE invoice_counts SET version = version + 1 WHERE company_id IN (OLD.company_id, NEW.company_id);
END;
-- +goose StatementEnd

CREATE TABLE invoice_blobs (
    invoice_id  INTEGER PRIMARY KEY REFERENCES invoices (id) ON DELETE CASCADE,
    zip         BLOB NOT NULL,
    parsed_json BLOB
);
INSERT INTO invoice_blobs (invoice_id, zip, parsed_json) SELECT id, zip, parsed_json FROM invoices;
ALTER TABLE invoices DROP COLUMN zip;
ALTER TABLE invoices DROP COLUMN parsed_json;

-- +goose Down
ALTER TABLE invoices ADD COLUMN parsed_json BLOB;
ALTER TABLE invoices ADD COLUMN zip BLOB NOT NULL DEFAULT x'';
UPDATE invoices SET zip = (SELECT b.zip FROM invoice_blobs b WHERE b.invoice_id = invoices.id),
    parsed_json = (SELECT b.parsed_json FROM invoice_blobs b WHERE b.invoice_id = invoices.id)
    WHERE id IN (SELECT invoice_id FROM invoice_blobs);
DROP TABLE invoice_blobs;
DROP TRIGGER invoices_count_update;
DROP TRIGGER invoices_count_delete;
DROP TRIGGER invoices_count_insert;
DROP TABLE invoice_counts;
CREATE INDEX invoices_company_message_type_idx ON invoices (company_id, message_type);
DROP INDEX invoices_company_type_date_idx;
DROP INDEX invoices_company_number_idx;
DROP INDEX invoices_company_anaf_idx;
DROP INDEX invoices_company_synced_idx;
DROP INDEX invoices_company_total_nl_idx;
DROP INDEX invoices_company_total_idx;
DROP INDEX invoices_company_issue_date_nl_idx;
