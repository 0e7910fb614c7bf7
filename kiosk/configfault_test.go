package kiosk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scangate/scangate/config"
)

func TestConfigFaultFileAndPages(t *testing.T) {
	_, err := config.Parse("/boot/scangate.toml", []byte("\xef\xbb\xbf[camera]\r\nwidht = 640\r\nfps = 0\r\n"))
	ps := config.Problems(err)
	if len(ps) != 2 {
		t.Fatalf("problems %+v", ps)
	}
	p := filepath.Join(t.TempDir(), "scangate-error.txt")
	if err := WriteConfigFault(p, ps); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	text := string(b)
	for _, w := range []string{ConfigFaultTitle, `/boot/scangate.toml:2: unknown key "camera.widht"`, `/boot/scangate.toml:3: key "camera.fps"`, "\r\n"} {
		if !strings.Contains(text, w) {
			t.Errorf("error file lacks %q:\n%s", w, text)
		}
	}
	pages := ConfigFaultPages(ps)
	if len(pages) != 2 || pages[0][0] != "配置错误" || pages[0][2] != "scangate.toml:2 (1/2)" || pages[1][3] != "camera.fps" {
		t.Errorf("pages %q", pages)
	}
}
