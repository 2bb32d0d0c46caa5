package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/shopspring/decimal"

	"github.com/efactura-gateway/efactura/internal/cif"
)

// invoiceSort is one list order: its key expressions and whether the
// (single) key may be NULL (rows without a value come last in both
// directions).
type invoiceSort struct {
	keys     []string
	nullable bool
}

// invoiceSorts maps InvoiceFilter.SortBy to ORDER BY keys. It is the
// whitelist: nothing else ever reaches the SQL text. Each order has an
// index (migration 00011); TestListPlansUseIndexes guards the plans.
var invoiceSorts = map[string]invoiceSort{
	"invoice_date":   {keys: []string{"issue_date"}, nullable: true},
	"issue_date":     {keys: []string{"issue_date"}, nullable: true},
	"total_amount":   {keys: []string{"total_amount_num"}, nullable: true},
	"synced_at":      {keys: []string{"synced_at"}},
	"anaf_id":        {keys: []string{"length(anaf_id)", "anaf_id"}}, // digits: shorter is smaller
	"invoice_number": {keys: []string{"invoice_number"}},
}

// ValidInvoiceSort reports whether sortBy is a key InvoiceFilter.SortBy
// accepts ("" included, the default order).
func ValidInvoiceSort(sortBy string) bool {
	_, ok := invoiceSorts[sortBy]
	return ok || sortBy == ""
}

// invoiceOrder builds the ORDER BY clause from the whitelist: the key in
// the direction asked, rows without a value (no issue date, unparseable
// total) last in both directions, ties broken by id in the same
// direction; the default is issue date descending. The text differs by
// dialect so that an index gives the order: SQLite sorts NULL first,
// PostgreSQL last.
func (s *Store) invoiceOrder(sortBy string, desc bool) string {
	srt, ok := invoiceSorts[sortBy]
	if !ok || sortBy == "" {
		srt, desc = invoiceSorts["invoice_date"], true
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	var parts []string
	switch {
	case !srt.nullable:
		for _, k := range srt.keys {
			parts = append(parts, k+dir)
		}
	case s.dialect == SQLite && !desc:
		k := srt.keys[0]
		parts = append(parts, k+" IS NULL", k+" ASC")
	case s.dialect == Postgres && desc:
		parts = append(parts, srt.keys[0]+" DESC NULLS LAST")
	default: // SQLite descending, PostgreSQL ascending: NULL already last
		parts = append(parts, srt.keys[0]+dir)
	}
	parts = append(parts, "id"+dir)
	return strings.Join(parts, ", ")
}

// deepOffset is the offset from which a page is served from the cached
// ordered ids of the list (listCache) rather than by OFFSET, which reads
// every row before the page.
const deepOffset = 1000

// idsRefresh is how often, at most, a changing list's ordered ids are
// re-read (listInvoices).
const idsRefresh = 2 * time.Second

// listCache holds what a list or the dashboard would otherwise recompute
// per request, keyed by company and query and valid for one version of
// the company's invoices (invoice_counts.version, bumped by triggers on
// every insert, delete and update of a listed column, so every replica
// sees a change at once): filtered totals, the ordered ids of a list for
// deep pages, the dashboard's monthly totals. Bounded: cleared when full.
type listCache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
	ids     int // ids held, summed over entries

	pages pageCache // brief list pages (listInvoices)

	visitsMu sync.Mutex
	visits   map[[2]int64]visitMark // user, company: MarkCompanyVisited's last write
}

// visitMark is a visit mark MarkCompanyVisited wrote: when, and under
// which version of the company's invoices (read before the write).
type visitMark struct {
	version int64
	at      time.Time
}

const maxVisitMarks = 10000

func (c *listCache) visit(key [2]int64) (visitMark, bool) {
	c.visitsMu.Lock()
	defer c.visitsMu.Unlock()
	m, ok := c.visits[key]
	return m, ok
}

func (c *listCache) putVisit(key [2]int64, m visitMark) {
	c.visitsMu.Lock()
	defer c.visitsMu.Unlock()
	if c.visits == nil || len(c.visits) >= maxVisitMarks {
		c.visits = make(map[[2]int64]visitMark)
	}
	c.visits[key] = m
}

// pageCache holds brief list pages (the API's list, the dashboard's
// table), keyed like listCache's entries and valid for one version of the
// company's invoices. Its own map and byte budget, so pages churning never
// evict the ids of a deep list (costly to re-read) or the totals.
type pageCache struct {
	mu      sync.Mutex
	entries map[string]pageEntry
	bytes   int // estimated, summed over entries
}

type pageEntry struct {
	version int64
	total   int
	rows    []Invoice
	bytes   int
}

const (
	maxCachePages     = 1024
	maxCachePageBytes = 8 << 20
)

// briefBytes estimates what a brief page holds in memory: the rows and
// the text scanBrief fills in.
func briefBytes(rows []Invoice) int {
	n := int(unsafe.Sizeof(Invoice{})) * cap(rows)
	for i := range rows {
		r := &rows[i]
		n += len(r.ANAFID) + len(r.MessageType) + len(r.CIFEmitent) + len(r.CIFBeneficiar) + len(r.DocumentType) +
			len(r.InvoiceNumber) + len(r.IssueDate) + len(r.DueDate) + len(r.Currency) + len(r.IssuerName) +
			len(r.ReceiverName) + len(r.SupplierCIF) + len(r.TotalAmount) + len(r.VATAmount) + len(r.ParseError)
	}
	return n
}

// get returns a copy of the page cached under key for version (the
// caller may change its rows).
func (c *pageCache) get(key string, version int64) ([]Invoice, int, bool) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || e.version != version {
		return nil, 0, false
	}
	return append(make([]Invoice, 0, len(e.rows)), e.rows...), e.total, true
}

// put caches a copy of rows; a page larger than an eighth of the budget
// is not cached, and a full cache is cleared.
func (c *pageCache) put(key string, version int64, rows []Invoice, total int) {
	e := pageEntry{version: version, total: total, rows: append(make([]Invoice, 0, len(rows)), rows...)}
	e.bytes = briefBytes(e.rows) + len(key)
	if e.bytes > maxCachePageBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.bytes -= old.bytes
		delete(c.entries, key)
	}
	if len(c.entries) >= maxCachePages || c.bytes+e.bytes > maxCachePageBytes {
		c.entries, c.bytes = nil, 0
	}
	if c.entries == nil {
		c.entries = make(map[string]pageEntry)
	}
	c.entries[key] = e
	c.bytes += e.bytes
}

type cacheEntry struct {
	version int64
	at      time.Time // when it was computed
	count   int
	ids     []int64
	months  []InvoiceMonthTotal
}

const (
	maxCacheEntries = 2048
	maxCacheIDs     = 1 << 20 // 8 MiB of ids
)

func (c *listCache) get(key string, version int64) (cacheEntry, bool) {
	if c == nil {
		return cacheEntry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.version != version {
		return cacheEntry{}, false
	}
	return e, true
}

// recent reports whether key has an entry, of any version, computed less
// than d ago.
func (c *listCache) recent(key string, d time.Duration) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return ok && time.Since(e.at) < d
}

func (c *listCache) put(key string, e cacheEntry) {
	if c == nil {
		return
	}
	if len(e.ids) > maxCacheIDs/4 {
		return // a company this large re-reads its ids rather than evict every other entry
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.ids -= len(old.ids)
	}
	if len(c.entries) >= maxCacheEntries || c.ids+len(e.ids) > maxCacheIDs {
		c.entries, c.ids = nil, 0
	}
	if c.entries == nil {
		c.entries = make(map[string]cacheEntry)
	}
	c.entries[key] = e
	c.ids += len(e.ids)
}

// invoiceCounter returns the company's invoice count and version
// (invoice_counts, maintained by triggers); 0, 0 for a company without
// invoices.
func (s *Store) invoiceCounter(ctx context.Context, companyID int64) (n int, version int64, err error) {
	err = s.queryRow(ctx, `SELECT n, version FROM invoice_counts WHERE company_id = $1`, companyID).Scan(&n, &version)
	if err == sql.ErrNoRows {
		return 0, 0, nil
	}
	return n, version, s.wrap("invoice count", err)
}

// CountInvoices returns how many invoices the company has.
func (s *Store) CountInvoices(ctx context.Context, companyID int64) (int, error) {
	n, _, err := s.invoiceCounter(ctx, companyID)
	return n, err
}

// Invoices lists a company's invoices matching f (ZIP and ParsedJSON not loaded) and the total count.
// Default order: issue date desc, then id desc; invoices without an issue date last.
// SortBy outside ValidInvoiceSort falls back to the default order; SortDesc
// applies to a named SortBy. Limit <= 0 returns every match.
func (s *Store) Invoices(ctx context.Context, f InvoiceFilter) ([]Invoice, int, error) {
	where, args := invoiceWhere(f)
	return s.listInvoices(ctx, f, where, args, "invoices")
}

// InvoicesWithPartner is Invoices with one more condition: the partner is
// partner. A CIF (with or without "RO") matches the issuer's or the
// receiver's CIF; other text matches part of the issuer's or receiver's
// name (case-insensitive, diacritics ignored). An empty partner is Invoices.
func (s *Store) InvoicesWithPartner(ctx context.Context, f InvoiceFilter, partner string) ([]Invoice, int, error) {
	partner = strings.TrimSpace(partner)
	if partner == "" {
		return s.Invoices(ctx, f)
	}
	where, args := invoiceWhere(f)
	where, args = partnerWhere(where, args, partner)
	return s.listInvoices(ctx, f, where, args, "invoices with partner")
}

// partnerWhere adds InvoicesWithPartner's condition on partner to where
// and its args.
func partnerWhere(where string, args []any, partner string) (string, []any) {
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if digits, err := cif.Normalize(partner); err == nil {
		c := []string{arg(digits), arg("RO" + digits)}
		in := strings.Join(c, ", ")
		where += " AND (cif_emitent IN (" + in + ") OR cif_beneficiar IN (" + in + ") OR supplier_cif IN (" + in + "))"
	} else {
		// search_text holds the folded number and party names; the name
		// columns decide which party matched.
		p := arg("%" + escapeLike(foldSearch(partner)) + "%")
		where += " AND search_text LIKE " + p + ` ESCAPE '\'`
	}
	return where, args
}

// listInvoices runs a list: the total from the company's counter (no
// filter) or a count cached per version of the company's invoices, the
// page by the index of its order, and a deep page (offset ≥ deepOffset)
// from the list's ordered ids, cached per version. Inside a transaction
// nothing is cached (its version may be rolled back).
func (s *Store) listInvoices(ctx context.Context, f InvoiceFilter, where string, args []any, op string) ([]Invoice, int, error) {
	order := s.invoiceOrder(f.SortBy, f.SortDesc)
	// The risk filter reads invoice_risk_flags, which changes without the
	// invoice version the cache is keyed by: never cached.
	useCache := !s.inTx && s.cache != nil && !f.RiskUnchecked
	var (
		total   = -1
		version int64
		err     error
	)
	filterKey := ""
	if useCache {
		// The version is read before counting, so a count cached under it
		// never misses a row that version had.
		var n int
		if n, version, err = s.invoiceCounter(ctx, f.CompanyID); err != nil {
			return nil, 0, err
		}
		if where == "company_id = $1" { // no filter
			total = n
		}
		filterKey = listFilterKey(f.CompanyID, where, args[1:])
	}
	// A brief page (the API's list, the dashboard's table) is cached whole
	// under the version: scanning its rows was ≈ 60 % of a list request.
	// Every column it shows is one whose update bumps the version
	// (TestBriefColumnsBumpVersion).
	pageKey := ""
	if useCache && f.Brief && f.Limit > 0 {
		pageKey = "page\x00" + filterKey + "\x00" + order + "\x00" + strconv.Itoa(f.Limit) + "\x00" + strconv.Itoa(max(f.Offset, 0))
		if rows, total, ok := s.cache.pages.get(pageKey, version); ok {
			return rows, total, nil
		}
	}
	list, total, err := s.listPage(ctx, f, where, args, op, useCache, filterKey, order, version, total)
	if err == nil && pageKey != "" {
		s.cache.pages.put(pageKey, version, list, total)
	}
	return list, total, err
}

// listFilterKey is the cache key of a company's filtered list: the WHERE
// text and its arguments, each ended by a NUL (so "ab"+"c" and "a"+"bc"
// differ).
func listFilterKey(companyID int64, where string, args []any) string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(companyID, 10))
	b.WriteByte(0)
	b.WriteString(where)
	b.WriteByte(0)
	for _, a := range args {
		fmt.Fprint(&b, a)
		b.WriteByte(0)
	}
	return b.String()
}

// listPage is listInvoices past the page cache.
func (s *Store) listPage(ctx context.Context, f InvoiceFilter, where string, args []any, op string, useCache bool, filterKey, order string, version int64, total int) ([]Invoice, int, error) {
	deepKey := "ids\x00" + filterKey + "\x00" + order
	if f.Limit > 0 && f.Offset >= deepOffset && useCache {
		e, ok := s.cache.get(deepKey, version)
		// While the company's invoices change (a sync), re-reading every id
		// per version costs more than OFFSET (BenchmarkInvoiceList: 3.4 ms
		// against 1.4 ms for page 200 of 10,000 on SQLite): the ids are
		// re-read at most every idsRefresh, pages between use OFFSET.
		if !ok && !s.cache.recent(deepKey, idsRefresh) {
			rows, err := s.q.QueryContext(ctx, `SELECT id FROM invoices WHERE `+where+` ORDER BY `+order, args...)
			if err != nil {
				return nil, 0, s.wrap(op, err)
			}
			ids, err := scanIDs(rows)
			if err != nil {
				return nil, 0, s.wrap(op, err)
			}
			e = cacheEntry{version: version, at: time.Now(), count: len(ids), ids: ids}
			s.cache.put(deepKey, e)
			ok = true
		}
		if ok {
			list, err := s.invoicesByIDs(ctx, f, e.ids[min(f.Offset, len(e.ids)):min(f.Offset+f.Limit, len(e.ids))], op)
			return list, len(e.ids), err
		}
	}
	if total < 0 {
		key := "count\x00" + filterKey
		if e, ok := s.cache.get(key, version); ok && useCache {
			total = e.count
		} else {
			if err := s.queryRow(ctx, `SELECT count(*) FROM invoices WHERE `+where, args...).Scan(&total); err != nil {
				return nil, 0, s.wrap("count "+op, err)
			}
			if useCache {
				s.cache.put(key, cacheEntry{version: version, count: total})
			}
		}
	}
	query := `SELECT ` + listColumns(f) + ` FROM invoices WHERE ` + where + ` ORDER BY ` + order
	if f.Limit > 0 {
		query += " LIMIT $" + strconv.Itoa(len(args)+1) + " OFFSET $" + strconv.Itoa(len(args)+2)
		args = append(args, f.Limit, max(f.Offset, 0))
	}
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, 0, s.wrap(op, err)
	}
	list, err := s.collectList(rows, f, op)
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

func listColumns(f InvoiceFilter) string {
	if f.Brief {
		return invoiceBriefColumns
	}
	return invoiceListColumns
}

// collectList reads a page of invoices (f.Brief: the brief columns).
func (s *Store) collectList(rows *sql.Rows, f InvoiceFilter, op string) ([]Invoice, error) {
	if !f.Brief {
		return collect(rows, op, s, scanInvoice)
	}
	defer rows.Close()
	out := make([]Invoice, 0, max(min(f.Limit, 100), 0))
	var (
		d   sql.NullString
		dst = make([]any, 0, 19)
	)
	for rows.Next() {
		out = append(out, Invoice{CompanyID: f.CompanyID})
		if err := scanBrief(rows, &out[len(out)-1], &d, dst); err != nil {
			return nil, s.wrap(op, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// invoicesByIDs loads the company's invoices of ids, in the order of ids
// (a row deleted meanwhile is left out).
func (s *Store) invoicesByIDs(ctx context.Context, f InvoiceFilter, ids []int64, op string) ([]Invoice, error) {
	companyID := f.CompanyID
	if len(ids) == 0 {
		return []Invoice{}, nil // as an OFFSET past the end
	}
	// One parameter for the whole page (a JSON array on SQLite, an array
	// on PostgreSQL): the statement stays the same, so it is prepared once.
	var (
		rows *sql.Rows
		err  error
	)
	if s.dialect == Postgres {
		rows, err = s.query(ctx, `SELECT `+listColumns(f)+` FROM invoices WHERE company_id = $1 AND id = ANY($2)`, companyID, ids)
	} else {
		b := make([]byte, 0, len(ids)*8+2)
		b = append(b, '[')
		for i, id := range ids {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, id, 10)
		}
		b = append(b, ']')
		rows, err = s.query(ctx, `SELECT `+listColumns(f)+` FROM invoices WHERE company_id = $1 AND id IN (SELECT value FROM json_each($2))`, companyID, string(b))
	}
	if err != nil {
		return nil, s.wrap(op, err)
	}
	got, err := s.collectList(rows, f, op)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]int, len(got))
	for i := range got {
		byID[got[i].ID] = i
	}
	out := make([]Invoice, 0, len(got))
	for _, id := range ids {
		if i, ok := byID[id]; ok {
			out = append(out, got[i])
		}
	}
	return out, nil
}

// InvoiceMonthTotal is the dashboard's figure for one month, message type
// and currency of a company's invoices.
type InvoiceMonthTotal struct {
	Month       string // YYYY-MM of the issue date (BT-2)
	MessageType string
	Currency    string          // BT-5; "" when unknown
	Invoices    int             // rows of the group
	Counted     int             // rows whose total (BT-112) is a decimal, summed in Total
	Total       decimal.Decimal // exact
}

// sqliteSimpleTotal is true for a trimmed total "[-]digits[.digits]" with
// at most 12 integer and 6 fraction digits, which SQLite sums exactly as
// integers (the integer part and the fraction in millionths); any other
// decimal is grouped by its text and summed in Go.
const sqliteSimpleTotal = `(u <> '' AND u NOT GLOB '*[^0-9.]*' AND u GLOB '[0-9]*' AND u NOT GLOB '*.'
	AND length(u) - length(replace(u, '.', '')) <= 1
	AND (instr(u, '.') = 0 AND length(u) <= 12 OR instr(u, '.') BETWEEN 2 AND 13 AND length(u) - instr(u, '.') <= 6))`

// InvoiceMonthTotals returns a company's invoices issued on or after from
// (YYYY-MM-DD), grouped by month, message type and currency, summed in the
// database (exactly: NUMERIC on PostgreSQL, integer parts on SQLite) and
// cached per version of the company's invoices. Rows marked duplicate_of
// another are left out (a re-published message counts once). A credit
// note (document_type CreditNote) counts as −|BT-112|; any other document
// as written (a reversal invoice with a negative total stays negative).
func (s *Store) InvoiceMonthTotals(ctx context.Context, companyID int64, from string) ([]InvoiceMonthTotal, error) {
	useCache := !s.inTx && s.cache != nil
	var version int64
	key := "months\x00" + strconv.FormatInt(companyID, 10) + "\x00" + from
	if useCache {
		var err error
		if _, version, err = s.invoiceCounter(ctx, companyID); err != nil {
			return nil, err
		}
		if e, ok := s.cache.get(key, version); ok {
			return e.months, nil
		}
	}
	var query string
	if s.dialect == Postgres {
		query = `SELECT substr(issue_date, 1, 7), message_type, currency, '', 0, count(*), count(total_amount_num),
				coalesce(sum(CASE WHEN document_type = 'CreditNote' THEN -abs(total_amount_num) ELSE total_amount_num END), 0)::text, 0
			FROM invoices WHERE company_id = $1 AND issue_date >= $2 AND duplicate_of IS NULL
			GROUP BY 1, 2, 3`
	} else {
		simple := sqliteSimpleTotal
		query = `SELECT m, message_type, currency, CASE WHEN ` + simple + ` THEN '' ELSE t END AS odd, CASE WHEN ` + simple + ` THEN 0 ELSE cn END AS oddcn, count(*),
				sum(CASE WHEN ` + simple + ` THEN 1 ELSE 0 END),
				coalesce(sum(CASE WHEN ` + simple + ` THEN sgn * CAST(CASE WHEN instr(u, '.') > 0 THEN substr(u, 1, instr(u, '.') - 1) ELSE u END AS INTEGER) END), 0),
				coalesce(sum(CASE WHEN ` + simple + ` AND instr(u, '.') > 0 THEN sgn * CAST(substr(substr(u, instr(u, '.') + 1) || '000000', 1, 6) AS INTEGER) END), 0)
			FROM (SELECT substr(issue_date, 1, 7) AS m, message_type, currency, trim(total_amount) AS t,
					CASE WHEN trim(total_amount) GLOB '-*' THEN substr(trim(total_amount), 2) ELSE trim(total_amount) END AS u,
					CASE WHEN document_type = 'CreditNote' OR trim(total_amount) GLOB '-*' THEN -1 ELSE 1 END AS sgn,
					CASE WHEN document_type = 'CreditNote' THEN 1 ELSE 0 END AS cn
				FROM invoices WHERE company_id = $1 AND issue_date >= $2 AND duplicate_of IS NULL)
			GROUP BY m, message_type, currency, odd, oddcn`
	}
	rows, err := s.query(ctx, query, companyID, from)
	if err != nil {
		return nil, s.wrap("invoice month totals", err)
	}
	defer rows.Close()
	type gk struct{ month, typ, cur string }
	idx := map[gk]int{}
	var out []InvoiceMonthTotal
	for rows.Next() {
		var (
			k             gk
			odd, sum      string
			oddCN         int
			all, counted  int
			micro         int64
			month, typ, c sql.NullString
		)
		if err := rows.Scan(&month, &typ, &c, &odd, &oddCN, &all, &counted, &sum, &micro); err != nil {
			return nil, s.wrap("invoice month totals", err)
		}
		k = gk{month.String, typ.String, c.String}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, InvoiceMonthTotal{Month: k.month, MessageType: k.typ, Currency: k.cur})
		}
		g := &out[i]
		g.Invoices += all
		if odd != "" {
			// Not a plain decimal text (SQLite): summed here, as the
			// dashboard always did, when it is a decimal at all.
			if d, err := decimal.NewFromString(strings.TrimSpace(odd)); err == nil {
				if oddCN == 1 {
					d = d.Abs().Neg()
				}
				g.Counted += all
				g.Total = g.Total.Add(d.Mul(decimal.NewFromInt(int64(all))))
			}
			continue
		}
		d, err := decimal.NewFromString(sum)
		if err != nil {
			return nil, fmt.Errorf("store: invoice month totals: sum %q: %w", sum, err)
		}
		g.Counted += counted
		g.Total = g.Total.Add(d).Add(decimal.New(micro, -6))
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("invoice month totals", err)
	}
	if useCache {
		s.cache.put(key, cacheEntry{version: version, months: out})
	}
	return out, nil
}

// InvoiceAmount is one invoice's date, type and total, as written (one row
// per invoice; the dashboard sums in the database, InvoiceMonthTotals).
type InvoiceAmount struct {
	IssueDate   string // YYYY-MM-DD (BT-2)
	MessageType string
	Currency    string // BT-5
	Total       string // BT-112 as written; "" when unknown
	CreditNote  bool   // document_type CreditNote
}

// InvoiceAmounts lists the date, type, currency and total of the company's
// invoices issued on or after from (YYYY-MM-DD), oldest first; rows marked
// duplicate_of another are left out (a re-published message counts once).
func (s *Store) InvoiceAmounts(ctx context.Context, companyID int64, from string) ([]InvoiceAmount, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT issue_date, message_type, currency, total_amount, document_type = 'CreditNote' FROM invoices
		WHERE company_id = $1 AND issue_date >= $2 AND duplicate_of IS NULL ORDER BY issue_date, id`, companyID, from)
	if err != nil {
		return nil, s.wrap("invoice amounts", err)
	}
	return collect(rows, "invoice amounts", s, func(row interface{ Scan(...any) error }) (*InvoiceAmount, error) {
		var (
			a InvoiceAmount
			d sql.NullString
		)
		err := row.Scan(&d, &a.MessageType, &a.Currency, &a.Total, &a.CreditNote)
		a.IssueDate = d.String
		return &a, err
	})
}
