package xsd

import "testing"

// TestPlain: the documents the tree path may judge, and those it leaves to
// Check (each declined by the fast reader, or read differently by a tree).
func TestPlain(t *testing.T) {
	for doc, want := range map[string]bool{
		minimal: true,
		`<?xml version="1.0" encoding="UTF-8"?>` + "\r\n<a/>": true,
		"<?xml version='1.0'?>\n<!-- c --><a/>":               true,
		"\xef\xbb\xbf" + minimal:                              true,
		"<!-- a comment --><a/>":                              true,
		"<a>&amp;&lt;</a>":                                    true,
		"<a>x&#65;</a>":                                       false, // character reference
		"<a><![CDATA[x]]></a>":                                false,
		"<a>]]></a>":                                          false,
		"<!DOCTYPE a><a/>":                                    false,
		"<a><?pi x?></a>":                                     false,
		"<?pi x?><a/>":                                        false,
		`<?xml version="1.1"?><a/>`:                           false,
		`<?xml version="1.0" encoding="ISO-8859-2"?><a/>`:     false,
		`<?xml version="1.0"?><?xml version="1.0"?><a/>`:      false,
		"<!-- a -- b --><a/>":                                 false,
		"<!-- a ---><a/>":                                     false,
		"<a>\x01</a>":                                         false,
		"<a>\xff</a>":                                         false,
		"<a>\uFFFE</a>":                                       false,
		"<a>\t\r\n\u0103\u021b</a>":                           true,
		"<a>0123456789abcdef\x0b0123456789abcdef</a>":         false,
		"<a b='1'>0123456789abcdef0123456789abcdef\n</a>\n":   true,
	} {
		if got := Plain([]byte(doc)); got != want {
			t.Errorf("Plain(%q) = %v, want %v", doc, got, want)
		}
	}
}

// TestPlainName: the names the fast reader reads.
func TestPlainName(t *testing.T) {
	for n, want := range map[string]bool{
		"a": true, "cbc:ID": true, "_x.y-z1": true, "xmlns:cac": true,
		"": false, ":a": false, "a:": false, "a:b:c": false, "1a": false, "a:1b": false, "é": false, "a?": false, "!a": false,
	} {
		if got := PlainName(n); got != want {
			t.Errorf("PlainName(%q) = %v, want %v", n, got, want)
		}
	}
}
