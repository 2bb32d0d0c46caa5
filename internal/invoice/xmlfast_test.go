package invoice

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// dumpTree writes a tree canonically: names, attributes and trimmed text.
func dumpTree(b *strings.Builder, n *node, depth int) {
	fmt.Fprintf(b, "%s{%s}%s", strings.Repeat(" ", depth), n.space, n.local)
	for _, a := range n.attrs {
		fmt.Fprintf(b, " {%s}%s=%q", a.Name.Space, a.Name.Local, a.Value)
	}
	if n.first == nil {
		// Text exactly, but for leading whitespace (dropped by both readers).
		fmt.Fprintf(b, " text=%q", bytes.TrimLeft(n.text, " \t\r\n"))
	} else if len(n.text) > 0 {
		fmt.Fprintf(b, " CONTAINER-TEXT=%q", n.text)
	}
	b.WriteByte('\n')
	for k := n.first; k != nil; k = k.next {
		dumpTree(b, k, depth+1)
	}
}

// checkPaths: when scanFast accepts data, encoding/xml (parseStd) accepts
// it too and builds the same tree; scanFast never accepts what parseStd
// refuses.
func checkPaths(t *testing.T, data []byte, opt decodeOptions) (fast bool) {
	t.Helper()
	froot, ok := scanFast(data, opt)
	sroot, serr := parseStd(data, opt)
	if !ok {
		return false
	}
	require.NoError(t, serr, "scanFast accepted what encoding/xml refuses: %q", data)
	var fb, sb strings.Builder
	dumpTree(&fb, froot, 0)
	dumpTree(&sb, sroot, 0)
	require.Equal(t, sb.String(), fb.String(), "trees differ for %q", data)
	return true
}

var fastSeeds = []string{
	`<a/>`,
	`<?xml version="1.0" encoding="UTF-8"?><a x="1" y='2'>t</a>`,
	`<?xml version="1.0" encoding="utf-8" standalone="yes"?>` + "\r\n<a>\r\n x\r y &amp; &lt;&gt;&apos;&quot; </a>",
	`<a><!-- c --> x <!-- d -->y</a>`,
	`<a><b>1</b> <c/> text <d>2</d></a>`,
	`<p:a xmlns:p="urn:p" xmlns="urn:d"><b p:x="&amp;" xml:lang="ro">v</b></p:a>`,
	`<a><![CDATA[x]]></a>`,
	`<a>&#65;</a>`,
	`<a>]]></a>`,
	`<!DOCTYPE a><a/>`,
	`<?xml version="1.1"?><a/>`,
	`<?xml version="1.0" encoding="ISO-8859-2"?><a>x</a>`,
	`<a><b></a></b>`,
	`<a/><b/>`,
	`<a>x</a>y`,
	`<u:a/>`,
	`<a x="1"y="2"/>`,
	`<a x=1/>`,
	`<a x="<"/>`,
	`<a><!-- a -- b --></a>`,
	`<a><!----></a>`,
	`<a>` + "\x01" + `</a>`,
	`<a>` + "\xef\xbf\xbe" + `</a>`,
	`<a>&bogus;</a>`,
	`<a>&amp</a>`,
	`<a:b:c/>`,
	`<:a/>`,
	`<a:/>`,
	`<1a/>`,
	`<a.b-c_d/>`,
	`<a  x = "1" ></a >`,
	`<a></a >`,
	`<a></ a>`,
	`<?pi x?><a/>`,
	"\xef\xbb\xbf<a>bom</a>",
	" <a/> ",
	``,
	"<a x=\"a\tb\nc\r\nd\rz &amp; '\">\t</a>",
	"<a b='\"&apos;'>x\r\n\r\ny</a>",
	"<a>x<b/>y</a>",
	"<a>ș ț Ș Ț ş ţ — €</a>",
	`<a x="]]>" y='a>b'/>`,
	`<a x="&amp;amp;">&amp;lt;</a>`,
	"<a\n\tx\n=\n'1'\n/>",
	`<a xmlns:p="urn:p"><p:b/><p:b></p:b></a>`,
	`<a xmlns:p="urn:p"><p:b></q:b></a>`,
	`<a><b xmlns="urn:x"><c/></b><c/></a>`,
}

func TestScanFastMatchesEncodingXML(t *testing.T) {
	t.Parallel()
	fast := 0
	for _, s := range fastSeeds {
		for _, opt := range []decodeOptions{{}, {rootOnly: true}} {
			if checkPaths(t, []byte(s), opt) {
				fast++
			}
		}
	}
	require.Greater(t, fast, 10)
	// These take the fast way, so the comparison above covered it.
	for _, s := range []string{fastSeeds[2], fastSeeds[5], "<a x=\"a\tb\nc\r\nd\rz &amp; '\">\t</a>",
		`<a x="]]>" y='a>b'/>`, "<a>ș ț Ș Ț ş ţ — €</a>", `<a><b xmlns="urn:x"><c/></b><c/></a>`} {
		_, ok := scanFast([]byte(s), decodeOptions{})
		require.True(t, ok, s)
	}
	// Every stored document: the generated and edge invoices go the fast
	// way (the ISO-8859-2 one cannot), the refused ones never do.
	var files []string
	for _, pattern := range []string{"../../testdata/invoices/*.xml", "testdata/*.xml", "../../../shared/corpus/ciusro/*.xml"} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		files = append(files, m...)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		ok := checkPaths(t, data, decodeOptions{})
		switch base := filepath.Base(f); {
		case strings.HasPrefix(base, "refused-") && base != "refused-wrong-root.xml": // well-formed, refused by Parse
			require.False(t, ok, f)
		case strings.HasPrefix(base, "gen-"), base == "edge-bom.xml", base == "edge-prefixed-ns.xml", base == "edge-creditnote.xml":
			require.True(t, ok, f)
		}
	}
}

// FuzzParseXMLPaths: go test -fuzz FuzzParseXMLPaths ./internal/invoice/
func FuzzParseXMLPaths(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	if data, err := os.ReadFile("../../testdata/invoices/edge-prefixed-ns.xml"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkPaths(t, data, decodeOptions{})
		checkPaths(t, data, decodeOptions{rootOnly: true})
	})
}
