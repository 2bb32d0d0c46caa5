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

var docsTemplate = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="/api/docs.css">
</head>
<body>
<header>
<h1>{{.Title}} <small>v{{.Version}}</small></h1>
<p>{{.Description}}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>
</header>
<nav><h2>Endpoints</h2><ul>
{{range .Operations}}<li><a href="#{{.ID}}"><code class="m">{{.Method}}</code> <code>{{.Path}}</code></a> — {{.Summary}}</li>
{{end}}</ul></nav>
<main>
{{range .Operations}}<section id="{{.ID}}" class="op">
<h2><code class="m">{{.Method}}</code> <code>{{.Path}}</code></h2>
<p class="summary">{{.Summary}}</p>
{{if .Description}}<p>{{.Description}}</p>{{end}}
<p class="auth">{{if .NeedsKey}}Needs an API key (X-API-KEY or Authorization: Bearer).{{else}}No key needed.{{end}}</p>
{{if .Params}}<h3>Parameters</h3>
<table><thead><tr><th>Name</th><th>In</th><th>Required</th><th>Schema</th><th>Description</th></tr></thead><tbody>
{{range .Params}}<tr><td><code>{{.Name}}</code></td><td>{{.In}}</td><td>{{if .Required}}yes{{else}}no{{end}}</td><td><code>{{printf "%s" .Schema}}</code></td><td>{{.Description}}</td></tr>
{{end}}</tbody></table>{{end}}
<h3>Responses</h3>
<table><thead><tr><th>Status</th><th>Description</th><th>Content</th><th>Schema</th></tr></thead><tbody>
{{range .Responses}}<tr><td>{{.Code}}</td><td>{{.Description}}</td><td>{{.Types}}</td><td>{{if .Schema}}<a href="#schema-{{.Schema}}">{{.Schema}}</a>{{end}}</td></tr>
{{end}}</tbody></table>
</section>
{{end}}
<section id="schemas"><h2>Schemas</h2>
{{range .Schemas}}<h3 id="schema-{{.Name}}">{{.Name}}</h3>
<pre>{{.JSON}}</pre>
{{end}}</section>
</main>
</body>
</html>
`))

// docsCSS styles the docs page (served from the API, no CDN; the CSP
// forbids inline styles).
const docsCSS = `body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:0 auto;padding:1rem;color:#1d2430}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f4f6f8;padding:.75rem;overflow:auto;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d5dbe1;padding:.3rem .5rem;text-align:left;vertical-align:top}
.op{border-top:2px solid #d5dbe1;margin-top:2rem}.m{font-weight:bold;color:#0b5cad}small{color:#667}`

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
