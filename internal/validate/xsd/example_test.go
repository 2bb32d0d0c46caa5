package xsd_test

import (
	"fmt"

	"github.com/efactura-gateway/efactura/internal/validate/xsd"
)

func ExampleCheck() {
	doc := []byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:IssueDate>2026-01-15</cbc:IssueDate>
  <cbc:ID>INV-1</cbc:ID>
</Invoice>`)
	issues, err := xsd.Check(doc)
	fmt.Println(err)
	for _, is := range issues {
		fmt.Printf("%s line %d %s: %s\n", is.ID, is.Line, is.Location, is.Message)
	}
	// Output:
	// <nil>
	// XSD line 3 /Invoice[1]/cbc:IssueDate[1]: element cbc:IssueDate is not expected here; expected one of ext:UBLExtensions, cbc:UBLVersionID, cbc:CustomizationID, cbc:ProfileID, cbc:ProfileExecutionID, cbc:ID
}
