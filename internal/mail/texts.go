package mail

import "fmt"

// texts are the mails' words, Romanian and English (the user's language,
// store.User.Lang; Romanian when unset, as the pages).
var texts = map[string][2]string{
	"greeting":        {"Bună ziua,", "Hello,"},
	"open":            {"Deschideți în eFactura Gateway", "Open in eFactura Gateway"},
	"prefs":           {"Alegeți ce e-mailuri primiți", "Choose which e-mails you get"},
	"unsubscribe":     {"Dezabonare", "Unsubscribe"},
	"footer":          {"Primiți acest e-mail pentru că sunteți membru al firmei în eFactura Gateway.", "You get this e-mail because you are a member of the company in eFactura Gateway."},
	"footer.admin":    {"Primiți acest e-mail pentru că sunteți administrator al eFactura Gateway.", "You get this e-mail because you are an administrator of eFactura Gateway."},
	"footer.digest":   {"Rezumatul zilnic al firmelor pentru care ați ales „rezumat zilnic”.", "The daily digest of the companies for which you chose \"daily digest\"."},
	"company":         {"%s (CIF %s)", "%s (CIF %s)"},
	"number":          {"Număr: %s", "Number: %s"},
	"date":            {"Data emiterii: %s", "Issue date: %s"},
	"total":           {"Total: %s", "Total: %s"},
	"supplier":        {"Furnizor: %s", "Supplier: %s"},
	"error":           {"Eroare: %s", "Error: %s"},
	"due":             {"Termen: %s", "Deadline: %s"},
	"totals":          {"Total: %s", "Total: %s"},
	"invoice.line":    {"%s, nr. %s, %s", "%s, no. %s, %s"},
	"upload.line":     {"Factura %s din %s", "Invoice %s of %s"},
	"deadline.line":   {"Factura %s din %s — termen %s", "Invoice %s of %s — deadline %s"},
	"unknown.party":   {"(fără nume)", "(no name)"},
	"subject.prefix":  {"[eFactura] ", "[eFactura] "},
	"subject.digest":  {"Rezumatul zilei: %s", "Daily digest: %s"},
	"digest.heading":  {"Rezumatul zilei de %s", "Digest of %s"},
	"digest.received": {"Facturi primite (%d)", "Invoices received (%d)"},
	"digest.nok":      {"Încărcări respinse de ANAF (%d)", "Uploads rejected by ANAF (%d)"},
	"digest.sync":     {"Sincronizări eșuate (%d)", "Failed syncs (%d)"},
	"digest.conn":     {"Conexiunea ANAF (%d)", "ANAF connection (%d)"},
	"digest.spv":      {"Mesaje aproape de limita de 60 de zile a SPV (%d)", "Messages near the SPV's 60-day limit (%d)"},
	"digest.deadline": {"Facturi netrimise cu termenul legal aproape (%d)", "Invoices not yet accepted with their legal deadline near (%d)"},
	"digest.deadline.explain": {"Termenul legal de transmitere expiră azi sau în următoarea zi lucrătoare, iar ANAF nu a acceptat încă factura.",
		"The legal deadline for sending runs out today or on the next working day, and ANAF has not accepted the invoice yet."},

	"ev.invoice.received.subject":                {"Factură nouă de la %s", "New invoice from %s"},
	"ev.invoice.received.heading":                {"Ați primit o factură nouă", "You received a new invoice"},
	"ev.upload.ok.subject":                       {"Factura %s a fost acceptată de ANAF", "Invoice %s was accepted by ANAF"},
	"ev.upload.ok.heading":                       {"ANAF a acceptat factura trimisă", "ANAF accepted the invoice you sent"},
	"ev.upload.nok.subject":                      {"Factura %s a fost respinsă de ANAF", "Invoice %s was rejected by ANAF"},
	"ev.upload.nok.heading":                      {"ANAF a respins factura trimisă", "ANAF rejected the invoice you sent"},
	"ev.spv.messages_at_risk.subject":            {"Mesaje SPV aproape de limita de 60 de zile: %s", "SPV messages near the 60-day limit: %s"},
	"ev.spv.messages_at_risk.heading":            {"Mesaje ANAF care pot fi pierdute", "ANAF messages that may be lost"},
	"ev.spv.messages_at_risk.line":               {"%d mesaje listate de ANAF nu sunt arhivate și au peste 50 de zile: ANAF le păstrează 60 de zile. Sincronizați compania acum.", "%d messages ANAF listed are not archived and are over 50 days old: ANAF keeps them for 60 days. Sync the company now."},
	"ev.spv.messages_at_risk.stale":              {"Nicio sincronizare reușită de peste 50 de zile: mesajele publicate între timp pot fi deja pierdute. Verificați conexiunea ANAF și sincronizați acum.", "No successful sync for over 50 days: messages published meanwhile may already be lost. Check the ANAF connection and sync now."},
	"ev.sync.failed.subject":                     {"Sincronizarea cu ANAF eșuează: %s", "Sync with ANAF is failing: %s"},
	"ev.sync.failed.heading":                     {"Sincronizarea cu ANAF a eșuat de mai multe ori la rând", "The sync with ANAF failed several times in a row"},
	"ev.sync.failed.line":                        {"Facturile noi nu mai sunt aduse până când problema este rezolvată.", "New invoices are not fetched until the problem is solved."},
	"ev.anaf.connection.expiring.subject":        {"Conexiunea ANAF expiră curând: %s", "The ANAF connection expires soon: %s"},
	"ev.anaf.connection.expiring.heading":        {"Conexiunea ANAF expiră curând", "The ANAF connection expires soon"},
	"ev.anaf.connection.expiring.line":           {"Reconectați-vă la ANAF înainte de %s, altfel sincronizarea se oprește.", "Reconnect to ANAF before %s, or the sync stops."},
	"ev.anaf.connection.expiring.line.nodate":    {"Reconectați-vă la ANAF curând, altfel sincronizarea se oprește.", "Reconnect to ANAF soon, or the sync stops."},
	"ev.anaf.connection.needs_attention.subject": {"Conexiunea ANAF are nevoie de dumneavoastră: %s", "The ANAF connection needs you: %s"},
	"ev.anaf.connection.needs_attention.heading": {"Conexiunea ANAF are nevoie de atenție", "The ANAF connection needs attention"},
	"ev.anaf.connection.needs_attention.line":    {"Deschideți pagina ANAF și reconectați-vă.", "Open the ANAF page and reconnect."},

	"reg.subject": {"Cont nou de aprobat: %s", "New account to approve: %s"},
	"reg.heading": {"Un utilizator nou așteaptă aprobarea", "A new user waits for approval"},
	"reg.line":    {"%s s-a înregistrat la %s.", "%s registered at %s."},
	"reg.open":    {"Aprobați sau respingeți", "Approve or reject"},
}

// tr is the text key in lang ("en", else Romanian), formatted with args.
func tr(lang, key string, args ...any) string {
	pair, ok := texts[key]
	if !ok {
		return key
	}
	s := pair[0]
	if lang == "en" {
		s = pair[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
