package web

import "testing"

// TestViewsParseEveryPage: pages are parsed on first use (views.page), so
// a template error would otherwise surface only when that page is shown;
// here every page parses in every language, and an unknown page or
// language is not found.
func TestViewsParseEveryPage(t *testing.T) {
	t.Parallel()
	v, err := parseViews()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.names) < 10 {
		t.Fatalf("only %d pages found", len(v.names))
	}
	for _, lang := range languages {
		for name := range v.names {
			p, ok, err := v.page(lang, name)
			if err != nil || !ok || p == nil {
				t.Fatalf("page %s (%s): ok=%v err=%v", name, lang, ok, err)
			}
			if p.Lookup("content") == nil {
				t.Errorf("page %s (%s) defines no content", name, lang)
			}
			if again, _, _ := v.page(lang, name); again != p {
				t.Errorf("page %s (%s) parsed twice", name, lang)
			}
		}
	}
	if _, ok, _ := v.page("ro", "no-such-page"); ok {
		t.Error("an unknown page was found")
	}
	if _, ok, _ := v.page("xx", "error"); ok {
		t.Error("an unknown language was found")
	}
}
