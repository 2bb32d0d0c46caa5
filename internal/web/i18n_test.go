package web

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCatalogsHaveTheSameKeys: every message has a text in every language
// (the message struct makes a missing one a compile error; an empty one
// fails here), with the same fmt verbs in the same order.
func TestCatalogsHaveTheSameKeys(t *testing.T) {
	t.Parallel()
	verbs := regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)
	for k, m := range messages {
		for _, l := range languages {
			require.NotEmpty(t, m.in(l), "%q has no %s text", k, l)
		}
		require.Equal(t, verbs.FindAllString(m.ro, -1), verbs.FindAllString(m.en, -1), "%q: the fmt verbs differ between ro and en", k)
	}
	require.Equal(t, []string{"ro", "en"}, languages, "message holds ro and en: a new language needs a field there")
}

// TestUsedKeysExist: every key a template ({{t "key"}}) or the Go code
// (a.t(r, "key"), translate(lang, "key")) names literally is a message.
func TestUsedKeysExist(t *testing.T) {
	t.Parallel()
	used := map[string]string{} // key → where
	tmplKey := regexp.MustCompile(`\bt "([^"]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		if err != nil {
			return err
		}
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = path
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, used, "no template keys found: the pattern is stale")
	goKey := regexp.MustCompile(`\b(?:a\.t\(r, |translate\(\w+, )"([^"]+)"[,)]`) // not "prefix."+code
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		b, err := os.ReadFile(e.Name())
		require.NoError(t, err)
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = e.Name()
		}
	}
	for k, where := range used {
		_, ok := messages[k]
		require.True(t, ok, "%s uses %q, which is not a message", where, k)
	}
}
