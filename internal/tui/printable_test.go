package tui

import (
	"strings"
	"testing"

	"github.com/quantops/quant/internal/quant"
)

// Text from other processes is drawn without its control characters.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"maintenance":            "maintenance",
		"two\nlines":             "two lines",
		"esc\x1b]52;c;aGk=\x07!": "esc ]52;c;aGk= !",
		"bad \xff byte":          "bad ? byte",
		"ünïcode – fine":         "ünïcode – fine",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// targeted is a source whose bursts go elsewhere than what it watches
// (an attached console: the admin API watched, the public API burst).
type targeted struct{ *fakeSource }

func (targeted) BurstTarget() string { return "http://api.example:8080" }

// The burst prompt names where the burst goes.
func TestBurstPromptNamesTheAPI(t *testing.T) {
	src := &fakeSource{snaps: []*quant.Snapshot{fixture(0), fixture(1)}}
	h := newHarness(t, Options{Source: targeted{src}})
	h.keys("b")
	if !strings.Contains(h.screen(), "at http://api.example:8080? y/N") {
		t.Errorf("the burst prompt does not name the API it fires at:\n%s", h.screen())
	}
}
