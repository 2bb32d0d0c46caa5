package xsd

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestLinearTime: documents built to make a naive checker quadratic (many
// distinct sibling names, namespace declarations or attributes on one
// element, inside an extension) are checked in linear time. Each case took
// seconds before the indexes (maxScan); the bound leaves a wide margin.
func TestLinearTime(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds documents of a few MB")
	}
	hook := fastHook // time Check alone, not the differential check (TestMain)
	fastHook = nil
	defer func() { fastHook = hook }()
	extension := func(open, content string) []byte {
		return []byte(strings.Replace(minimal, "<cbc:CustomizationID>",
			`<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><x:A xmlns:x="urn:x"`+open+`>`+content+
				`</x:A></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions><cbc:CustomizationID>`, 1))
	}
	var names, decls, uses, attrs strings.Builder
	for i := range 100000 {
		fmt.Fprintf(&names, "<x:E%d/>", i)
	}
	for i := range 40000 {
		fmt.Fprintf(&decls, ` xmlns:p%d="urn:p%d"`, i, i)
		uses.WriteString("<x:B/>")
		fmt.Fprintf(&attrs, ` a%d="1"`, i)
	}
	deep := strings.Repeat("<x:D>", 1000000) + strings.Repeat("</x:D>", 1000000)
	issues, err := Check(extension("", deep))
	if err != nil || len(issues) != 1 || !strings.Contains(issues[0].Message, "deeper") {
		t.Errorf("a million nested elements: issues %v, error %v", issues, err)
	}
	for name, doc := range map[string][]byte{
		"DistinctChildren":    extension("", names.String()),
		"ManyNamespaces":      extension(decls.String(), uses.String()),
		"ManyAttributes":      extension(attrs.String(), ""),
		"DuplicateAttributes": extension(attrs.String()+` a7="2"`, ""),
	} {
		start := cpuTime()
		issues, err := Check(doc)
		elapsed := cpuTime() - start // CPU, not wall time: the bound holds on a loaded machine
		t.Logf("%s: %d kB in %v", name, len(doc)/1000, elapsed)
		if wantErr := name == "DuplicateAttributes"; (err != nil) != wantErr || !wantErr && len(issues) > 0 {
			t.Errorf("%s: issues %v, error %v", name, issues, err)
		}
		if elapsed > 2*time.Second {
			t.Errorf("%s took %v: quadratic again?", name, elapsed)
		}
	}
}
