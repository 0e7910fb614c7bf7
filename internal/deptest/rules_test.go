package deptest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scangate/scangate/internal/deptest"
)

// Forbidden for everything that decides, decodes, shows or reads a card.
var hardware = []string{
	"scangate/drivers/", "scangate/store", "scangate/kiosk", "scangate/sync/", "scangate/control", "scangate/config",
	"github.com/mattn/go-sqlite3", "github.com/blackjack/webcam", "periph.io/", "go.bug.st/serial", "net/http",
}

// The server side of sync, and what only administrators run.
var server = []string{"scangate/sync/collector", "github.com/jackc/pgx/v5", "scangate/cards", "github.com/go-pdf/fpdf"}

// The device side of sync.
var device = []string{"scangate/store", "scangate/trust", "scangate/kiosk", "scangate/sync/uplink",
	"scangate/gate", "scangate/scanner", "scangate/display", "scangate/drivers/", "scangate/control", "scangate/config"}

// Rules are the house rules of docs/architecture.md, as tests.
var Rules = []deptest.Rule{
	{Why: "the door's vocabulary and the downlink shape are standard library only",
		Packages: []string{"door", "downlink"}, StdOnly: true},
	{Why: "the decision, the decoder, the display, the card format and the trust data never reach drivers, SQLite, the webcam library or the network",
		Packages: []string{"gate", "scanner", "display", "voice", "idcode", "trust", "door", "downlink", "clock"}, Forbidden: hardware},
	{Why: "the decision does not link the decoder",
		Packages: []string{"gate", "display", "voice", "trust"}, Forbidden: []string{"github.com/makiuchi-d/gozxing/", "scangate/scanner"}},
	{Why: "the kiosk ships no collector, PostgreSQL client or PDF printer",
		Packages:  []string{"cmd/scangated", "kiosk", "statusreport", "sync/uplink", "store", "trust", "gate", "scanner", "display", "drivers/..."},
		Forbidden: server},
	{Why: "device-side tests run without the server; tests of both sides together live in integration/",
		Packages:  []string{"kiosk", "sync/uplink", "store", "trust", "gate", "scanner", "display", "drivers/..."},
		Forbidden: []string{"scangate/sync/collector", "github.com/jackc/pgx/v5"}, Tests: true},
	{Why: "the device and server sides share only the wire types (and the card format)",
		Packages: []string{"sync/collector/..."}, Forbidden: device, Tests: true},
	{Why: "the uplink speaks to the store and the wire; the configuration and the local control socket are the wiring's",
		Packages: []string{"sync/uplink"}, Forbidden: []string{"scangate/config", "scangate/control", "scangate/kiosk"}},
	{Why: "the web pages and what they store are the collector's: no device code, and their tests need no kiosk (integration/web has both)",
		Packages: []string{"webapp/...", "registry/..."}, Forbidden: device, Tests: true},
	{Why: "the registry stores; serving pages is the web application's",
		Packages: []string{"registry/..."}, Forbidden: []string{"net/http", "html/template", "scangate/webapp"}},
	{Why: "the metrics test helper scrapes HTTP and knows neither side, so both sides' tests can use it",
		Packages: []string{"internal/promtest"}, Forbidden: append(append([]string{}, device...), server...)},
	{Why: "the kiosk's metrics read the device's own parts: no collector code",
		Packages: []string{"kiosk", "cmd/scangated"}, Forbidden: []string{"scangate/sync/collector", "scangate/webapp", "scangate/registry"}},
	{Why: "the kiosk's staff desk reads the kiosk's own ledger so it works with the collector unreachable: no collector, uplink, web application or registry, tests included",
		Packages:  []string{"deskpage"},
		Forbidden: append(append([]string{}, server...), "scangate/sync/uplink", "scangate/webapp", "scangate/registry"), Tests: true},
	{Why: "the wire types are the protocol, nothing more",
		Packages: []string{"sync/wire"}, Forbidden: append(append([]string{}, device...), "scangate/sync/collector", "scangate/idcode")},
}

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPackageRules(t *testing.T) {
	vs, err := deptest.Check(deptest.Options{Dir: root(t), Tags: "sqlite_omit_load_extension"}, Rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Error(v)
	}
}

// The rules catch a forbidden import: the same check on a tree where the
// gate imports the store and the uplink's tests import the collector (a
// go list overlay, nothing written into the tree) must fail, naming both.
func TestPackageRulesCatchAForbiddenImport(t *testing.T) {
	dir := root(t)
	tmp := t.TempDir()
	files := map[string]string{
		filepath.Join(dir, "gate", "zz_forbidden.go"):                "package gate\n\nimport _ \"github.com/scangate/scangate/store\"\n",
		filepath.Join(dir, "sync", "uplink", "zz_forbidden_test.go"): "package uplink_test\n\nimport _ \"github.com/scangate/scangate/sync/collector\"\n",
	}
	overlay := map[string]map[string]string{"Replace": {}}
	for path, src := range files {
		f := filepath.Join(tmp, filepath.Base(path))
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		overlay["Replace"][path] = f
	}
	ob, _ := json.Marshal(overlay)
	op := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(op, ob, 0o644); err != nil {
		t.Fatal(err)
	}
	vs, err := deptest.Check(deptest.Options{Dir: dir, Tags: "sqlite_omit_load_extension", Overlay: op}, Rules)
	if err != nil {
		t.Fatal(err)
	}
	var gateStore, uplinkCollector bool
	for _, v := range vs {
		gateStore = gateStore || strings.HasPrefix(v.Package, deptest.Module+"/gate") && v.Dep == deptest.Module+"/store"
		uplinkCollector = uplinkCollector || strings.Contains(v.Package, "sync/uplink") && v.Dep == deptest.Module+"/sync/collector"
	}
	if !gateStore || !uplinkCollector {
		t.Fatalf("forbidden imports not caught (gate→store %v, uplink tests→collector %v): %v", gateStore, uplinkCollector, vs)
	}
}

// The kiosk image's CLI is cmd/scangate built with the kiosk tag.
func TestKioskCLIRule(t *testing.T) {
	vs, err := deptest.Check(deptest.Options{Dir: root(t), Tags: "sqlite_omit_load_extension kiosk"}, []deptest.Rule{
		{Why: "the kiosk's CLI ships no collector, PostgreSQL client or PDF printer", Packages: []string{"cmd/scangate"}, Forbidden: server},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Error(v)
	}
}
