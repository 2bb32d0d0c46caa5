package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
)

// OpenAPIJSON is the OpenAPI 3.1 document of REST API v1, written by hand
// and kept true by tests (every route of the table is in it, real answers
// match its schemas). Served at GET /api/v1/openapi.json.
//
//go:embed openapi/openapi.json
var OpenAPIJSON []byte

// serveOpenAPI serves GET /api/v1/openapi.json.
func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(OpenAPIJSON)
}

// ---- the docs page

// oaDoc is the part of the OpenAPI document the docs page shows.
type oaDoc struct {
	Info struct {
		Title, Version, Description string
	}
	Paths      map[string]map[string]oaOp
	Components struct {
		Parameters map[string]oaParam
		Responses  map[string]oaResp
		Schemas    map[string]json.RawMessage
	}
}

type oaOp struct {
	OperationID string `json:"operationId"`
	Summary     string
	Description string
	Parameters  []oaParam
	Responses   map[string]oaResp
	Security    []map[string][]string
}

type oaParam struct {
	Ref         string `json:"$ref"`
	Name, In    string
	Required    bool
	Description string
	Schema      json.RawMessage
}

type oaResp struct {
	Ref         string `json:"$ref"`
	Description string
	Content     map[string]struct {
		Schema json.RawMessage
	}
}

// docsView is the data of the docs page.
type docsView struct {
	Title, Version, Description string
	Operations                  []docsOp
	Schemas                     []docsSchema
}

type docsOp struct {
	Method, Path, ID, Summary, Description string
	NeedsKey                               bool
	Params                                 []oaParam
	Responses                              []docsResp
}

type docsResp struct {
	Code, Description, Types, Schema string
}

type docsSchema struct{ Name, JSON string }

// inlineCode renders a description of the OpenAPI document (CommonMark,
// of which the document only uses inline code) as HTML: the text escaped,
// each `span` in backticks a <code> element.
func inlineCode(s string) template.HTML {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unpaired backtick: show the text as written
		return template.HTML(template.HTMLEscapeString(s)) //nolint:gosec // escaped
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
		} else {
			b.WriteString(template.HTMLEscapeString(p))
		}
	}
	return template.HTML(b.String()) //nolint:gosec // every part is escaped
}

// The docs page uses the web app's stylesheet (/static/app.css, served by
// the same process) and its header, plus a few rules of its own
// (/api/docs.css). English only: the API's field names and messages are.
var docsTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{"md": inlineCode}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · eFactura Gateway</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css">
<link rel="stylesheet" href="/api/docs.css">
</head>
<body class="api-docs">
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
  <div class="bar">
    <a class="brand" href="/">eFactura Gateway</a>
    <nav class="main-nav" aria-label="API documentation">
      <a href="/">← Back to the app</a>
      <a href="#endpoints">Endpoints</a>
      <a href="#schemas">Schemas</a>
      <a href="/api/v1/openapi.json">OpenAPI JSON</a>
    </nav>
  </div>
</header>
<main id="main">
<section class="card">
<h1>{{.Title}} <small class="muted">v{{.Version}}</small></h1>
<p>{{md .Description}}</p>
<p>Machine-readable description: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1), for code generators and API clients.</p>
</section>
<nav class="card" id="endpoints" aria-labelledby="endpoints-heading"><h2 id="endpoints-heading">Endpoints</h2><ul class="endpoints">
{{range .Operations}}<li><a href="#{{.ID}}"><code class="m">{{.Method}}</code> <code>{{.Path}}</code></a> — {{md .Summary}}</li>
{{end}}</ul></nav>
{{range .Operations}}<section id="{{.ID}}" class="card op">
<h2><code class="m">{{.Method}}</code> <code>{{.Path}}</code></h2>
<p class="summary">{{md .Summary}}</p>
{{if .Description}}<p>{{md .Description}}</p>{{end}}
<p class="auth">{{if .NeedsKey}}Needs an API key: <code>X-API-KEY: &lt;key&gt;</code> or <code>Authorization: Bearer &lt;key&gt;</code>.{{else}}No key needed.{{end}}</p>
{{if .Params}}<h3>Parameters</h3>
<div class="table-wrap"><table class="stack"><thead><tr><th>Name</th><th>In</th><th>Required</th><th>Schema</th><th>Description</th></tr></thead><tbody>
{{range .Params}}<tr><td data-label="Name"><code>{{.Name}}</code></td><td data-label="In">{{.In}}</td><td data-label="Required">{{if .Required}}yes{{else}}no{{end}}</td><td data-label="Schema"><code>{{printf "%s" .Schema}}</code></td><td data-label="Description">{{md .Description}}</td></tr>
{{end}}</tbody></table></div>{{end}}
<h3>Responses</h3>
<div class="table-wrap"><table class="stack"><thead><tr><th>Status</th><th>Description</th><th>Content</th><th>Schema</th></tr></thead><tbody>
{{range .Responses}}<tr><td data-label="Status">{{.Code}}</td><td data-label="Description">{{md .Description}}</td><td data-label="Content">{{.Types}}</td><td data-label="Schema">{{if .Schema}}<a href="#schema-{{.Schema}}">{{.Schema}}</a>{{end}}</td></tr>
{{end}}</tbody></table></div>
</section>
{{end}}
<section id="schemas" class="card"><h2>Schemas</h2>
{{range .Schemas}}<h3 id="schema-{{.Name}}">{{.Name}}</h3>
<pre>{{md .JSON}}</pre>
{{end}}</section>
</main>
<footer class="site-footer"><a href="/">eFactura Gateway</a> · <a href="/api/v1/openapi.json">OpenAPI JSON</a></footer>
</body>
</html>
`))

// docsCSS adds to app.css what only the docs page needs (served from the
// API, no CDN; the CSP forbids inline styles). Code blocks scroll inside
// their box; long paths and schemas wrap, so the page fits a phone.
const docsCSS = `.api-docs code,.api-docs pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
.api-docs code{background:#eef2f6;padding:0 .25rem;border-radius:3px;overflow-wrap:anywhere}
.api-docs pre{background:#f4f6f8;border:1px solid var(--line,#dde3ea);padding:.75rem;overflow:auto;max-width:100%;border-radius:4px;max-height:30rem}
.api-docs pre code{background:none;padding:0}
.api-docs .m{font-weight:700;color:#0b5fad;background:none;padding:0}
.api-docs h2 code,.api-docs h2 .m{font-size:1rem}
.api-docs .endpoints{padding-left:1.2rem;margin:0}.api-docs .endpoints li{margin-bottom:.3rem;overflow-wrap:anywhere}
.api-docs .summary{font-weight:600}
.api-docs .op td{overflow-wrap:anywhere}
.api-docs .site-footer a{color:inherit}
`

// serveDocsCSS serves GET /api/docs.css.
func serveDocsCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(docsCSS))
}

// docsPage is the docs page, rendered once from OpenAPIJSON.
var docsPage = func() []byte {
	b, err := renderDocs(OpenAPIJSON)
	if err != nil {
		panic(err) // the embedded document is checked by tests; a broken one must not ship
	}
	return b
}()

// serveDocs serves GET /api/docs: the OpenAPI document as a readable page.
func serveDocs(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(docsPage)
}

// renderDocs renders the docs page of an OpenAPI document.
func renderDocs(spec []byte) ([]byte, error) {
	var d oaDoc
	if err := json.Unmarshal(spec, &d); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	v := docsView{Title: d.Info.Title, Version: d.Info.Version, Description: d.Info.Description}
	paths := make([]string, 0, len(d.Paths))
	for p := range d.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	refName := func(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }
	for _, p := range paths {
		for _, m := range []string{"get", "post", "put", "patch", "delete"} {
			op, ok := d.Paths[p][m]
			if !ok {
				continue
			}
			o := docsOp{Method: strings.ToUpper(m), Path: p, ID: op.OperationID, Summary: op.Summary,
				Description: op.Description, NeedsKey: len(op.Security) > 0}
			for _, prm := range op.Parameters {
				if prm.Ref != "" {
					prm = d.Components.Parameters[refName(prm.Ref)]
				}
				o.Params = append(o.Params, prm)
			}
			codes := make([]string, 0, len(op.Responses))
			for c := range op.Responses {
				codes = append(codes, c)
			}
			slices.Sort(codes)
			for _, c := range codes {
				r := op.Responses[c]
				if r.Ref != "" {
					r = d.Components.Responses[refName(r.Ref)]
				}
				dr := docsResp{Code: c, Description: r.Description}
				var types []string
				for ct, body := range r.Content {
					types = append(types, ct)
					var s struct {
						Ref string `json:"$ref"`
					}
					if json.Unmarshal(body.Schema, &s) == nil && s.Ref != "" {
						dr.Schema = refName(s.Ref)
					}
				}
				slices.Sort(types)
				dr.Types = strings.Join(types, ", ")
				o.Responses = append(o.Responses, dr)
			}
			v.Operations = append(v.Operations, o)
		}
	}
	names := make([]string, 0, len(d.Components.Schemas))
	for n := range d.Components.Schemas {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		var buf bytes.Buffer
		if err := json.Indent(&buf, d.Components.Schemas[n], "", "  "); err != nil {
			return nil, fmt.Errorf("openapi: schema %s: %w", n, err)
		}
		v.Schemas = append(v.Schemas, docsSchema{Name: n, JSON: buf.String()})
	}
	var out bytes.Buffer
	if err := docsTemplate.Execute(&out, v); err != nil {
		return nil, fmt.Errorf("openapi: docs page: %w", err)
	}
	return out.Bytes(), nil
}
