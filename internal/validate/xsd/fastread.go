// The fast path: a hand-written tokenizer for the documents invoices are
// (UTF-8, ASCII names, the predefined entities), feeding the checker the
// very tokens encoding/xml's RawToken would, without its per-byte reader
// and per-token allocations. Anything it is not sure to read exactly as
// encoding/xml does, and any error at all, sends the whole document to the
// encoding/xml path, so messages and lines of broken documents are unchanged.

package xsd

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"math/bits"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// fastHook, when set (by the tests), sees every document the fast path
// checked, with its issues.
var fastHook func(doc []byte, issues []Issue)

// errFallback: the fast reader declines the document.
var errFallback = errors.New("xsd: fast reader declines")

type fastReader struct {
	data   []byte
	src    string // data as a string: names and values are substrings
	pos    int
	line   int // line at lineAt
	lineAt int
	buf    []byte // decoded text with references or CRs
	attrs  []xml.Attr
}

// inputLine is the line the encoding/xml decoder would report now.
func (c *checker) inputLine() int {
	if c.fast != nil {
		return c.fast.lineOf(c.fast.pos)
	}
	line, _ := c.dec.InputPos()
	return line
}

func (r *fastReader) lineOf(i int) int {
	if i > r.lineAt {
		r.line += bytes.Count(r.data[r.lineAt:i], []byte{'\n'})
		r.lineAt = i
	}
	return r.line
}

// checkFast runs the checker over doc with the fast reader; ok is false
// when the reader declined or the document is not well-formed (the caller
// then runs the encoding/xml path).
func checkFast(doc []byte, src string) (issues []Issue, ok bool) {
	if bytes.HasPrefix(doc, []byte{0xEF, 0xBB, 0xBF}) {
		doc, src = doc[3:], src[3:]
	}
	if len(src) != len(doc) || !plainChars(doc) || xml11.Match(doc) {
		return nil, false
	}
	c := &checker{doc: doc, fast: &fastReader{data: doc, src: src, line: 1}}
	if err := c.runFast(); err != nil {
		return nil, false
	}
	switch {
	case len(c.stack) > 0, !c.sawRoot:
		return nil, false
	case c.sawFFFD:
		if checkCharRefs(c.doc) != nil {
			return nil, false
		}
	}
	return c.issues, true
}

// plainChars: valid UTF-8 holding XML characters only (no C0 control but
// tab, LF, CR; no U+FFFE, U+FFFF), so no text needs the per-rune check.
// utf8.Valid checks the encoding (it is far faster than decoding rune by
// rune); the control characters are found eight bytes at a time, and
// U+FFFE/U+FFFF from their rare first byte.
func plainChars(doc []byte) bool {
	if !utf8.Valid(doc) {
		return false
	}
	// sixteen bytes a round; the high bit of each byte below 0x20 (exact:
	// the sum cannot carry into the next byte)
	const lo7, add, hi = 0x7F7F7F7F7F7F7F7F, 0x6060606060606060, 0x8080808080808080
	i := 0
	for ; i+16 <= len(doc); i += 16 {
		w1 := binary.LittleEndian.Uint64(doc[i : i+8])
		w2 := binary.LittleEndian.Uint64(doc[i+8 : i+16])
		m1 := ^(((w1 & lo7) + add) | w1) & hi
		m2 := ^(((w2 & lo7) + add) | w2) & hi
		if m1|m2 == 0 {
			continue
		}
		if !lineEnds(w1, m1) || !lineEnds(w2, m2) {
			return false
		}
	}
	b := doc[i:]
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	for i := 0; ; { // U+FFFE, U+FFFF: EF BF BE, EF BF BF
		j := bytes.IndexByte(doc[i:], 0xEF)
		if j < 0 {
			return true
		}
		i += j + 1
		if i+1 < len(doc) && doc[i] == 0xBF && (doc[i+1] == 0xBE || doc[i+1] == 0xBF) {
			return false
		}
	}
}

// lineEnds: the bytes of w that m marks are tabs, line feeds or carriage
// returns.
func lineEnds(w, m uint64) bool {
	for m != 0 {
		if c := byte(w >> (bits.TrailingZeros64(m) - 7)); c != '\t' && c != '\n' && c != '\r' {
			return false
		}
		m &= m - 1
	}
	return true
}

func isNameStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

func isNameChar(c byte) bool { return nameChars[c] }

// nameChars is isNameChar's table: ASCII letters, '_', digits, '.', '-'.
var nameChars = func() (t [256]bool) {
	for c := range 256 {
		b := byte(c)
		t[c] = isNameStart(b) || b >= '0' && b <= '9' || b == '.' || b == '-'
	}
	return t
}()

// name reads an ASCII QName (prefix:local or local) ended by white space,
// '>', '/', '=' or '?'.
func (r *fastReader) name() (xml.Name, error) {
	d := r.data
	start, colon := r.pos, -1
	if r.pos >= len(d) || !isNameStart(d[r.pos]) {
		return xml.Name{}, errFallback
	}
	r.pos++
	for r.pos < len(d) {
		c := d[r.pos]
		if nameChars[c] { // the usual case first, from the table
			r.pos++
			continue
		}
		switch {
		case isNameChar(c):
			r.pos++
			continue
		case c == ':' && colon < 0 && r.pos+1 < len(d) && isNameStart(d[r.pos+1]):
			colon = r.pos
			r.pos++
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '>' || c == '/' || c == '=' || c == '?':
		default:
			return xml.Name{}, errFallback
		}
		break
	}
	if colon < 0 {
		return xml.Name{Local: r.src[start:r.pos]}, nil
	}
	return xml.Name{Space: r.src[start:colon], Local: r.src[colon+1 : r.pos]}, nil
}

func (r *fastReader) space() bool {
	at := r.pos
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
			continue
		}
		break
	}
	return r.pos > at
}

// text decodes raw (text or an attribute value) as encoding/xml does: the
// five predefined entities, character references, CR LF and CR as LF.
func (r *fastReader) text(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return raw, nil
	}
	out := r.buf[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '\r':
			out = append(out, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			continue
		case '&':
		default:
			out = append(out, c)
			continue
		}
		j := bytes.IndexByte(raw[i:], ';')
		if j < 0 {
			return nil, errFallback
		}
		ref := raw[i+1 : i+j]
		i += j
		switch string(ref) {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "apos":
			out = append(out, '\'')
		case "quot":
			out = append(out, '"')
		default:
			ch, ok := charRef(ref)
			if !ok {
				return nil, errFallback
			}
			out = utf8.AppendRune(out, ch)
		}
	}
	r.buf = out
	return out, nil
}

// charRef decodes #123 or #x7B to an XML character other than a surrogate;
// ok false for anything else (encoding/xml's path decides those).
func charRef(ref []byte) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	digits, base := ref[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 || len(digits) > 8 {
		return 0, false
	}
	for _, c := range digits {
		if !isDigit(c) && (base != 16 || !isHex(c)) {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(string(digits), base, 32)
	ch := rune(n)
	if err != nil || !xmlChar(ch) {
		return 0, false
	}
	return ch, true
}

// xmlChar: the Char production of XML 1.0.
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// xmlDeclFast is the XML declarations the fast path reads (version 1.0,
// UTF-8 or no encoding); any other goes to encoding/xml.
var xmlDeclFast = regexp.MustCompile(`^version\s*=\s*("1\.0"|'1\.0')` +
	`(\s+encoding\s*=\s*("(?i:utf-8)"|'(?i:utf-8)'))?` +
	`(\s+standalone\s*=\s*("yes"|"no"|'yes'|'no'))?\s*$`)

// runFast is run with the fast reader: every token goes to the checker's
// handlers directly.
func (c *checker) runFast() error {
	r := c.fast
	d := r.data
	for r.pos < len(d) {
		if d[r.pos] != '<' {
			start := r.pos
			end := bytes.IndexByte(d[start:], '<')
			if end < 0 {
				end = len(d)
			} else {
				end += start
			}
			raw := d[start:end]
			if bytes.Contains(raw, []byte("]]>")) {
				return errFallback
			}
			t, err := r.text(raw)
			if err != nil {
				return err
			}
			r.pos = end
			if err := c.chars(t); err != nil {
				return err
			}
			continue
		}
		if r.pos+1 >= len(d) {
			return errFallback
		}
		switch d[r.pos+1] {
		case '/':
			r.pos += 2
			name, err := r.name()
			if err != nil {
				return err
			}
			r.space()
			if r.pos >= len(d) || d[r.pos] != '>' {
				return errFallback
			}
			r.pos++
			if err := c.end(xml.EndElement{Name: name}); err != nil {
				return err
			}
		case '?':
			offset := r.pos
			r.pos += 2
			target, err := r.name()
			if err != nil || target.Space != "" {
				return errFallback
			}
			r.space()
			e := bytes.Index(d[r.pos:], []byte("?>"))
			if e < 0 {
				return errFallback
			}
			inst := d[r.pos : r.pos+e]
			r.pos += e + 2
			if target.Local == "xml" && !xmlDeclFast.Match(inst) {
				return errFallback
			}
			if err := checkProcInst(xml.ProcInst{Target: target.Local, Inst: inst}, int64(offset)); err != nil {
				return err
			}
		case '!':
			switch {
			case bytes.HasPrefix(d[r.pos:], []byte("<!--")):
				e := bytes.Index(d[r.pos+4:], []byte("--"))
				if e < 0 || r.pos+4+e+2 >= len(d) || d[r.pos+4+e+2] != '>' {
					return errFallback
				}
				r.pos += 4 + e + 3
			case bytes.HasPrefix(d[r.pos:], []byte("<![CDATA[")):
				from := r.pos + 9
				e := bytes.Index(d[from:], []byte("]]>"))
				if e <= 0 {
					return errFallback
				}
				t := d[from : from+e]
				if bytes.IndexByte(t, '\r') >= 0 { // CDATA: line ends only, no references
					t = normalizeCR(r.buf[:0], t)
					r.buf = t
				}
				r.pos = from + e + 3
				if err := c.chars(t); err != nil {
					return err
				}
			default:
				return errFallback
			}
		default:
			r.pos++
			name, err := r.name()
			if err != nil {
				return err
			}
			attrs, empty, err := r.attributes()
			if err != nil {
				return err
			}
			if err := c.start(xml.StartElement{Name: name, Attr: attrs}); err != nil {
				return err
			}
			if empty {
				if err := c.end(xml.EndElement{Name: name}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func normalizeCR(out, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\r' {
			out = append(out, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			continue
		}
		out = append(out, raw[i])
	}
	return out
}

// attributes reads a start tag's attributes up to '>' or "/>".
func (r *fastReader) attributes() ([]xml.Attr, bool, error) {
	d := r.data
	out := r.attrs[:0]
	for {
		sp := r.space()
		if r.pos >= len(d) {
			return nil, false, errFallback
		}
		switch d[r.pos] {
		case '>':
			r.pos++
			r.attrs = out
			return out, false, nil
		case '/':
			if r.pos+1 >= len(d) || d[r.pos+1] != '>' {
				return nil, false, errFallback
			}
			r.pos += 2
			r.attrs = out
			return out, true, nil
		}
		if !sp {
			return nil, false, errFallback
		}
		name, err := r.name()
		if err != nil {
			return nil, false, err
		}
		r.space()
		if r.pos >= len(d) || d[r.pos] != '=' {
			return nil, false, errFallback
		}
		r.pos++
		r.space()
		if r.pos >= len(d) || (d[r.pos] != '"' && d[r.pos] != '\'') {
			return nil, false, errFallback
		}
		q := d[r.pos]
		e := bytes.IndexByte(d[r.pos+1:], q)
		if e < 0 {
			return nil, false, errFallback
		}
		at := r.pos + 1
		raw := d[at : at+e]
		if bytes.IndexByte(raw, '<') >= 0 {
			return nil, false, errFallback
		}
		v, err := r.text(raw)
		if err != nil {
			return nil, false, err
		}
		val := ""
		if len(v) > 0 && &v[0] == &raw[0] {
			val = r.src[at : at+e]
		} else {
			val = string(v)
		}
		out = append(out, xml.Attr{Name: name, Value: val})
		r.pos = at + e + 1
	}
}
