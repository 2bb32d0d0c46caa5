package xsd

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"sync/atomic"
	"testing"
)

var fastChecked atomic.Int64

// TestMain makes every test (and FuzzCheck) differential: each document the
// fast reader checks is checked again on encoding/xml's tokens, and the
// issues must be identical.
func TestMain(m *testing.M) {
	flag.Parse()
	if b := flag.Lookup("test.bench"); b != nil && b.Value.String() != "" {
		os.Exit(m.Run()) // benchmarks measure the fast path alone
	}
	fastHook = func(doc []byte, issues []Issue) {
		fastChecked.Add(1)
		std, err := checkStd(doc)
		if err != nil || !reflect.DeepEqual(issues, std) {
			panic(fmt.Sprintf("fast reader differs from encoding/xml on %q:\nfast %v\nstd  %v (%v)", doc, issues, std, err))
		}
	}
	code := m.Run()
	if testing.Verbose() {
		fmt.Printf("fast reader: %d documents checked against encoding/xml\n", fastChecked.Load())
	}
	os.Exit(code)
}

func TestFastReaderUsed(t *testing.T) {
	if _, ok := checkFast([]byte(minimal), minimal); !ok {
		t.Fatal("the fast reader declines the minimal invoice")
	}
	for _, doc := range []string{
		"<Invoice/>", "", "<?xml version='1.1'?><a/>", "<a>&foo;</a>", "<a b='1'c='2'/>", "<!DOCTYPE a><a/>",
		"<a><![CDATA[]]></a>", "<a>]]></a>", "<a>&#xD800;</a>", "<1a/>", "<a:b:c/>", "<?xml version=\"1.0\" encoding=\"ISO-8859-2\"?><a/>",
	} {
		fast, fok := checkFast([]byte(doc), doc)
		std, err := checkStd([]byte(doc))
		if fok && (err != nil || !reflect.DeepEqual(fast, std)) {
			t.Errorf("%q: fast %v, std %v %v", doc, fast, std, err)
		}
	}
}

func TestPlainChars(t *testing.T) {
	for s, want := range map[string]bool{"": true, "a\tb\r\n": true, "ăș€😀\uFFFD": true, "\x00": false, "\x1f": false,
		"\uFFFE": false, "\uFFFF": false, "\xff": false, "\xed\xa0\x80": false, "a\xc3": false, "\u0085\u2028": true} {
		if got := plainChars([]byte(s)); got != want {
			t.Errorf("%q: %t, want %t", s, got, want)
		}
	}
}
