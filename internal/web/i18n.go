package web

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// Languages of the UI; the first is the default (PRODUCT.md §8).
var languages = []string{"ro", "en"}

// message is one UI text in every language (languages): a message
// literal without both texts does not compile. Texts with arguments use
// fmt verbs, the same in both (a test checks this).
type message struct{ ro, en string }

// in returns the text in lang (Romanian for any other value).
func (m message) in(lang string) string {
	if lang == "en" {
		return m.en
	}
	return m.ro
}

// messages are the UI texts: key → {ro, en}. Keys "tenancy." + a
// gateway.Error code explain that refusal.
var messages = map[string]message{
	"app.name":                {"eFactura Gateway", "eFactura Gateway"},
	"nav.invoices":            {"Facturi", "Invoices"},
	"nav.companies":           {"Companii", "Companies"},
	"nav.anaf":                {"Conexiune ANAF", "ANAF connection"},
	"nav.validate":            {"Validare", "Validate"},
	"validate.title":          {"Validare factură", "Validate an invoice"},
	"validate.explain":        {"Verifică un fișier XML UBL (factură sau notă de credit) cu schema UBL 2.1 și regulile CIUS-RO, pe acest server: fișierul nu este trimis la ANAF și nu este păstrat.", "Checks a UBL XML file (invoice or credit note) against the UBL 2.1 schema and the CIUS-RO rules, on this server: the file is not sent to ANAF and not kept."},
	"validate.file":           {"Fișier XML (cel mult 10 MB)", "XML file (at most 10 MB)"},
	"validate.profile":        {"Reguli", "Rules"},
	"validate.profile.ro":     {"CIUS-RO 1.0.9 (ANAF)", "CIUS-RO 1.0.9 (ANAF)"},
	"validate.profile.en":     {"EN 16931 1.3.16 (fără regulile RO)", "EN 16931 1.3.16 (without the RO rules)"},
	"validate.submit":         {"Validează", "Validate"},
	"validate.no.file":        {"Alegeți un fișier XML.", "Choose an XML file."},
	"validate.too.large":      {"Fișierul depășește limita ANAF de 10 MB.", "The file is larger than ANAF's 10 MB limit."},
	"validate.valid":          {"Valid: %s nu are erori.", "Valid: %s has no errors."},
	"validate.invalid":        {"Invalid: %s are %d erori.", "Invalid: %s has %d errors."},
	"validate.doctype":        {"Tip document", "Document type"},
	"validate.errors":         {"Erori", "Errors"},
	"validate.warnings":       {"Avertismente", "Warnings"},
	"validate.rule":           {"Regula", "Rule"},
	"validate.message":        {"Mesaj", "Message"},
	"validate.line":           {"Linia XML", "XML line"},
	"validate.invoice.line":   {"Linia facturii (BT-126)", "Invoice line (BT-126)"},
	"validate.term":           {"Termen", "Term"},
	"validate.location":       {"Locație", "Location"},
	"validate.messages.note":  {"Mesajele regulilor sunt cele scrise în artefactele de validare (ANAF: în română; EN 16931: în engleză).", "The rules' messages are as the validation artefacts write them (ANAF's in Romanian, EN 16931's in English)."},
	"nav.admin":               {"Admin", "Admin"},
	"nav.logout":              {"Deconectare", "Log out"},
	"nav.login":               {"Autentificare", "Log in"},
	"nav.register":            {"Înregistrare", "Register"},
	"nav.language":            {"Limba", "Language"},
	"nav.main":                {"Navigare principală", "Main navigation"},
	"footer.text":             {"eFactura Gateway — arhiva facturilor RO e-Factura", "eFactura Gateway — your RO e-Factura invoice archive"},
	"error.notfound":          {"Pagina nu a fost găsită.", "Page not found."},
	"error.internal":          {"A apărut o eroare internă. Încercați din nou.", "Something went wrong on our side. Please try again."},
	"error.title":             {"Eroare", "Error"},
	"error.back":              {"Înapoi la facturi", "Back to invoices"},
	"form.email":              {"E-mail", "E-mail"},
	"form.password":           {"Parolă", "Password"},
	"form.confirm":            {"Confirmați parola", "Confirm password"},
	"form.required":           {"Câmp obligatoriu.", "Required."},
	"register.title":          {"Creați un cont", "Create an account"},
	"register.submit":         {"Creați contul", "Create account"},
	"register.closed":         {"Înregistrarea conturilor noi este închisă. Contactați administratorul.", "Registration of new accounts is closed. Contact the administrator."},
	"register.email.invalid":  {"Adresa de e-mail nu este validă.", "This is not a valid e-mail address."},
	"register.password.short": {"Parola trebuie să aibă cel puțin 10 caractere.", "The password must have at least 10 characters."},
	"register.confirm.differ": {"Parolele nu coincid.", "The passwords do not match."},
	"register.have.account":   {"Aveți deja cont?", "Already have an account?"},
	"login.title":             {"Autentificare", "Log in"},
	"login.submit":            {"Intrați în cont", "Log in"},
	"login.failed":            {"E-mail sau parolă greșită.", "Wrong e-mail or password."},
	"login.rejected":          {"Cererea de cont a fost respinsă de un administrator.", "Your account request was rejected by an administrator."},
	"login.no.account":        {"Nu aveți cont?", "No account yet?"},
	"logout.done":             {"V-ați deconectat.", "You are logged out."},
	"pending.title":           {"Cont în așteptare", "Account pending"},
	"pending.text":            {"Contul %s așteaptă aprobarea unui administrator. Veți putea intra după aprobare.", "The account %s awaits an administrator's approval. You can log in once it is approved."},
	"dash.title":              {"Facturi", "Invoices"},
	"dash.company":            {"Compania", "Company"},
	"dash.switch":             {"Schimbă", "Switch"},
	"dash.no.companies":       {"Nu aveți încă nicio companie.", "You have no company yet."},
	"dash.add.company":        {"Adăugați o companie", "Add a company"},
	"dash.tab.all":            {"Toate", "All"},
	"dash.tab.received":       {"Primite", "Received"},
	"dash.tab.sent":           {"Trimise", "Sent"},
	"dash.tab.errors":         {"Erori", "Errors"},
	"dash.tabs":               {"Tipuri de mesaje", "Message types"},
	"dash.search":             {"Căutare", "Search"},
	"dash.search.hint":        {"număr sau partener", "number or partner"},
	"dash.from":               {"De la data", "From date"},
	"dash.to":                 {"Până la data", "To date"},
	"dash.sort":               {"Sortare", "Sort by"},
	"dash.sort.date":          {"Data emiterii", "Issue date"},
	"dash.sort.total":         {"Total", "Total"},
	"dash.sort.synced":        {"Data sincronizării", "Synced at"},
	"dash.sort.number":        {"Număr", "Number"},
	"dash.sort.anaf":          {"Id ANAF", "ANAF id"},
	"dash.order":              {"Ordine", "Order"},
	"dash.order.desc":         {"descrescătoare", "descending"},
	"dash.order.asc":          {"crescătoare", "ascending"},
	"dash.filter":             {"Filtrează", "Filter"},
	"dash.reset":              {"Resetează", "Reset"},
	"dash.bad.date":           {"Data trebuie scrisă AAAA-LL-ZZ.", "Write the date as YYYY-MM-DD."},
	"dash.fig.count":          {"Facturi în arhivă", "Invoices archived"},
	"dash.fig.matching":       {"Rezultate", "Matching"},
	"dash.fig.lastsync":       {"Ultima sincronizare", "Last sync"},
	"dash.fig.never":          {"niciodată", "never"},
	"dash.sync.now":           {"Sincronizează acum", "Sync now"},
	"dash.sync.started":       {"Sincronizarea a pornit. Reîncărcați pagina peste câteva momente.", "Sync started. Reload the page in a few moments."},
	"dash.sync.failed":        {"Sincronizarea nu a putut porni: %s", "The sync could not start: %s"},
	"dash.sync.failed.busy":   {"o sincronizare a acestei companii rulează deja.", "a sync of this company is already running."},
	"dash.sync.failed.later":  {"încercați din nou peste un minut; dacă se repetă, anunțați administratorul.", "try again in a minute; if it happens again, tell the administrator."},
	"dash.empty":              {"Nicio factură nu corespunde.", "No invoice matches."},
	"dash.page":               {"Pagina %d din %d", "Page %d of %d"},
	"dash.prev":               {"« Înapoi", "« Previous"},
	"dash.next":               {"Înainte »", "Next »"},
	"dash.pagination":         {"Paginare", "Pagination"},
	"dash.export":             {"Export", "Export"},
	"dash.export.invoices":    {"o linie pe factură", "one row per invoice"},
	"dash.export.lines":       {"o linie pe articol", "one row per line"},
	"dash.export.bad.format":  {"Formatul de export trebuie să fie CSV sau XLSX.", "The export format must be CSV or XLSX."},
	"dash.export.too.large":   {"%d facturi corespund; un export cuprinde cel mult %d. Restrângeți intervalul de date.", "%d invoices match; an export holds at most %d. Narrow the date range."},
	"sync.running":            {"în curs", "running"},
	"sync.ok":                 {"reușită", "succeeded"},
	"sync.failed":             {"eșuată", "failed"},
	"sync.summary":            {"%d găsite, %d noi, %d eșuate", "%d found, %d new, %d failed"},
	"col.number":              {"Număr", "Number"},
	"col.issue.date":          {"Data emiterii", "Issue date"},
	"col.partner":             {"Partener", "Partner"},
	"col.partner.cif":         {"CIF partener", "Partner CIF"},
	"col.total":               {"Total", "Total"},
	"col.type":                {"Tip", "Type"},
	"col.synced":              {"Sincronizată", "Synced"},
	"type.received":           {"Primită", "Received"},
	"type.sent":               {"Trimisă", "Sent"},
	"type.errors":             {"Erori", "Errors"},
	"inv.title":               {"Factura %s", "Invoice %s"},
	"inv.untitled":            {"Mesaj ANAF %s", "ANAF message %s"},
	"inv.download.zip":        {"Descarcă ZIP (original ANAF)", "Download ZIP (ANAF original)"},
	"inv.download.xml":        {"Descarcă XML", "Download XML"},
	"inv.download.pdf":        {"Descarcă PDF", "Download PDF"},
	"inv.pdf.unavailable":     {"Mesajul nu conține o factură citită, deci nu poate fi făcut PDF. Descărcați ZIP-ul original.", "This message holds no parsed invoice, so no PDF can be made. Download the original ZIP."},
	"inv.pdf.too.large":       {"Factura are %d linii; PDF-ul se face pentru cel mult %d linii. Descărcați ZIP-ul original sau XML-ul.", "The invoice has %d lines; PDFs are made for at most %d lines. Download the original ZIP or the XML."},
	"inv.pdf.busy":            {"Toate generatoarele de PDF sunt ocupate. Încercați din nou peste %d secunde.", "Every PDF renderer is busy. Try again in %d seconds."},
	"inv.archive.unreadable":  {"Arhiva ZIP păstrată nu poate fi citită, deci XML-ul nu poate fi extras. Descărcați ZIP-ul original.", "The archived ZIP cannot be read, so no XML can be extracted from it. Download the original ZIP."},
	"inv.parse.error":         {"Documentul nu a putut fi interpretat: %s", "The document could not be parsed: %s"},
	"inv.dates":               {"Date", "Dates"},
	"inv.lines":               {"Linii", "Lines"},
	"inv.vat.breakdown":       {"Defalcare TVA", "VAT breakdown"},
	"inv.totals":              {"Totaluri", "Totals"},
	"inv.payment":             {"Plată", "Payment"},
	"inv.notes":               {"Note", "Notes"},
	"inv.attachments":         {"Anexe", "Attachments"},
	"inv.anaf":                {"Date ANAF", "ANAF facts"},
	"inv.anaf.details":        {"Detalii ANAF", "ANAF details"},
	"inv.anaf.synced":         {"Sincronizat", "Synced"},
	"inv.company":             {"Compania", "Company"},
	"companies.title":         {"Companii", "Companies"},
	"companies.none":          {"Nu aveți încă nicio companie.", "You have no company yet."},
	"companies.cif":           {"CIF", "CIF"},
	"companies.name":          {"Denumire", "Name"},
	"companies.role":          {"Rolul dvs.", "Your role"},
	"companies.open":          {"Facturi", "Invoices"},
	"companies.add":           {"Adăugați o companie", "Add a company"},
	"companies.add.submit":    {"Adaugă", "Add"},
	"companies.cif.hint":      {"cu sau fără RO, de ex. RO12345674", "with or without RO, e.g. RO12345674"},
	"companies.cif.invalid":   {"Nu este un CIF: 2–10 cifre, opțional precedate de RO.", "Not a CIF: 2 to 10 digits, optionally prefixed by RO."},
	"companies.cif.check":     {"Cifra de control a CIF-ului este greșită.", "The CIF check digit is wrong."},
	"companies.cif.exists":    {"Compania cu acest CIF există deja. Cereți proprietarului ei să vă acorde acces.", "A company with this CIF already exists. Ask its owner to grant you access."},
	"companies.cif.member":    {"Aveți deja acces la această companie.", "You already have access to this company."},
	"companies.added":         {"Compania %s a fost adăugată; sunteți proprietarul ei.", "Company %s was added; you are its owner."},
	"role.owner":              {"proprietar", "owner"},
	"role.member":             {"membru", "member"},
	"anaf.title":              {"Conexiune ANAF", "ANAF connection"},
	"anaf.connected":          {"Conectat la ANAF.", "Connected to ANAF."},
	"anaf.not.connected":      {"Nu sunteți conectat la ANAF.", "You are not connected to ANAF."},
	"anaf.reconnect":          {"Conexiunea a expirat sau a fost revocată: reconectați-vă.", "The connection expired or was revoked: please reconnect."},
	"anaf.expires":            {"Tokenul de acces expiră la", "Access token expires at"},
	"anaf.refresh.expires":    {"Tokenul de reîmprospătare expiră la", "Refresh token expires at"},
	"anaf.last.refresh":       {"Ultima reîmprospătare", "Last refresh"},
	"anaf.connect":            {"Conectare cu certificatul digital", "Connect with your digital certificate"},
	"anaf.reconnect.button":   {"Reconectare", "Reconnect"},
	"anaf.key.missing":        {"Gateway-ul nu poate decripta conexiunea ANAF: cheia de criptare lipsește. Administratorul trebuie să o repună; nu este nevoie să vă reconectați.", "The gateway cannot decrypt your ANAF connection: its encryption key is missing. An administrator must put it back; you do not need to reconnect."},
	"anaf.disconnect":         {"Deconectare de la ANAF", "Disconnect from ANAF"},
	"anaf.disconnect.confirm": {"Sigur vă deconectați de la ANAF?", "Disconnect from ANAF?"},
	"anaf.explain":            {"Conectarea deschide pagina ANAF, unde vă autentificați cu certificatul calificat. Gateway-ul păstrează tokenurile criptate.", "Connecting opens ANAF's page, where you log in with your qualified certificate. The gateway keeps the tokens encrypted."},
	"anaf.unconfigured":       {"Aplicația OAuth ANAF nu este configurată. Contactați administratorul.", "The ANAF OAuth application is not configured. Contact the administrator."},
	"anaf.state.mismatch":     {"Răspunsul ANAF nu corespunde cererii de conectare. Încercați din nou.", "ANAF's answer does not match a connection request. Please try again."},
	"anaf.error":              {"ANAF a refuzat conectarea: %s", "ANAF refused the connection: %s"},
	"anaf.exchange.failed":    {"Schimbul codului de autorizare a eșuat. Încercați din nou.", "Exchanging the authorization code failed. Please try again."},
	"anaf.done":               {"Conectat la ANAF.", "Connected to ANAF."},
	"anaf.disconnected":       {"Conexiunea ANAF a fost ștearsă.", "The ANAF connection was removed."},
	"admin.title":             {"Utilizatori", "Users"},
	"admin.pending":           {"În așteptarea aprobării", "Awaiting approval"},
	"admin.none.pending":      {"Nicio cerere în așteptare.", "No pending request."},
	"admin.all":               {"Toți utilizatorii", "All users"},
	"admin.email":             {"E-mail", "E-mail"},
	"admin.status":            {"Stare", "Status"},
	"admin.role":              {"Rol", "Role"},
	"admin.created":           {"Creat", "Created"},
	"admin.actions":           {"Acțiuni", "Actions"},
	"admin.approve":           {"Aprobă", "Approve"},
	"admin.reject":            {"Respinge", "Reject"},
	"admin.reject.confirm":    {"Respingeți această cerere?", "Reject this request?"},
	"admin.approved":          {"Utilizatorul %s a fost aprobat.", "User %s was approved."},
	"admin.rejected":          {"Utilizatorul %s a fost respins.", "User %s was rejected."},
	"admin.self":              {"Nu vă puteți modifica propriul cont.", "You cannot change your own account."},
	"admin.is.admin":          {"administrator", "administrator"},
	"admin.is.user":           {"utilizator", "user"},
	"status.pending":          {"în așteptare", "pending"},
	"status.approved":         {"aprobat", "approved"},
	"status.rejected":         {"respins", "rejected"},

	"nav.skip":    {"Sari la conținut", "Skip to content"},
	"nav.account": {"Contul meu: schimbă parola", "My account: change password"},
	"form.save":   {"Salvează", "Save"},
	"form.cancel": {"Renunță", "Cancel"},

	"register.done.title": {"Cerere de înregistrare primită", "Registration received"},
	"register.done.text": {"Dacă adresa poate fi înregistrată, un administrator va analiza cererea. Veți putea intra în cont după aprobare, cu adresa și parola alese.",
		"If the address can be registered, an administrator will review the request. You can log in once it is approved, with the address and password you chose."},

	"login.throttled": {"Prea multe încercări eșuate. Încercați din nou peste %d minute.", "Too many failed attempts. Try again in %d minutes."},

	"password.title":         {"Schimbă parola", "Change password"},
	"password.explain":       {"După schimbare, celelalte sesiuni deschise ale contului se închid.", "After the change, your other open sessions are signed out."},
	"password.current":       {"Parola actuală", "Current password"},
	"password.new":           {"Parola nouă", "New password"},
	"password.submit":        {"Schimbă parola", "Change password"},
	"password.current.wrong": {"Parola actuală nu este corectă.", "The current password is wrong."},
	"password.same":          {"Parola nouă trebuie să difere de cea actuală.", "The new password must differ from the current one."},
	"password.changed":       {"Parola a fost schimbată; celelalte sesiuni au fost închise.", "Your password was changed; other sessions were signed out."},

	"impersonate.banner":  {"Administratorul %s acționează ca %s.", "Administrator %s is acting as %s."},
	"impersonate.stop":    {"Oprește impersonarea", "Stop impersonating"},
	"impersonate.started": {"Acționați acum ca %s.", "You are now acting as %s."},
	"impersonate.stopped": {"Ați încetat să acționați ca %s.", "You stopped acting as %s."},

	"admin.nav.users":               {"Utilizatori", "Users"},
	"admin.nav.anaf":                {"Aplicația ANAF", "ANAF application"},
	"admin.nav.audit":               {"Jurnal de audit", "Audit log"},
	"admin.nav.system":              {"Sistem", "System"},
	"admin.role.grant":              {"Fă administrator", "Make admin"},
	"admin.role.remove":             {"Retrage administrarea", "Remove admin"},
	"admin.role.granted":            {"%s este acum administrator.", "%s is now an administrator."},
	"admin.role.removed":            {"%s nu mai este administrator.", "%s is no longer an administrator."},
	"admin.impersonate":             {"Impersonează", "Impersonate"},
	"admin.impersonate.admin":       {"Un administrator nu poate fi impersonat.", "An administrator cannot be impersonated."},
	"admin.impersonate.notapproved": {"Contul nu este aprobat.", "The account is not approved."},

	"anafapp.title":            {"Aplicația OAuth ANAF", "ANAF OAuth application"},
	"anafapp.explain":          {"Datele aplicației înregistrate la ANAF. Secretul se păstrează criptat și nu mai este afișat.", "The application registered with ANAF. The secret is stored encrypted and never shown again."},
	"anafapp.updated":          {"Actualizată la %s.", "Updated on %s."},
	"anafapp.client.id":        {"Client ID", "Client ID"},
	"anafapp.secret":           {"Client secret", "Client secret"},
	"anafapp.secret.kept":      {"Un secret este salvat; lăsați gol pentru a-l păstra.", "A secret is stored; leave empty to keep it."},
	"anafapp.secret.none":      {"Niciun secret salvat.", "No secret stored."},
	"anafapp.redirect":         {"Redirect URI", "Redirect URI"},
	"anafapp.redirect.hint":    {"Gol: %s", "Empty: %s"},
	"anafapp.redirect.invalid": {"Trebuie să fie o adresă http(s) completă.", "Must be a full http(s) address."},
	"anafapp.too.long":         {"Prea lung.", "Too long."},
	"anafapp.saved":            {"Aplicația ANAF a fost salvată.", "The ANAF application was saved."},

	"audit.title":   {"Jurnal de audit", "Audit log"},
	"audit.action":  {"Acțiune", "Action"},
	"audit.actor":   {"Autor (e-mail)", "Actor (e-mail)"},
	"audit.at":      {"Momentul", "Time"},
	"audit.target":  {"Obiect", "Target"},
	"audit.details": {"Detalii", "Details"},
	"audit.none":    {"Niciun eveniment nu corespunde.", "No event matches."},
	"audit.shown":   {"%d evenimente afișate (cel mult %d).", "%d events shown (at most %d)."},

	"system.title":        {"Cifre de sistem", "System figures"},
	"system.users":        {"Utilizatori aprobați", "Approved users"},
	"system.users.detail": {"%d în așteptare, %d respinși, %d administratori", "%d pending, %d rejected, %d administrators"},
	"system.companies":    {"Companii", "Companies"},
	"system.invoices":     {"Facturi arhivate", "Archived invoices"},
	"system.syncs":        {"Ultimele sincronizări", "Latest syncs"},
	"system.started":      {"Pornită", "Started"},
	"system.outcome":      {"Rezultat", "Outcome"},
	"system.counts":       {"Mesaje", "Messages"},
	"system.nosyncs":      {"Nicio sincronizare încă.", "No sync yet."},

	"company.settings":        {"Setări", "Settings"},
	"company.autosync":        {"Sincronizare automată", "Automatic sync"},
	"company.interval":        {"Interval de sincronizare (minute)", "Sync interval (minutes)"},
	"company.interval.hint":   {"Între 15 și 1440 de minute.", "Between 15 and 1440 minutes."},
	"company.interval.range":  {"Intervalul trebuie să fie între %d și %d minute.", "The interval must be between %d and %d minutes."},
	"company.name.long":       {"Numele poate avea cel mult 200 de caractere.", "The name can have at most 200 characters."},
	"company.saved":           {"Setările au fost salvate.", "Settings saved."},
	"company.delete":          {"Șterge compania", "Delete company"},
	"company.delete.title":    {"Ștergeți %s?", "Delete %s?"},
	"company.delete.warning":  {"Se vor șterge definitiv %d facturi arhivate, membrii, cheile API și istoricul sincronizărilor. ANAF nu este afectat.", "This permanently deletes %d archived invoices, the members, API keys and sync history. Nothing changes at ANAF."},
	"company.delete.type":     {"Scrieți CIF-ul %s pentru confirmare", "Type the CIF %s to confirm"},
	"company.delete.mismatch": {"CIF-ul scris nu este al acestei companii.", "This is not the company's CIF."},
	"company.delete.submit":   {"Șterge definitiv", "Delete permanently"},
	"company.deleted":         {"Compania %s a fost ștearsă.", "Company %s was deleted."},

	"members.title":          {"Membri", "Members"},
	"members.explain":        {"Membrii văd facturile companiei, nu și setările ei.", "Members see the company's invoices, never its settings."},
	"members.add.email":      {"E-mailul persoanei invitate", "E-mail of the person to invite"},
	"members.add":            {"Invită", "Invite"},
	"members.remove":         {"Elimină", "Remove"},
	"members.remove.confirm": {"Eliminați membrul? Cheile API create de el vor fi revocate.", "Remove this member? The API keys they created will be revoked."},
	"members.unknown":        {"Nu există un cont aprobat cu acest e-mail.", "There is no approved account with this e-mail."},
	"members.already":        {"Utilizatorul este deja membru.", "This user is already a member."},
	"members.added":          {"%s a fost adăugat.", "%s was added."},
	"members.removed":        {"%s a fost eliminat; cheile sale API au fost revocate.", "%s was removed; their API keys were revoked."},
	"members.self":           {"Nu vă puteți elimina singur.", "You cannot remove yourself."},

	"keys.title":          {"Chei API", "API keys"},
	"keys.name":           {"Nume", "Name"},
	"keys.name.hint":      {"De exemplu: ERP contabilitate", "For example: accounting ERP"},
	"keys.name.long":      {"Numele poate avea cel mult 100 de caractere.", "The name can have at most 100 characters."},
	"keys.prefix":         {"Început", "Prefix"},
	"keys.scope":          {"Drepturi", "Scope"},
	"keys.scope.read":     {"citire", "read"},
	"keys.scope.write":    {"citire și scriere", "read and write"},
	"keys.scope.invalid":  {"Alegeți citire sau scriere.", "Choose read or write."},
	"keys.created.at":     {"Creată", "Created"},
	"keys.last.used":      {"Ultima folosire", "Last used"},
	"keys.never":          {"niciodată", "never"},
	"keys.revoke":         {"Revocă", "Revoke"},
	"keys.revoke.confirm": {"Revocați cheia? Programele care o folosesc nu vor mai avea acces.", "Revoke this key? Programs using it lose access."},
	"keys.revoked":        {"Cheia a fost revocată.", "The key was revoked."},
	"keys.revoked.at":     {"revocată %s", "revoked %s"},
	"keys.none":           {"Nicio cheie API încă.", "No API key yet."},
	"keys.create":         {"Cheie nouă", "New key"},
	"keys.create.submit":  {"Creează cheia", "Create key"},
	"keys.created":        {"Cheia „%s” a fost creată", "Key “%s” created"},
	"keys.once":           {"Copiați cheia acum: nu va mai fi afișată.", "Copy the key now: it will not be shown again."},
	"keys.key":            {"Cheia API", "API key"},

	"anaf.served":      {"Companii sincronizate cu această conexiune", "Companies synced with this connection"},
	"anaf.served.none": {"Niciuna încă.", "None yet."},
	"anaf.test":        {"Testează conexiunea", "Test connection"},
	"anaf.test.ok":     {"ANAF a răspuns: %s", "ANAF answered: %s"},
	"anaf.test.failed": {"Testul a eșuat: %s", "The test failed: %s"},

	"dash.figures":       {"Cifre", "Figures"},
	"dash.fig.month":     {"Facturi luna aceasta", "Invoices this month"},
	"dash.fig.received":  {"Primite, 12 luni", "Received, 12 months"},
	"dash.fig.sent":      {"Trimise, 12 luni", "Sent, 12 months"},
	"dash.partner":       {"Partener", "Partner"},
	"dash.partner.hint":  {"CIF sau nume", "CIF or name"},
	"dash.chart":         {"Totaluri lunare", "Monthly totals"},
	"dash.sync.progress": {"Sincronizare în curs", "Sync in progress"},
	"dash.sync.refresh":  {"Pagina se reîncarcă singură până la final.", "The page reloads itself until the end."},
	"sync.progress":      {"%s: pagina %d din %d, %d găsite, %d noi", "%s: page %d of %d, %d found, %d new"},
	"sync.queued":        {"în așteptare", "queued"},
	"sync.partial":       {"parțială", "partial"},

	"chart.title":    {"Totaluri lunare primite și trimise (%s)", "Monthly totals received and sent (%s)"},
	"chart.received": {"primite", "received"},
	"chart.sent":     {"trimise", "sent"},
	"chart.months":   {"ian.,feb.,mar.,apr.,mai,iun.,iul.,aug.,sept.,oct.,nov.,dec.", "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec"},

	"tenancy.not_found": {"Nu a fost găsit.", "Not found."},
	"tenancy.not_admin": {"Doar un administrator poate face asta.", "Only an administrator may do this."},
	"tenancy.impersonating": {
		"Un administrator care acționează în numele unui utilizator nu poate crea acreditări: chei API, invitații, conexiuni ANAF sau consimțăminte. Opriți impersonarea; utilizatorul le face singur.",
		"An administrator acting as a user cannot create credentials: API keys, invitations, ANAF connections or consent. Stop impersonating; the user does this themself."},
	"tenancy.last_owner": {
		"Ultimul proprietar nu poate pleca și nu poate renunța la rol: faceți întâi alt membru proprietar sau ștergeți compania.",
		"The last owner cannot leave or step down: make another member owner first, or delete the company."},
	"tenancy.already_member": {"Utilizatorul este deja membru al companiei.", "That user is already a member of the company."},
	"tenancy.invite_pending": {"Această adresă are deja o invitație în așteptare la companie.", "That address already has a pending invitation to the company."},
	"tenancy.bad_role":       {"Rolul trebuie să fie proprietar sau membru.", "The role must be owner or member."},
	"tenancy.bad_email":      {"Introduceți o adresă de e-mail validă.", "Enter a valid e-mail address."},
	"tenancy.self":           {"Pentru a pleca dintr-o companie folosiți „Părăsește”.", "Use Leave to leave a company yourself."},
	"tenancy.unverified":     {"Compania nu este încă verificată de ANAF.", "This company is not verified by ANAF yet."},

	"tenancy.role":                {"Rol", "Role"},
	"tenancy.invitations":         {"Invitații", "Invitations"},
	"tenancy.invitations.explain": {"Invitațiile la companii primite pe adresa dvs. Nimic nu se schimbă până nu acceptați. După acceptare, conexiunea dvs. ANAF NU este folosită pentru companie decât dacă alegeți „Folosește conexiunea mea ANAF” pe pagina Companii.", "Invitations to companies sent to your address. Nothing changes until you accept. After accepting, your ANAF connection is NOT used for the company unless you choose \"Use my ANAF connection\" on the Companies page."},
	"tenancy.invitations.none":    {"Nu aveți invitații în așteptare.", "You have no pending invitations."},
	"tenancy.invited.by":          {"Invitat de", "Invited by"},
	"tenancy.valid.until":         {"Valabilă până la", "Valid until"},
	"tenancy.operator":            {"operatorul", "the operator"},
	"tenancy.accept":              {"Acceptă", "Accept"},
	"tenancy.decline":             {"Refuză", "Decline"},
	"tenancy.revoke":              {"Retrage", "Revoke"},
	"tenancy.until":               {"până la %s", "until %s"},
	"tenancy.join.mine":           {"Cererile dvs. de alăturare (în așteptare)", "Your join requests (pending)"},
	"tenancy.join.title":          {"Cereri de alăturare", "Join requests"},
	"tenancy.invites.pending":     {"Invitații în așteptare", "Pending invitations"},
	"tenancy.invite.explain": {
		"Persoana primește o invitație pe pagina ei „Invitații” (valabilă 14 zile); devine membru doar dacă o acceptă, iar conexiunea ei ANAF servește compania doar cu acordul ei.",
		"The person gets an invitation on their Invitations page (valid 14 days); they become a member only if they accept, and their ANAF connection serves the company only with their consent."},
	"tenancy.invite.sent":     {"Invitația pentru %s a fost trimisă; așteaptă răspunsul până la %s.", "The invitation for %s was sent; it awaits an answer until %s."},
	"tenancy.invite.accepted": {"Ați acceptat invitația: sunteți membru al companiei %s. Conexiunea dvs. ANAF nu este folosită pentru ea până nu alegeți acest lucru.", "You accepted the invitation: you are a member of %s. Your ANAF connection is not used for it until you choose so."},
	"tenancy.invite.declined": {"Ați refuzat invitația companiei %s.", "You declined the invitation of %s."},
	"tenancy.invite.revoked":  {"Invitația a fost retrasă.", "The invitation was revoked."},
	"tenancy.join.sent": {
		"Compania cu CIF-ul %s există deja: proprietarilor ei li s-a trimis o cerere de alăturare. Dacă certificatul dvs. are drepturi în SPV pentru acest CIF și compania nu este verificată, conectați ANAF și adăugați-o din nou pentru a o prelua.",
		"A company with CIF %s already exists: a join request was sent to its owners. If your certificate has SPV rights on this CIF and the company is not verified, connect ANAF and add it again to take it over."},
	"tenancy.join.accepted":          {"%s a devenit membru.", "%s is now a member."},
	"tenancy.join.declined":          {"Cererea lui %s a fost refuzată.", "The request of %s was declined."},
	"tenancy.takeover":               {"ANAF a confirmat drepturile dvs. pentru CIF-ul companiei %s: sunteți acum proprietarul ei, iar cei care o adăugaseră fără drepturi nu mai au acces.", "ANAF confirmed your rights on the CIF of %s: you now own it, and those who had added it without rights lost access."},
	"tenancy.added.unverified":       {"Compania %s a fost adăugată; sunteți proprietarul ei. Este neverificată până când ANAF confirmă, cu conexiunea unui membru care o împrumută, drepturile pe CIF (conectați ANAF și porniți sincronizarea).", "Company %s was added; you are its owner. It is unverified until ANAF confirms, with the connection of a member who lends it, rights on the CIF (connect ANAF and sync)."},
	"tenancy.left":                   {"Ați părăsit compania %s; cheile dvs. API ale ei au fost revocate.", "You left %s; your API keys of it were revoked."},
	"tenancy.leave":                  {"Părăsește", "Leave"},
	"tenancy.leave.confirm":          {"Părăsiți compania? Nu veți mai vedea facturile ei, iar cheile dvs. API ale ei vor fi revocate.", "Leave this company? You will no longer see its invoices, and your API keys of it will be revoked."},
	"tenancy.status":                 {"Stare", "Status"},
	"tenancy.status.verified":        {"verificată", "verified"},
	"tenancy.status.unverified":      {"neverificată", "unverified"},
	"tenancy.status.verified.hint":   {"ANAF a confirmat drepturile unui membru pe acest CIF.", "ANAF confirmed a member's rights on this CIF."},
	"tenancy.status.unverified.hint": {"Nu arată nimic de la ANAF până când ANAF confirmă drepturile unui membru care își împrumută conexiunea.", "Shows nothing from ANAF until ANAF confirms the rights of a member who lends their connection."},
	"tenancy.consent":                {"Conexiunea mea ANAF", "My ANAF connection"},
	"tenancy.consent.yes":            {"folosită", "used"},
	"tenancy.consent.no":             {"nefolosită", "not used"},
	"tenancy.consent.noconn.short":   {"dar nu aveți conexiune ANAF", "but you have no ANAF connection"},
	"tenancy.consent.noconn":         {"Ați ales să vă împrumutați conexiunea ANAF, dar nu aveți una activă: conectați-vă pe pagina Conexiune ANAF.", "You chose to lend your ANAF connection, but you have no live one: connect on the ANAF connection page."},
	"sync.err.no_connection":         {"Niciun membru nu împrumută companiei o conexiune ANAF activă: un membru cu drepturi în SPV pe CIF se conectează la ANAF și alege „Folosește conexiunea mea ANAF” pentru companie.", "No member lends the company a live ANAF connection: a member with SPV rights on the CIF connects to ANAF and chooses \"Use my ANAF connection\" for the company."},
	"sync.err.key_missing":           {"Conexiunea ANAF împrumutată companiei nu poate fi decriptată: cheia ei de criptare lipsește din EFACTURA_ENCRYPTION_KEY. Administratorul trebuie să o repună; conexiunea funcționează apoi din nou, fără reconectare.", "The ANAF connection lent to the company cannot be decrypted: its encryption key is missing from EFACTURA_ENCRYPTION_KEY. An administrator must put it back; the connection then works again, without reconnecting."},
	"sync.err.refused":               {"ANAF a refuzat în ultimele 24 de ore conexiunile împrumutate companiei („Nu aveti drept in SPV”): certificatele lor nu au drepturi pe acest CIF. Un membru ale cărui drepturi acoperă CIF-ul își poate împrumuta conexiunea.", "In the last 24 hours ANAF refused the connections lent to the company (\"Nu aveti drept in SPV\"): their certificates have no rights on this CIF. A member whose rights cover the CIF can lend theirs."},
	"tenancy.consent.turnon":         {"Folosește conexiunea mea ANAF", "Use my ANAF connection"},
	"tenancy.consent.turnoff":        {"Nu mai folosi", "Stop using it"},
	"tenancy.consent.on":             {"Conexiunea dvs. ANAF poate fi folosită pentru %s (doar dacă drepturile certificatului acoperă CIF-ul).", "Your ANAF connection may now serve %s (only if your certificate's rights cover its CIF)."},
	"tenancy.consent.off":            {"Conexiunea dvs. ANAF nu mai este folosită pentru %s.", "Your ANAF connection no longer serves %s."},
	"tenancy.consent.explain": {
		"Sincronizarea unei companii folosește doar conexiunea ANAF a membrilor care au ales „Folosește conexiunea mea ANAF” pentru ea și doar dacă ANAF confirmă drepturile pe CIF. Creatorul companiei o împrumută implicit; un membru invitat, nu.",
		"A company is synced only with the ANAF connection of members who chose \"Use my ANAF connection\" for it, and only when ANAF confirms rights on its CIF. The creator lends theirs by default; an invited member does not."},
	"tenancy.add.explain": {
		"Compania este verificată când ANAF confirmă drepturile conexiunii dvs. pe CIF. Dacă CIF-ul există deja, proprietarii lui primesc o cerere de alăturare.",
		"The company is verified when ANAF confirms your connection's rights on the CIF. If the CIF already exists, its owners get a join request."},
	"tenancy.lends":            {"își împrumută conexiunea ANAF", "lends their ANAF connection"},
	"tenancy.make.owner":       {"Fă proprietar", "Make owner"},
	"tenancy.make.member":      {"Fă membru", "Make member"},
	"tenancy.step.down":        {"Renunț la rolul de proprietar", "Step down to member"},
	"tenancy.handover":         {"Predă proprietatea", "Hand over ownership"},
	"tenancy.handover.confirm": {"Predați proprietatea? Veți rămâne membru, fără acces la setări.", "Hand over ownership? You stay a member, without access to the settings."},
	"tenancy.handover.done":    {"%s este acum proprietar; dvs. ați rămas membru.", "%s is now an owner; you are a member."},
	"tenancy.role.changed":     {"Rolul lui %s este acum: %s.", "%s's role is now: %s."},
	"tenancy.notice.consent_off": {
		"Regulile de acces s-au schimbat: conexiunea dvs. ANAF nu mai este folosită pentru companiile în care ați fost adăugat ca membru. O puteți împrumuta din nou, companie cu companie, pe pagina Companii.",
		"Access rules changed: your ANAF connection is no longer used for companies you were added to as a member. You can lend it again, company by company, on the Companies page."},
	"tenancy.unverified.title": {"Compania nu este verificată de ANAF", "This company is not verified by ANAF"},
	"tenancy.unverified.why": {
		"Nu arătăm nimic de la ANAF pentru această companie până când ANAF confirmă, cu conexiunea unui membru care și-o împrumută companiei, că are drepturi în SPV pentru CIF-ul ei. Astfel nimeni nu poate vedea facturile unei firme doar tastându-i CIF-ul.",
		"We show nothing from ANAF for this company until ANAF confirms, with the connection of a member who lends it to the company, SPV rights on its CIF. So nobody can see a firm's invoices just by typing its CIF."},
	"tenancy.unverified.step1": {"Un membru cu drepturi în SPV pe CIF conectează ANAF:", "A member with SPV rights on the CIF connects ANAF:"},
	"tenancy.unverified.step2": {"alege „Folosește conexiunea mea ANAF” pentru companie:", "chooses \"Use my ANAF connection\" for the company:"},
	"tenancy.unverified.step3": {"apoi pornește sincronizarea de mai jos.", "then starts a sync below."},
}

// translate returns the message key in lang, formatted with args. An
// unknown key is returned as is, so a missing message shows rather than
// breaking the page.
func translate(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	msg := m.in(lang)
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// validLang reports whether l is a UI language.
func validLang(l string) bool {
	return slices.Contains(languages, l)
}

// requestLang picks the page language: ?lang= (remembered in the session
// and, for a logged-in user, saved as their preference), then the session,
// then the user's saved preference, then Romanian.
func (a *app) requestLang(r *http.Request, u *gateway.User) string {
	ctx := r.Context()
	if l := r.URL.Query().Get("lang"); validLang(l) {
		a.Sessions.Put(ctx, sessLang, l)
		if u != nil && u.Lang != l {
			if err := a.gw().SetUserLang(ctx, u.ID, l); err != nil {
				a.Logger.WarnContext(ctx, "save user language", "user_id", u.ID, "error", err.Error())
			} else {
				u.Lang = l
			}
		}
		return l
	}
	if l := a.Sessions.GetString(ctx, sessLang); validLang(l) {
		return l
	}
	if u != nil && validLang(u.Lang) {
		return u.Lang
	}
	return languages[0]
}
