package api

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
)

// schemaChecker validates JSON values against the JSON Schema subset
// openapi.json uses: $ref (to #/components/schemas), type (one or a list,
// "null" included), properties, required, additionalProperties (bool or a
// schema), unevaluatedProperties: false (seeing through allOf and $ref),
// allOf, items, enum, pattern, minimum, maximum, maxLength and the formats
// date and date-time. A keyword it does not know fails the check, so the
// document cannot silently outgrow the checker.
type schemaChecker struct {
	schemas map[string]map[string]any
}

// known are the keywords the checker understands (or that carry no constraint).
var known = map[string]bool{
	"$ref": true, "type": true, "properties": true, "required": true, "additionalProperties": true,
	"unevaluatedProperties": true, "allOf": true, "items": true, "enum": true, "pattern": true,
	"minimum": true, "maximum": true, "maxLength": true, "format": true, "description": true,
	"default": true, "contentEncoding": true, "const": true,
}

func newSchemaChecker(spec []byte) (*schemaChecker, error) {
	var doc struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, err
	}
	return &schemaChecker{schemas: doc.Components.Schemas}, nil
}

// check validates a decoded JSON value (json.Unmarshal into any, UseNumber).
func (c *schemaChecker) check(schema map[string]any, v any, path string) error {
	_, err := c.eval(schema, v, path)
	return err
}

// eval validates v and returns the object property names the schema
// evaluated (for unevaluatedProperties).
func (c *schemaChecker) eval(s map[string]any, v any, path string) (map[string]bool, error) {
	evaluated := map[string]bool{}
	for k := range s {
		if !known[k] {
			return nil, fmt.Errorf("%s: schema keyword %q not supported by the checker", path, k)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		target, ok := c.schemas[name]
		if !ok {
			return nil, fmt.Errorf("%s: unknown $ref %s", path, ref)
		}
		ev, err := c.eval(target, v, path)
		if err != nil {
			return nil, err
		}
		for k := range ev {
			evaluated[k] = true
		}
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			ev, err := c.eval(sub.(map[string]any), v, path)
			if err != nil {
				return nil, err
			}
			for k := range ev {
				evaluated[k] = true
			}
		}
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, x.(string))
			}
		}
		if !slices.Contains(types, jsonType(v)) && (jsonType(v) != "integer" || !slices.Contains(types, "number")) {
			return nil, fmt.Errorf("%s: %s, want %v", path, jsonType(v), types)
		}
	}
	if v == nil {
		return evaluated, nil
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		return nil, fmt.Errorf("%s: %v not in %v", path, v, enum)
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		return nil, fmt.Errorf("%s: %v is not %v", path, v, c)
	}
	switch v := v.(type) {
	case string:
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
			return nil, fmt.Errorf("%s: %q does not match %s", path, v, p)
		}
		if m, ok := s["maxLength"].(float64); ok && float64(len([]rune(v))) > m {
			return nil, fmt.Errorf("%s: longer than %v", path, m)
		}
		switch s["format"] {
		case "date":
			if _, err := time.Parse("2006-01-02", v); err != nil {
				return nil, fmt.Errorf("%s: %q is not a date", path, v)
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				return nil, fmt.Errorf("%s: %q is not a date-time", path, v)
			}
		}
	case json.Number:
		f, _ := v.Float64()
		if m, ok := s["minimum"].(float64); ok && f < m {
			return nil, fmt.Errorf("%s: %v below %v", path, f, m)
		}
		if m, ok := s["maximum"].(float64); ok && f > m {
			return nil, fmt.Errorf("%s: %v above %v", path, f, m)
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, x := range v {
				if err := c.check(items, x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return nil, err
				}
			}
		}
	case map[string]any:
		for _, r := range asList(s["required"]) {
			if _, ok := v[r]; !ok {
				return nil, fmt.Errorf("%s: required property %q missing", path, r)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, x := range v {
			if ps, ok := props[k]; ok {
				evaluated[k] = true
				if err := c.check(ps.(map[string]any), x, path+"."+k); err != nil {
					return nil, err
				}
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					return nil, fmt.Errorf("%s: property %q not in the schema", path, k)
				}
				evaluated[k] = true
			case map[string]any:
				evaluated[k] = true
				if err := c.check(ap, x, path+"."+k); err != nil {
					return nil, err
				}
			}
		}
		if u, ok := s["unevaluatedProperties"].(bool); ok && !u {
			for k := range v {
				if !evaluated[k] {
					return nil, fmt.Errorf("%s: property %q not in the schema", path, k)
				}
			}
		}
	}
	return evaluated, nil
}

func asList(v any) []string {
	var out []string
	for _, x := range asAny(v) {
		out = append(out, x.(string))
	}
	return out
}

func asAny(v any) []any { l, _ := v.([]any); return l }

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if f, err := v.Float64(); err == nil && f == math.Trunc(f) && !strings.ContainsAny(v.String(), ".eE") {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
