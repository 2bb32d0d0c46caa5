package web

// tenancyMessages are the messages of invitations, join requests, consent,
// verification, leaving and roles: key → {ro, en}. Keys "tenancy." + a
// gateway.Error code explain that refusal.
var tenancyMessages = map[string][2]string{
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

func init() {
	for key, m := range tenancyMessages {
		for i, lang := range languages {
			catalogs[lang][key] = m[i]
		}
	}
	catalogs["ro"]["members.add"], catalogs["en"]["members.add"] = "Invită", "Invite"
	catalogs["ro"]["members.add.email"], catalogs["en"]["members.add.email"] = "E-mailul persoanei invitate", "E-mail of the person to invite"
}
