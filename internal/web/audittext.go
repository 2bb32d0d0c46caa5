package web

import (
	"strings"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// The audit page's texts (issue 17, "Polish"): an action is shown by its
// name in the page's language (the key stays in a title and in the
// filter), and the details and target the use cases write in English
// are shown in Romanian on Romanian pages, their values (names, e-mails,
// CIFs, numbers) untouched.

// auditRow is one line of the audit page.
type auditRow struct {
	gateway.AuditEntry
	ActionLabel string // the action's name in the page's language; the key when unknown
	TargetText  string
	DetailsText string
}

// auditRows arranges events for the page in lang.
func auditRows(lang string, events []gateway.AuditEntry) []auditRow {
	out := make([]auditRow, len(events))
	for i, e := range events {
		out[i] = auditRow{AuditEntry: e, ActionLabel: e.Action, TargetText: e.Target, DetailsText: e.Details}
		if _, ok := messages["audit.a."+e.Action]; ok {
			out[i].ActionLabel = translate(lang, "audit.a."+e.Action)
		}
		if lang != "en" {
			out[i].TargetText = auditTargetRO.Replace(e.Target)
			out[i].DetailsText = auditDetailsRO.Replace(e.Details)
		}
	}
	return out
}

// auditTargetRO names the kinds of audit targets in Romanian.
var auditTargetRO = strings.NewReplacer("company:", "companie:", "user:", "utilizator:", "key:", "cheie API:", "upload:", "încărcare:")

// auditDetailsRO translates the fixed words of the details the use cases
// write (gateway, sync, jobs); longer phrases first, values untouched.
var auditDetailsRO = strings.NewReplacer(
	"registration for an existing account ignored", "înregistrare ignorată pentru un cont existent",
	"the stored ANAF token decrypts again with EFACTURA_ENCRYPTION_KEY", "tokenul ANAF păstrat se decriptează din nou cu EFACTURA_ENCRYPTION_KEY",
	"ANAF verified the CIF with their connection; removed:", "ANAF a verificat CIF-ul cu conexiunea lor; eliminați:",
	"ANAF answered for the CIF with the connection of", "ANAF a răspuns pentru CIF cu conexiunea lui",
	"actor=system: ANAF answered for CIF", "autor=sistem: ANAF a răspuns pentru CIF",
	"with the ANAF connection of user", "cu conexiunea ANAF a utilizatorului",
	"(their API keys revoked)", "(cheile lor API au fost revocate)",
	"is now a member", "este acum membru",
	"(impersonated by ", "(prin impersonare de către ",
	"wrong current password", "parola curentă greșită",
	"other sessions ended", "celelalte sesiuni au fost închise",
	"sessions ended", "sesiunile au fost închise",
	"wrong password", "parolă greșită",
	"unknown e-mail", "e-mail necunoscut",
	"code exchange failed", "schimbul codului a eșuat",
	"after connecting ANAF", "după conectarea la ANAF",
	"previous owner=", "fostul proprietar=",
	"new owner=", "noul proprietar=",
	"requester=", "solicitant=",
	"invitee=", "invitat=",
	"member=", "membru=",
	"owner=", "proprietar=",
	"consent=on", "consimțământ=da",
	"consent=off", "consimțământ=nu",
	"role=owner", "rol=proprietar",
	"role=member", "rol=membru",
	"(was owner)", "(era proprietar)",
	"(was member)", "(era membru)",
	"until=", "până la=",
	"name=", "nume=",
	"auto_sync=true", "sincronizare automată=da",
	"auto_sync=false", "sincronizare automată=nu",
	"interval=", "interval (minute)=",
	"(cli)", "(linia de comandă)",
	"buyer message (RASP)", "mesaj al cumpărătorului (RASP)",
	"about invoice", "despre factura",
	"company:", "companie:",
	"scope=read", "drepturi=citire",
	"scope=write", "drepturi=scriere",
	"admin=true", "administrator=da",
	"admin=false", "administrator=nu",
	"state=", "stare=",
	"number=", "număr=",
	"issue_date=", "data emiterii=",
	"file=", "fișier=",
	"status=", "stare=",
	"api key:", "cheia API:",
)
