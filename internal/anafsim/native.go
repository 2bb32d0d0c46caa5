package anafsim

import (
	"strings"

	"github.com/efactura-gateway/efactura/internal/validate"
)

// NativeRejections is an Options.RejectAll that judges an upload as ANAF
// would, with the native validator (CIUS-RO profile): every fatal error it
// fires, in ANAF's error-file wording ("E: validari globale  SCHEMATRON
// eroare: [BR-RO-110]-<message>"; schema errors as "E: ... [XSD]-…"). The
// demo and `efactura anaf-sim` use it.
func NativeRejections(doc []byte) []string {
	r, err := validate.Validate(doc, validate.ProfileRO)
	if err != nil {
		return []string{"A aparut o eroare tehnica. Cod: 9999 (" + err.Error() + ")"}
	}
	var out []string
	for _, e := range r.Errors {
		if e.Flag != "" && e.Flag != "fatal" {
			continue
		}
		kind := "SCHEMATRON"
		if strings.HasPrefix(e.ID, "XSD") || strings.HasPrefix(e.ID, "XML") {
			kind = "SCHEMA"
		}
		out = append(out, "E: validari globale  "+kind+"   eroare: ["+e.ID+"]-"+e.Message)
	}
	return out
}
