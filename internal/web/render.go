package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/locale"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// layoutFile holds the page frame; every other template file is a page
// defining "title" and "content".
const layoutFile = "layout.html"

// views holds each page's template, per language (the t func is bound to
// the language at parse time, so templates call {{t "key"}}). A page is
// parsed the first time it is shown in a language, not at start: all of
// them, in both languages, held about 9 MiB of the process's heap for
// pages most processes never show (the API-only and sync-only
// deployments); TestViewsParseEveryPage parses them all.
type views struct {
	names map[string]bool               // the page names (files of templates/)
	base  map[string]*template.Template // lang → the layout and shared parts, parsed at start

	mu    sync.RWMutex
	pages map[string]map[string]*template.Template // lang → page name → template
}

// staticVersions maps a static file name to a short hash of its content,
// appended as ?v= so the files can be cached for a year.
var staticVersions = mustHashStatic()

func mustHashStatic() map[string]string {
	out := map[string]string{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	return out
}

// parseViews parses the layout and the shared parts for every language
// and lists the pages; views.page parses a page when first asked for.
func parseViews() (*views, error) {
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		return nil, fmt.Errorf("web: read templates: %w", err)
	}
	v := &views{names: map[string]bool{}, base: map[string]*template.Template{}, pages: map[string]map[string]*template.Template{}}
	for _, e := range entries {
		if e.IsDir() || e.Name() == layoutFile || strings.HasPrefix(e.Name(), "_") || !strings.HasSuffix(e.Name(), ".html") {
			continue
		}
		v.names[strings.TrimSuffix(e.Name(), ".html")] = true
	}
	for _, lang := range languages {
		// The layout and the shared parts (templates/_*.html) are in every page.
		base, err := template.New(layoutFile).Funcs(templateFuncs(lang)).ParseFS(templateFS, "templates/"+layoutFile, "templates/_*.html")
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", layoutFile, err)
		}
		v.base[lang] = base
		v.pages[lang] = map[string]*template.Template{}
	}
	return v, nil
}

// page is the template of page name in lang, parsed on first use (a clone
// of the language's base with the page's file); ok is false for a page or
// language that does not exist.
func (v *views) page(lang, name string) (t *template.Template, ok bool, err error) {
	base, ok := v.base[lang]
	if !ok || !v.names[name] {
		return nil, false, nil
	}
	v.mu.RLock()
	t, ok = v.pages[lang][name]
	v.mu.RUnlock()
	if ok {
		return t, true, nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if t, ok := v.pages[lang][name]; ok {
		return t, true, nil
	}
	c, err := base.Clone()
	if err != nil {
		return nil, true, fmt.Errorf("web: clone %s: %w", layoutFile, err)
	}
	if t, err = c.ParseFS(templateFS, "templates/"+name+".html"); err != nil {
		return nil, true, fmt.Errorf("web: parse %s.html: %w", name, err)
	}
	v.pages[lang][name] = t
	return t, true, nil
}

// templateFuncs are the helpers available in templates for one language.
func templateFuncs(lang string) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) string { return translate(lang, key, args...) },
		// riskText explains a supplier risk flag (risk.go).
		"riskText": func(f gateway.RiskFlag) string { return riskText(lang, f) },
		// static returns the versioned URL of an embedded asset.
		"static": func(name string) string {
			return "/static/" + name + "?v=" + staticVersions[name]
		},
		// localtime shows a time (time.Time or *time.Time) in
		// Europe/Bucharest: "07.01.2026 14:05" (ro), "7 Jan 2026 14:05" (en).
		"localtime": func(v any) string {
			switch t := v.(type) {
			case time.Time:
				return formatDateTime(lang, t)
			case *time.Time:
				if t == nil {
					return ""
				}
				return formatDateTime(lang, *t)
			}
			return ""
		},
		"typeLabel":   func(messageType string) string { return typeLabel(lang, messageType) },
		"roleLabel":   func(role string) string { return translate(lang, "role."+role) },
		"statusLabel": func(status string) string { return translate(lang, "status."+status) },
		// money formats an amount with its currency: "1.234,56 lei" (ro).
		"money": func(amount any, currency string) string {
			switch v := amount.(type) {
			case string:
				return formatMoney(lang, v, currency)
			case decimal.Decimal:
				return formatMoney(lang, v.String(), currency)
			}
			return fmt.Sprint(amount)
		},
		// date shows a day in Europe/Bucharest: dd.mm.yyyy (ro), 7 Jan 2026 (en).
		"date": func(t time.Time) string { return formatDate(lang, t) },
		// syncError says in the page's language what a sync run's error
		// means and what to do; never the error chain (in the log).
		"syncError": func(msg string) string {
			if code := gateway.SyncErrorCode(msg); code != "" {
				return translate(lang, "sync.err."+code)
			}
			return ""
		},
		// syncStatus is the status a run is shown with (gateway.SyncShownStatus).
		"syncStatus": gateway.SyncShownStatus,
		// datetime shows a time in Europe/Bucharest: dd.mm.yyyy HH:MM (ro).
		"datetime": func(t time.Time) string { return formatDateTime(lang, t) },
		// day shows a YYYY-MM-DD day: dd.mm.yyyy (ro), 7 Jan 2026 (en).
		"day": func(d string) string { return formatDay(lang, d) },
		// clip cuts a text to n characters, with an ellipsis.
		"clip": func(s string, n int) string {
			if r := []rune(s); len(r) > n {
				return string(r[:n-1]) + "…"
			}
			return s
		},
		// uploadState is an upload state's label.
		"uploadState": func(s gateway.UploadState) string { return translate(lang, "upload.state."+string(s)) },
		// num formats an integer with thousands separators.
		"num": func(n int) string { return formatInt(lang, n) },
	}
}

// typeLabel names an ANAF message type in lang.
func typeLabel(lang, messageType string) string {
	switch messageType {
	case gateway.TypeReceived:
		return translate(lang, "type.received")
	case gateway.TypeSent:
		return translate(lang, "type.sent")
	case gateway.TypeErrors:
		return translate(lang, "type.errors")
	}
	return messageType
}

// formatDate shows the day of t in Europe/Bucharest: "07.01.2026" on
// Romanian pages, "7 Jan 2026" on English ones.
func formatDate(lang string, t time.Time) string { return locale.Date(lang, t) }

// flash is a one-time message shown on the next page.
type flash struct {
	Kind string // "ok" | "error"
	Text string
}

// langLink is one entry of the language switch.
type langLink struct {
	Code    string
	URL     string
	Current bool
}

// pageData is what every template receives: the frame's data, and the
// page's own struct in Page.
type pageData struct {
	Lang      string
	User      *gateway.User
	Flash     *flash
	LangLinks []langLink
	Nav       string // active section: invoices | companies | anaf | admin | account
	Page      any
	// Impersonator is the admin acting as User, or nil; the layout then
	// shows a banner with a stop button.
	Impersonator *gateway.User
	// Refresh, when > 0, makes the page reload itself after that many
	// seconds without JavaScript (a <noscript> meta refresh): the fallback
	// of live progress.
	Refresh int
}

// refresher is a page that wants the no-JavaScript refresh fallback.
type refresher interface{ RefreshSeconds() int }

// render writes a page with the status code. Rendering happens into a
// buffer so a template error becomes a clean 500.
func (a *app) render(w http.ResponseWriter, r *http.Request, status int, name, nav string, page any) {
	rc := reqCtx(r)
	t, ok, err := a.views.page(rc.lang, name)
	if err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("web: no template %q", name)
		}
		a.serverError(w, r, err)
		return
	}
	data := pageData{
		Lang:      rc.lang,
		User:      rc.user,
		Flash:     a.popFlash(r),
		LangLinks: langLinks(r.URL, rc.lang),
		Nav:       nav,
		Page:      page,

		Impersonator: rc.impersonator,
	}
	if p, ok := page.(refresher); ok {
		data.Refresh = p.RefreshSeconds()
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, layoutFile, data); err != nil {
		a.serverError(w, r, fmt.Errorf("web: render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// langLinks builds the language switch: the current URL with lang=xx.
func langLinks(u *url.URL, current string) []langLink {
	links := make([]langLink, 0, len(languages))
	for _, l := range languages {
		q := u.Query()
		q.Set("lang", l)
		links = append(links, langLink{Code: l, URL: u.Path + "?" + q.Encode(), Current: l == current})
	}
	return links
}

// setFlash keeps a message for the next rendered page.
func (a *app) setFlash(r *http.Request, kind, text string) {
	a.Sessions.Put(r.Context(), sessFlash, text)
	a.Sessions.Put(r.Context(), sessFlashKind, kind)
}

func (a *app) popFlash(r *http.Request) *flash {
	text := a.Sessions.PopString(r.Context(), sessFlash)
	kind := a.Sessions.PopString(r.Context(), sessFlashKind)
	if text == "" {
		return nil
	}
	return &flash{Kind: kind, Text: text}
}

// redirect answers 303 See Other, so a POST is followed by a GET.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// errorPage is the data of error.html.
type errorPage struct {
	Message string
}

func (a *app) notFound(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusNotFound, "error", "", errorPage{Message: a.t(r, "error.notfound")})
}

// serverError logs err once and shows a generic page.
func (a *app) serverError(w http.ResponseWriter, r *http.Request, err error) {
	a.Logger.ErrorContext(r.Context(), "web request failed", "method", r.Method, "path", r.URL.Path, "error", err.Error())
	msg := a.t(r, "error.internal")
	if t, ok, err := a.views.page(reqCtx(r).lang, "error"); ok && err == nil {
		var buf bytes.Buffer
		data := pageData{Lang: reqCtx(r).lang, User: reqCtx(r).user, Impersonator: reqCtx(r).impersonator, Page: errorPage{Message: msg}}
		if t.ExecuteTemplate(&buf, layoutFile, data) == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = buf.WriteTo(w)
			return
		}
	}
	http.Error(w, msg, http.StatusInternalServerError)
}

// t translates for the request's language.
func (a *app) t(r *http.Request, key string, args ...any) string {
	return translate(reqCtx(r).lang, key, args...)
}

// staticHandler serves the embedded assets. Versioned URLs (?v= matching
// the content hash) are cached for a year; others for an hour.
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean(strings.TrimPrefix(r.URL.Path, "/static/"))
		want, ok := staticVersions[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if v := r.URL.Query().Get("v"); v == want {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=3600")
		}
		files.ServeHTTP(w, r)
	})
}
