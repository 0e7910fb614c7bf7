package webapp

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/scangate/scangate/sync/wire"
)

// TestFleetTexts: every text a fleet template names is in both languages
// (a missing one would show its key).
func TestFleetTexts(t *testing.T) {
	names, _ := fs.Glob(templateFS, "templates/fleet*.html")
	key := regexp.MustCompile(`\{\{t \$?[.a-zA-Z]* "([a-z_]+)"\}\}`)
	for _, n := range names {
		b, _ := fs.ReadFile(templateFS, n)
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			if v, ok := messages[m[1]]; !ok || v[0] == "" || v[1] == "" {
				t.Errorf("%s: text %q missing", n, m[1])
			}
		}
	}
	for _, prefix := range []string{"state_", "why_"} {
		for _, k := range []string{"green", "amber", "red", "revoked", "unseen", "late", "never_seen", "refusing", "refuse_soon", "clock", "outbox", "error"} {
			if _, ok := messages[prefix+k]; !ok && (prefix == "why_") == !strings.Contains("green amber red revoked", k) {
				t.Errorf("text %s%s missing", prefix, k)
			}
		}
	}
}

// Every decision a record may carry has its words, for the pages that name
// decisions (a person's visits, the fleet's search).
func TestDecisionTexts(t *testing.T) {
	for _, d := range []string{wire.DecisionPass, wire.DecisionAlreadyIn, wire.DecisionFail, wire.DecisionFault,
		wire.DecisionNotEntered, wire.DecisionUndo, wire.DecisionExit, wire.DecisionFull} {
		if v, ok := messages["decision_"+d]; !ok || v[0] == "" || v[1] == "" {
			t.Errorf("decision %q has no words", d)
		}
	}
}
