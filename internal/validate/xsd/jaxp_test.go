package xsd

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// knownJAXP are the cases where Check knowingly differs from JAXP, and why
// (none at present: XML 1.1 and the signature schemas were the last).
var knownJAXP = map[string]string{}

// TestJAXPCases replays testdata/jaxp/cases.tsv: edits of a valid invoice
// with JAXP's verdict on each (see testdata/jaxp/README.md).
func TestJAXPCases(t *testing.T) {
	t.Parallel()
	template, err := os.ReadFile(filepath.Join("testdata", "jaxp", "template.xml"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("testdata", "jaxp", "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, agree := 0, 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "case\t") {
			continue
		}
		cols := strings.SplitN(line, "\t", 5)
		if len(cols) < 4 {
			t.Fatalf("short row %q", line)
		}
		doc := template
		for _, edit := range strings.Split(cols[2], ",") {
			oldB64, newB64, _ := strings.Cut(edit, " ")
			oldS, err1 := base64.StdEncoding.DecodeString(oldB64)
			newS, err2 := base64.StdEncoding.DecodeString(newB64)
			if err1 != nil || err2 != nil || !bytes.Contains(doc, oldS) {
				t.Fatalf("%s: bad edit %q", cols[0], edit)
			}
			doc = bytes.Replace(doc, oldS, newS, 1)
		}
		want := cols[3]
		if want == "valid" {
			want = ""
		}
		issues, _ := Check(doc)
		got := outcome(issues)
		n++
		if got == want {
			agree++
			// Lines compare except for the root cases: JAXP accepts any
			// global element as the root (cac:Party, then fails inside it),
			// Check refuses anything but Invoice and CreditNote at the root.
			if want == IDSchema && len(cols) > 4 && cols[1] != "root" {
				line, _, _ := strings.Cut(cols[4], ":")
				if l, err := strconv.Atoi(line); err == nil && l != issues[0].Line {
					t.Errorf("%s: JAXP reports line %d, Check %d", cols[0], l, issues[0].Line)
				}
			}
			if why, ok := knownJAXP[cols[0]]; ok {
				t.Errorf("%s now agrees with JAXP (%s): drop it from knownJAXP", cols[0], why)
			}
			continue
		}
		if why, ok := knownJAXP[cols[0]]; ok {
			t.Logf("known difference %s (%s): JAXP %q, Check %q", cols[0], why, cols[3], got)
			continue
		}
		msg := ""
		if len(issues) > 0 {
			msg = issues[0].Message
		}
		jaxp := ""
		if len(cols) > 4 {
			jaxp = cols[4]
		}
		t.Errorf("%s (%s): JAXP %s (%s), Check %q (%s)", cols[0], cols[1], cols[3], jaxp, got, msg)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("agreement with JAXP: %d/%d cases", agree, n)
}
