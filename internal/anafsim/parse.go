package anafsim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

// docInfo is what the simulator needs from an uploaded or loaded document.
type docInfo struct {
	Root      string // local name of the root element: "Invoice" or "CreditNote"
	Number    string // BT-1
	IssueDate string // BT-2, YYYY-MM-DD
	SellerCIF string // invoice.PartyCIF of BG-4, "" when none
	BuyerCIF  string // invoice.PartyCIF of BG-7, "" when none
	RefIndex  string // RASP: index_incarcare of the invoice the message is about
	Message   string // RASP: the message text
}

// nsRASP is the namespace of a RASP upload body (API.md §3.1).
const nsRASP = "mfp:anaf:dgti:spv:reqMesaj:v1"

// parseRASP reads a RASP body `<header xmlns="mfp:anaf:dgti:spv:reqMesaj:v1"
// index_incarcare="…" message="…"/>`. Errors: another root or namespace, a
// missing or non-numeric index_incarcare, an empty message.
func parseRASP(data []byte) (*docInfo, error) {
	var h struct {
		XMLName xml.Name
		Index   string `xml:"index_incarcare,attr"`
		Message string `xml:"message,attr"`
	}
	if err := xml.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("parse RASP: %w", err)
	}
	switch {
	case h.XMLName.Local != "header" || h.XMLName.Space != nsRASP:
		return nil, fmt.Errorf("cvc-elt.1.a: Cannot find the declaration of element '%s'.", h.XMLName.Local) //nolint:staticcheck // ANAF's own text, verbatim
	case !isDigits(h.Index):
		return nil, fmt.Errorf("cvc-complex-type.4: Attribute 'index_incarcare' must appear on element 'header'.") //nolint:staticcheck // ANAF's own text, verbatim
	case h.Message == "":
		return nil, fmt.Errorf("cvc-complex-type.4: Attribute 'message' must appear on element 'header'.") //nolint:staticcheck // ANAF's own text, verbatim
	}
	return &docInfo{Root: "header", RefIndex: h.Index, Message: h.Message}, nil
}

// parseDoc parses a UBL Invoice/CreditNote with internal/invoice.
func parseDoc(data []byte) (*docInfo, error) {
	inv, err := invoice.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse UBL: %w", err)
	}
	return &docInfo{
		Root:      string(inv.DocumentType),
		Number:    inv.Number,
		IssueDate: inv.IssueDate,
		SellerCIF: invoice.PartyCIF(inv.Seller),
		BuyerCIF:  invoice.PartyCIF(inv.Buyer),
	}, nil
}

// saxError returns ANAF's synchronous upload refusal text for a document
// that is not well-formed or whose root is not the one the standard wants
// (wantRoot "Invoice" for UBL, "CreditNote" for CN), or "" when it is fine.
// ANAF's text comes from Xerces; the simulator reproduces its shape:
// "Fisierul transmis nu este valid. org.xml.sax.SAXParseException; lineNumber: L; columnNumber: C; <msg> ".
func saxError(data []byte, wantRoot string) string {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, col := 1, 1
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line = se.Line
			}
			if root == "" && line == 1 {
				return sax(line, col, "Content is not allowed in prolog.")
			}
			return sax(line, col, "XML document structures must start and end within the same entity.")
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
			if root != wantRoot {
				line, col := dec.InputPos()
				return sax(line, col, fmt.Sprintf("cvc-elt.1.a: Cannot find the declaration of element '%s'.", root))
			}
		}
	}
	if root == "" {
		return sax(1, 1, "Premature end of file.")
	}
	return ""
}

func sax(line, col int, msg string) string {
	return fmt.Sprintf("Fisierul transmis nu este valid. org.xml.sax.SAXParseException; lineNumber: %d; columnNumber: %d; %s ", line, col, msg)
}
