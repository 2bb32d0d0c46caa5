package gofpdf

// Patches of the eFactura Gateway (see PATCHES.md): what every document
// rebuilt although it never changes — the parsed UTF-8 fonts, the tables
// of their subsetting, the zlib compressors — is built once and reused.
// The bytes of every PDF are unchanged.

import (
	"bytes"
	"sort"
	"sync"

	"github.com/klauspost/compress/zlib"
)

// fontBytesKey names the bytes of a font given to AddUTF8FontFromBytes
// by identity (first byte and length): the caller keeps them unchanged
// while fonts from them are in use, as it must anyway (the font object
// reads them until Output).
type fontBytesKey struct {
	first *byte
	n     int
}

func keyOfFontBytes(b []byte) (fontBytesKey, bool) {
	if len(b) == 0 {
		return fontBytesKey{}, false
	}
	return fontBytesKey{&b[0], len(b)}, true
}

// maxReusedFonts bounds each cache below: a program that hands over freshly
// read bytes for every document only misses the cache, it does not grow it.
const maxReusedFonts = 32

// parsedUTF8Font is what addFontFromBytes derives from a UTF-8 font's bytes
// and key: its definition (with the widths, shared read-only) and its id.
type parsedUTF8Font struct {
	def fontDefType
}

// cutTables are the font's tables that GenerateCutFont reads for every
// subset: the character → glyph map (cmap) and the glyph offsets (loca).
// Both are only read.
type cutTables struct {
	charSymbolDictionary map[int]int
	symbolPosition       []int
}

var (
	reuseMu     sync.Mutex
	parsedFonts = map[parsedFontKey]*parsedUTF8Font{}
	cutTableMap = map[fontBytesKey]*cutTables{}
)

type parsedFontKey struct {
	bytes   fontBytesKey
	fontkey string
}

func loadParsedFont(k parsedFontKey) *parsedUTF8Font {
	reuseMu.Lock()
	defer reuseMu.Unlock()
	return parsedFonts[k]
}

func storeParsedFont(k parsedFontKey, p *parsedUTF8Font) {
	reuseMu.Lock()
	defer reuseMu.Unlock()
	if len(parsedFonts) < maxReusedFonts {
		parsedFonts[k] = p
	}
}

func loadCutTables(k fontBytesKey) *cutTables {
	reuseMu.Lock()
	defer reuseMu.Unlock()
	return cutTableMap[k]
}

func storeCutTables(k fontBytesKey, t *cutTables) {
	reuseMu.Lock()
	defer reuseMu.Unlock()
	if len(cutTableMap) < maxReusedFonts {
		cutTableMap[k] = t
	}
}

// Patched (2): the compressors, the CIDToGIDMap scratch buffers and the
// buffers of a document's pages and body are kept on small bounded free
// lists rather than in sync.Pools, which every garbage collection empties:
// a document allocates about a megabyte, so the collector ran every few
// documents and most of them built a new compressor (~1.1 MB) anyway.

// maxFree bounds each free list (the machine's documents in flight).
const maxFree = 4

// maxKeptBuf is the largest buffer kept for reuse: the rare big document
// does not pin its memory.
const maxKeptBuf = 1 << 20

// zlibWriters are BestSpeed compressors for sliceCompress, reused (Reset)
// rather than built for every stream. Patched (3): they are
// github.com/klauspost/compress's, which compress the same streams at
// BestSpeed in about half the time of compress/zlib's (fonts and page
// contents: half of a PDF's CPU), output ~2 % larger.
var zlibWriters = make(chan *zlib.Writer, maxFree)

func getZlibWriter() *zlib.Writer {
	select {
	case w := <-zlibWriters:
		return w
	default:
		w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
		return w
	}
}

func putZlibWriter(w *zlib.Writer) {
	w.Reset(nil)
	select {
	case zlibWriters <- w:
	default:
	}
}

// cidToGidMaps are the 128 KiB scratch buffers of putfonts' CIDToGIDMap,
// handed back cleared.
var cidToGidMaps = make(chan []byte, maxFree)

func getCidToGidMap() []byte {
	select {
	case b := <-cidToGidMaps:
		return b
	default:
		return make([]byte, 256*256*2)
	}
}

// putCidToGidMap takes back b, of which only b[:used] may be non-zero.
func putCidToGidMap(b []byte, used int) {
	for i := range b[:used] {
		b[i] = 0
	}
	select {
	case cidToGidMaps <- b:
	default:
	}
}

// byteBufs are buffers for compressed streams, page contents and the
// document's body.
var byteBufs = make(chan *bytes.Buffer, 4*maxFree)

func getByteBuf() *bytes.Buffer {
	select {
	case b := <-byteBufs:
		return b
	default:
		return new(bytes.Buffer)
	}
}

func putByteBuf(b *bytes.Buffer) {
	if b == nil || b.Cap() > maxKeptBuf {
		return
	}
	b.Reset()
	select {
	case byteBufs <- b:
	default:
	}
}

// cidFontMapKey names a /W array of generateCIDFontMap (patched): the
// font's bytes, its LastRune and the runes above 255 that a document used
// and the font has a width for, ascending, as a string of runes.
type cidFontMapKey struct {
	font     fontBytesKey
	lastRune int
	high     string
}

// maxCIDFontMaps bounds cidFontMaps; it is emptied when full.
const maxCIDFontMaps = 256

var cidFontMaps = map[cidFontMapKey]string{}

func makeCIDFontMapKey(font *fontDefType, lastRune int) cidFontMapKey {
	var high []rune
	for r, numb := range font.usedRunes {
		if r > 255 && r <= lastRune && r < len(font.Cw) && font.Cw[r] != 0 && numb != 0 {
			high = append(high, rune(r))
		}
	}
	sort.Slice(high, func(i, j int) bool { return high[i] < high[j] })
	return cidFontMapKey{font: font.utf8File.reuseKey, lastRune: lastRune, high: string(high)}
}

func loadCIDFontMap(k cidFontMapKey) (string, bool) {
	reuseMu.Lock()
	defer reuseMu.Unlock()
	w, ok := cidFontMaps[k]
	return w, ok
}

func storeCIDFontMap(k cidFontMapKey, w string) {
	reuseMu.Lock()
	defer reuseMu.Unlock()
	if len(cidFontMaps) >= maxCIDFontMaps {
		cidFontMaps = map[cidFontMapKey]string{}
	}
	cidFontMaps[k] = w
}

// colorKey names a value of rgbColorValue (patched).
type colorKey struct {
	r, g, b          int
	grayStr, fullStr string
}

// maxColors bounds colors; it is emptied when full.
const maxColors = 1024

var colors = map[colorKey]colorType{}

func loadColor(k colorKey) (colorType, bool) {
	reuseMu.Lock()
	defer reuseMu.Unlock()
	c, ok := colors[k]
	return c, ok
}

func storeColor(k colorKey, c colorType) {
	reuseMu.Lock()
	defer reuseMu.Unlock()
	if len(colors) >= maxColors {
		colors = map[colorKey]colorType{}
	}
	colors[k] = c
}
