-- Lists, totals and the dashboard without scanning a company (issue 16).
--
-- Indexes matching every list order (store.invoiceOrder) and the
-- date/type filters. PostgreSQL sorts NULL last ascending: "c ASC, id ASC"
-- is a forward scan of (company_id, c, id) and "c DESC NULLS LAST, id
-- DESC" a backward scan of (company_id, c NULLS FIRST, id).
-- invoices_company_issue_date_idx (00001) is replaced by one ending with id.
--
-- invoice_counts: per company, the number of invoices (the unfiltered
-- total of a list, no count(*) per page) and a version bumped by every
-- insert, delete and update of a listed/filtered column, which keys the
-- gateway's caches of filtered totals, deep-page boundaries and dashboard
-- figures (every replica reads it, so caches agree across replicas).
-- Maintained by triggers; no foreign key, so cascaded deletes of a
-- company's invoices can still decrement it.
--
-- invoice_blobs: the ZIP and parsed JSON, out of the invoices row (the
-- same schema as SQLite; TOAST already kept large values out of line).

-- +goose Up
CREATE INDEX invoices_company_issue_date_id_idx ON invoices (company_id, issue_date, id);
CREATE INDEX invoices_company_issue_date_nf_idx ON invoices (company_id, issue_date NULLS FIRST, id);
DROP INDEX invoices_company_issue_date_idx;
CREATE INDEX invoices_company_total_idx ON invoices (company_id, total_amount_num, id);
CREATE INDEX invoices_company_total_nf_idx ON invoices (company_id, total_amount_num NULLS FIRST, id);
CREATE INDEX invoices_company_synced_idx ON invoices (company_id, synced_at, id);
CREATE INDEX invoices_company_anaf_idx ON invoices (company_id, length(anaf_id), anaf_id, id);
CREATE INDEX invoices_company_number_idx ON invoices (company_id, invoice_number, id);
CREATE INDEX invoices_company_type_date_idx ON invoices (company_id, message_type, issue_date NULLS FIRST, id);
DROP INDEX invoices_company_message_type_idx;

CREATE TABLE invoice_counts (
    company_id BIGINT PRIMARY KEY,
    n          BIGINT NOT NULL,
    version    BIGINT NOT NULL
);
INSERT INTO invoice_counts (company_id, n, version)
    SELECT company_id, count(*), 1 FROM invoices GROUP BY company_id;

-- +goose StatementBegin
CREATE FUNCTION invoices_count_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO invoice_counts (company_id, n, version) VALUES (NEW.company_id, 1, 1)
            ON CONFLICT (company_id) DO UPDATE SET n = invoice_counts.n + 1, version = invoice_counts.version + 1;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE invoice_counts SET n = n - 1, version = version + 1 WHERE company_id = OLD.company_id;
    ELSE
        UPDATE invoice_counts SET version = version + 1 WHERE company_id IN (OLD.company_id, NEW.company_id);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER invoices_count_insert AFTER INSERT ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_count_trigger();
CREATE TRIGGER invoices_count_delete AFTER DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_count_trigger();
CREATE TRIGGER invoices_count_update AFTER UPDATE OF company_id, anaf_id, message_type, cif_emitent, cif_beneficiar,
    invoice_number, issue_date, currency, issuer_name, receiver_name, supplier_cif, total_amount, total_amount_num,
    search_text, synced_at, duplicate_of, conflict_of ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_count_trigger();

CREATE TABLE invoice_blobs (
    invoice_id  BIGINT PRIMARY KEY REFERENCES invoices (id) ON DELETE CASCADE,
    zip         BYTEA NOT NULL,
    parsed_json BYTEA
);
INSERT INTO invoice_blobs (invoice_id, zip, parsed_json) SELECT id, zip, parsed_json FROM invoices;
ALTER TABLE invoices DROP COLUMN zip;
ALTER TABLE invoices DROP COLUMN parsed_json;
ANALYZE invoices;

-- +goose Down
ALTER TABLE invoices ADD COLUMN parsed_json BYTEA;
ALTER TABLE invoices ADD COLUMN zip BYTEA NOT NULL DEFAULT '\x';
UPDATE invoices i SET zip = b.zip, parsed_json = b.parsed_json FROM invoice_blobs b WHERE b.invoice_id = i.id;
DROP TABLE invoice_blobs;
DROP TRIGGER invoices_count_update ON invoices;
DROP TRIGGER invoices_count_delete ON invoices;
DROP TRIGGER invoices_count_insert ON invoices;
DROP FUNCTION invoices_count_trigger();
DROP TABLE invoice_counts;
CREATE INDEX invoices_company_message_type_idx ON invoices (company_id, message_type);
CREATE INDEX invoices_company_issue_date_idx ON invoices (company_id, issue_date);
DROP INDEX invoices_company_type_date_idx;
DROP INDEX invoices_company_number_idx;
DROP INDEX invoices_company_anaf_idx;
DROP INDEX invoices_company_synced_idx;
DROP INDEX invoices_company_total_nf_idx;
DROP INDEX invoices_company_total_idx;
DROP INDEX invoices_company_issue_date_nf_idx;
DROP INDEX invoices_company_issue_date_id_idx;
