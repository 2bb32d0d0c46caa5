package anafsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
)

// DefaultGenerated is how many invoicegen documents `anaf-sim` loads when
// neither --invoices nor --generate is given.
const DefaultGenerated = 24

// poolSize is how many distinct invoicegen documents GenerateLoad rewrites.
const poolSize = 60

// SyntheticCIFs returns m distinct CIFs with valid check digits: the
// invoicegen companies first, then made-up 8-digit ones (41000000+…).
func SyntheticCIFs(m int) []string {
	out := make([]string, 0, m)
	for _, c := range invoicegen.Companies {
		if len(out) == m {
			return out
		}
		out = append(out, c.CIF)
	}
	for base := 4100000; len(out) < m; base++ {
		out = append(out, withCheckDigit(fmt.Sprint(base)))
	}
	return out
}

// withCheckDigit appends the Romanian CIF check digit to body (key 753217532).
func withCheckDigit(body string) string {
	const key = "753217532"
	pad := len(key) - len(body)
	sum := 0
	for i := 0; i < len(body); i++ {
		sum += int(body[i]-'0') * int(key[pad+i]-'0')
	}
	c := sum * 10 % 11
	if c == 10 {
		c = 0
	}
	return fmt.Sprintf("%s%d", body, c)
}

// GenerateLoad makes n synthetic UBL documents spread over `companies`
// companies (SyntheticCIFs) for benchmarks: invoicegen documents (a pool of
// 60 made with seed) whose seller and buyer CIFs, names and invoice number
// are rewritten; document i is issued by company i mod companies to another
// company drawn with seed. Each document becomes one download id (listed for
// its seller and its buyer). Errors: n < 0 or companies < 2.
func GenerateLoad(n, companies int, seed int64) ([]invoicegen.File, error) {
	if n < 0 || companies < 2 {
		return nil, errors.New("anafsim: a generated load needs n >= 0 and at least 2 companies")
	}
	pool := invoicegen.Generate(min(n, poolSize), seed)
	type tmpl struct {
		data            string
		number          string
		seller, buyer   invoicegen.Company
		sellerOK, buyOK bool
	}
	byCIF := map[string]invoicegen.Company{}
	for _, c := range invoicegen.Companies {
		byCIF[c.CIF] = c
	}
	tmpls := make([]tmpl, 0, len(pool))
	for _, f := range pool {
		inv, err := invoice.Parse(f.Data)
		if err != nil {
			return nil, fmt.Errorf("anafsim: generated document %s: %w", f.Name, err)
		}
		t := tmpl{data: string(f.Data), number: inv.Number}
		t.seller, t.sellerOK = byCIF[invoice.PartyCIF(inv.Seller)]
		t.buyer, t.buyOK = byCIF[invoice.PartyCIF(inv.Buyer)]
		if !t.sellerOK || !t.buyOK {
			return nil, fmt.Errorf("anafsim: generated document %s has unknown parties", f.Name)
		}
		tmpls = append(tmpls, t)
	}
	cifs := SyntheticCIFs(companies)
	r := rand.New(rand.NewPCG(uint64(seed), 0x10ad))
	out := make([]invoicegen.File, 0, n)
	for i := range n {
		t := tmpls[i%len(tmpls)]
		si := i % companies
		bi := (si + 1 + r.IntN(companies-1)) % companies
		s, b := cifs[si], cifs[bi]
		number := fmt.Sprintf("SIM%s-%07d", s[len(s)-3:], i+1)
		doc := strings.NewReplacer(
			">RO"+t.seller.CIF+"<", ">RO\x00S<", ">"+t.seller.CIF+"<", ">\x00S<", ">"+t.seller.Name+"<", ">\x00SN<",
			">RO"+t.buyer.CIF+"<", ">RO\x00B<", ">"+t.buyer.CIF+"<", ">\x00B<", ">"+t.buyer.Name+"<", ">\x00BN<",
			"<cbc:ID>"+t.number+"</cbc:ID>", "<cbc:ID>"+number+"</cbc:ID>",
		).Replace(t.data)
		doc = strings.NewReplacer("\x00SN", "COMPANIA "+s+" SRL", "\x00BN", "COMPANIA "+b+" SRL", "\x00S", s, "\x00B", b).Replace(doc)
		out = append(out, invoicegen.File{Name: fmt.Sprintf("load-%07d-%s.xml", i+1, number), Data: []byte(doc)})
	}
	return out, nil
}

// LoadFiles loads many documents like LoadFile, saving state once at the end.
// Returns how many were loaded; the error joins one error per skipped file.
func (s *Server) LoadFiles(files []invoicegen.File) (int, error) {
	type parsed struct {
		data []byte
		info *docInfo
	}
	var errs []error
	ok := make([]parsed, 0, len(files))
	for _, f := range files {
		d, err := parseDoc(f.Data)
		if err == nil && d.SellerCIF == "" && d.BuyerCIF == "" {
			err = errors.New("neither seller nor buyer has a Romanian CIF")
		}
		if err != nil {
			s.logger.Warn("anafsim: skipped file", "file", f.Name, "err", err)
			errs = append(errs, fmt.Errorf("anafsim: %s: %w", f.Name, err))
			continue
		}
		ok = append(ok, parsed{f.Data, d})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ok {
		s.loaded = append(s.loaded, loadedFile(p))
		s.loadLocked(p.data, p.info)
	}
	s.persistLocked()
	return len(ok), errors.Join(errs...)
}

// LoadSources is what `efactura anaf-sim` loads at start: every UBL file of
// dir when dir is set, a synthetic load of generate invoices over companies
// companies (GenerateLoad) when generate > 0, and the project's generated
// sample invoices (invoicegen.Generate(DefaultGenerated, seed)) when
// neither is asked. Returns the number of files loaded; the error reports
// skipped files (the count stays valid) or a bad generate/companies pair.
func (s *Server) LoadSources(dir string, generate, companies int, seed int64) (int, error) {
	n := 0
	var errs []error
	if dir != "" {
		k, err := s.LoadDir(dir)
		n += k
		errs = append(errs, err)
	}
	if generate > 0 {
		files, err := GenerateLoad(generate, companies, seed)
		if err != nil {
			return n, err
		}
		k, err := s.LoadFiles(files)
		n += k
		errs = append(errs, err)
	}
	if dir == "" && generate <= 0 {
		k, err := s.LoadFiles(invoicegen.Generate(DefaultGenerated, seed))
		n += k
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}
