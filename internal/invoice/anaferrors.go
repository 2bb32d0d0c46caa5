package invoice

import "strings"

// ANAFErrors is the error list ANAF puts in the ZIP of an "ERORI FACTURA"
// message (API.md §5): root header in the namespace
// mfp:anaf:dgti:efactura:mesajEroriFactuta:v1.
type ANAFErrors struct {
	UploadID   string   // header@Index_incarcare, the upload index (digits)
	CIFEmitent string   // header@Cif_emitent, the uploader's CIF
	Messages   []string // each Error@errorMessage, as written (may hold newlines)
}

// ParseANAFErrors reads an ANAF validation error message. It applies the
// same XML limits as Parse; every failure, including a different root
// element, is a *ParseError.
func ParseANAFErrors(data []byte) (*ANAFErrors, error) {
	root, err := parseXML(data, decodeOptions{})
	if err != nil {
		return nil, err
	}
	if root.space != nsANAFErrors || root.local != "header" {
		return nil, parseErrorf("root %s is not an ANAF error message (header in %s)", root.name(), nsANAFErrors)
	}
	out := &ANAFErrors{
		UploadID:   strings.TrimSpace(attrFold(root, "Index_incarcare")),
		CIFEmitent: strings.TrimSpace(attrFold(root, "Cif_emitent")),
		Messages:   []string{},
	}
	for k := root.first; k != nil; k = k.next {
		if k.space == nsANAFErrors && strings.EqualFold(k.local, "Error") {
			out.Messages = append(out.Messages, attrFold(k, "errorMessage"))
		}
	}
	return out, nil
}

// attrFold returns the un-namespaced attribute whose name equals local
// case-insensitively (ANAF capitalises inconsistently).
func attrFold(n *node, local string) string {
	for _, a := range n.attrs {
		if a.Name.Space == "" && strings.EqualFold(a.Name.Local, local) {
			return a.Value
		}
	}
	return ""
}
