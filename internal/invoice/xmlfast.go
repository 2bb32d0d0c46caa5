package invoice

import (
	"bytes"
	"encoding/xml"
	"strings"
	"unicode/utf8"
)

// scanFast reads data into a tree when it is within a conservative subset
// of XML that encoding/xml reads identically, allocating little (no token
// per element, text sliced from data). It reports false for anything
// outside the subset or in doubt: an error, a refused construct, another
// encoding, a UTF-16 BOM, CDATA, character references, entities other
// than the five predefined ones, processing instructions other than a
// leading XML declaration naming UTF-8, non-ASCII names, control
// characters; parseStd then reads the document (and words any error).
// A false after part of the work only costs time.
func scanFast(data []byte, opt decodeOptions) (*node, bool) {
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if !fastSafe(data) {
		return nil, false
	}
	i := 0
	if bytes.HasPrefix(data, []byte("<?xml")) {
		end := bytes.Index(data, []byte("?>"))
		if end < 0 || !xmlDeclOK(data[len("<?xml"):end]) {
			return nil, false
		}
		i = end + 2
	}
	bl := newBuilder(len(data))
	var attrs []xml.Attr // reused per start tag
	for i < len(data) {
		ok := false
		switch {
		case data[i] != '<':
			i, ok = scanText(data, i, bl)
		case i+1 >= len(data):
			return nil, false
		case data[i+1] == '/':
			i, ok = scanEndTag(data, i, bl)
		case data[i+1] == '!': // only comments
			i, ok = skipComment(data, i)
		case data[i+1] == '?':
			return nil, false
		default:
			rootDone := false
			i, attrs, rootDone, ok = scanStartTag(data, i, bl, attrs, opt)
			if ok && rootDone {
				return bl.root, true
			}
		}
		if !ok {
			return nil, false
		}
	}
	if len(bl.stack) > 0 || bl.root == nil {
		return nil, false
	}
	return bl.root, true
}

// scanText adds the character data from data[i] up to the next '<' (or
// the end) and returns where it stops.
func scanText(data []byte, i int, bl *builder) (int, bool) {
	j := bytes.IndexByte(data[i:], '<')
	if j < 0 {
		j = len(data) - i
	}
	t, owned, ok := decodeChars(data[i:i+j], 0)
	if !ok || bl.chars(t, owned) != nil {
		return 0, false
	}
	return i + j, true
}

// scanEndTag reads the end tag at data[i] ("</") and returns the index
// after it.
func scanEndTag(data []byte, i int, bl *builder) (int, bool) {
	space, local, j, ok := scanName(data, i+2)
	if !ok {
		return 0, false
	}
	j = skipSpace(data, j)
	if j >= len(data) || data[j] != '>' {
		return 0, false
	}
	if bl.end(bl.str(space), bl.str(local)) != nil {
		return 0, false
	}
	return j + 1, true
}

// skipComment skips the comment at data[i] ("<!"; any other declaration
// is refused) and returns the index after it.
func skipComment(data []byte, i int) (int, bool) {
	if !bytes.HasPrefix(data[i:], []byte("<!--")) {
		return 0, false
	}
	end := bytes.Index(data[i+4:], []byte("--"))
	if end < 0 || i+4+end+2 >= len(data) || data[i+4+end+2] != '>' {
		return 0, false
	}
	return i + 4 + end + 3, true
}

// scanStartTag reads the start (or empty-element) tag at data[i] into bl,
// with attrs as the reused attribute buffer, and returns the index after
// it. rootDone reports that the root was read and opt.rootOnly asks for
// no more.
func scanStartTag(data []byte, i int, bl *builder, attrs []xml.Attr, opt decodeOptions) (next int, buf []xml.Attr, rootDone, ok bool) {
	space, local, j, ok := scanName(data, i+1)
	if !ok {
		return 0, attrs, false, false
	}
	attrs, j, selfClose, ok := scanAttrs(data, j, bl, attrs[:0])
	if !ok {
		return 0, attrs, false, false
	}
	rs, rl := bl.str(space), bl.str(local)
	if bl.start(rs, rl, attrs) != nil {
		return 0, attrs, false, false
	}
	if len(bl.stack) == 1 && opt.rootOnly {
		return j, attrs, true, true
	}
	if selfClose && bl.end(rs, rl) != nil {
		return 0, attrs, false, false
	}
	return j, attrs, false, true
}

// scanAttrs reads a start tag's attributes from data[j] (just after its
// name) through its closing '>' or "/>", appending them to attrs, and
// returns the index after the tag.
func scanAttrs(data []byte, j int, bl *builder, attrs []xml.Attr) (_ []xml.Attr, next int, selfClose, ok bool) {
	for {
		k := skipSpace(data, j)
		spaced := k > j
		j = k
		if j >= len(data) {
			return attrs, 0, false, false
		}
		if data[j] == '>' {
			return attrs, j + 1, false, true
		}
		if data[j] == '/' {
			if j+1 >= len(data) || data[j+1] != '>' {
				return attrs, 0, false, false
			}
			return attrs, j + 2, true, true
		}
		if !spaced {
			return attrs, 0, false, false
		}
		var aspace, alocal []byte
		if aspace, alocal, j, ok = scanName(data, j); !ok {
			return attrs, 0, false, false
		}
		j = skipSpace(data, j)
		if j >= len(data) || data[j] != '=' {
			return attrs, 0, false, false
		}
		j = skipSpace(data, j+1)
		if j >= len(data) || (data[j] != '"' && data[j] != '\'') {
			return attrs, 0, false, false
		}
		q := data[j]
		end := bytes.IndexByte(data[j+1:], q)
		if end < 0 {
			return attrs, 0, false, false
		}
		raw := data[j+1 : j+1+end]
		if bytes.IndexByte(raw, '<') >= 0 {
			return attrs, 0, false, false
		}
		v, _, vok := decodeChars(raw, q)
		if !vok {
			return attrs, 0, false, false
		}
		attrs = append(attrs, xml.Attr{Name: xml.Name{Space: bl.str(aspace), Local: bl.str(alocal)}, Value: bl.str(v)})
		j += 1 + end + 1
	}
}

// fastSafe reports whether data is valid UTF-8 without characters XML
// forbids (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF).
func fastSafe(data []byte) bool {
	for _, c := range data {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return utf8.Valid(data) && !bytes.Contains(data, []byte("\xEF\xBF\xBE")) && !bytes.Contains(data, []byte("\xEF\xBF\xBF"))
}

// xmlDeclOK reports whether the XML declaration's content (after "<?xml")
// is whitespace-separated version="1.0", encoding naming UTF-8 and
// standalone yes/no, each at most once.
func xmlDeclOK(b []byte) bool {
	seen := map[string]bool{}
	for {
		k := skipSpace(b, 0)
		if k == len(b) {
			return true
		}
		if k == 0 {
			return false
		}
		b = b[k:]
		eq := bytes.IndexByte(b, '=')
		if eq < 0 {
			return false
		}
		name := string(bytes.TrimSpace(b[:eq]))
		b = b[skipSpace(b, eq+1):]
		if len(b) == 0 || (b[0] != '"' && b[0] != '\'') {
			return false
		}
		end := bytes.IndexByte(b[1:], b[0])
		if end < 0 || seen[name] {
			return false
		}
		seen[name] = true
		v := string(b[1 : 1+end])
		switch name {
		case "version":
			if v != "1.0" {
				return false
			}
		case "encoding":
			if !strings.EqualFold(v, "utf-8") {
				return false
			}
		case "standalone":
			if v != "yes" && v != "no" {
				return false
			}
		default:
			return false
		}
		b = b[1+end+1:]
	}
}

// scanName reads an ASCII name at data[i:]: [prefix:]local, each
// [A-Za-z_][A-Za-z0-9_.-]*. It returns the prefix (nil when none), the
// local part and the index after the name.
func scanName(data []byte, i int) (space, local []byte, j int, ok bool) {
	start := i
	colon := -1
	for j = i; j < len(data); j++ {
		c := data[j]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9', c == '.', c == '-':
			if j == start || j == colon+1 {
				return nil, nil, 0, false
			}
		case c == ':':
			if colon >= 0 || j == start {
				return nil, nil, 0, false
			}
			colon = j
		default:
			goto done
		}
	}
done:
	if j == start || j == colon+1 {
		return nil, nil, 0, false
	}
	if colon < 0 {
		return nil, data[start:j], j, true
	}
	return data[start:colon], data[colon+1 : j], j, true
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// decodeChars decodes character data (text, or an attribute value quoted
// by quote) as encoding/xml does: the five predefined entities, CR LF and
// a lone CR as LF. It returns raw itself when nothing needs decoding
// (owned false: a sub-slice of the document), else a new slice; ok is
// false for anything else (character references, other entities, "]]>"
// in text).
func decodeChars(raw []byte, quote byte) (out []byte, owned, ok bool) {
	if quote == 0 && bytes.Contains(raw, []byte("]]>")) {
		return nil, false, false
	}
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return raw, true, true
	}
	out = make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '\r':
			out = append(out, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		case '&':
			end := bytes.IndexByte(raw[i+1:], ';')
			if end < 0 {
				return nil, false, false
			}
			switch string(raw[i+1 : i+1+end]) {
			case "amp":
				out = append(out, '&')
			case "lt":
				out = append(out, '<')
			case "gt":
				out = append(out, '>')
			case "apos":
				out = append(out, '\'')
			case "quot":
				out = append(out, '"')
			default:
				return nil, false, false
			}
			i += end + 1
		default:
			out = append(out, c)
		}
	}
	return out, true, true
}
