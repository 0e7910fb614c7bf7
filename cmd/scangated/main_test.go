package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/idcode"
)

// The test binary doubles as the daemon: a child started with
// SCANGATED_CHILD=1 runs main's run() with its arguments, so the benchmarks
// measure a real scangated process.
func TestMain(m *testing.M) {
	if os.Getenv("SCANGATED_CHILD") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(good, []byte("[device]\nname = \"door-1\"\n"), 0o644)
	os.WriteFile(bad, []byte("[device]\nnmae = \"door-1\"\n"), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"--check-config", "--config", good}, &out, &errb); code != 0 || !strings.Contains(out.String(), "ok") {
		t.Fatalf("good config: %d %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"--check-config", "--config", bad}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `bad.toml:2: unknown key "device.nmae"`) {
		t.Fatalf("bad config: %d %q", code, errb.String())
	}
	if code := run([]string{"--check-config", "--config", filepath.Join(dir, "missing.toml")}, &out, &errb); code != 2 {
		t.Fatalf("missing config: %d", code)
	}
	if code := run([]string{"--bogus"}, &out, &errb); code != 2 {
		t.Fatalf("bad flag: %d", code)
	}
	// Values that parse as TOML but that the daemon would stop on at start
	// are caught by --check-config too.
	for name, tc := range map[string]struct{ text, want string }{
		"camera format":  {"[camera]\nformat = \"H264\"\n", "camera.format"},
		"camera control": {"[camera]\ncontrols = { focus_absolute = 9999999999 }\n", "camera.controls"},
		"voice outcome":  {"[voice]\nenabled = true\nfiles = { welcome = \"a.wav\" }\n", "voice.files"},
		"list key":       {"[trust]\nlist_keys = [\"missing.pem\"]\n", "list_keys"},
		"collector key":  {"[uplink]\nenabled = true\nurl = \"https://c.example\"\ncollector_key = \"nope\"\n", "collector key"},
	} {
		p := filepath.Join(dir, "k.toml")
		os.WriteFile(p, []byte(tc.text), 0o644)
		errb.Reset()
		if code := run([]string{"--check-config", "--config", p, "--data", dir}, &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%s: exit %d, %q (want %q)", name, code, errb.String(), tc.want)
		}
	}
}

// daemon is a scangated child process in sim mode.
type daemon struct {
	cmd    *exec.Cmd
	client *control.Client
	key    ed25519.PrivateKey
}

func startDaemon(tb testing.TB) *daemon {
	tb.Helper()
	dir := tb.TempDir()
	_, key, _ := ed25519.GenerateKey(nil)
	now := time.Now().UTC().Truncate(time.Second)
	tl, _ := idcode.SignTrustList(idcode.TrustList{Version: 1, IssuedAt: now.Add(-time.Hour), Expires: now.AddDate(1, 0, 0),
		Issuers: []idcode.Issuer{{ID: "lib", PublicKey: key.Public().(ed25519.PublicKey)}}}, key)
	rl, _ := idcode.SignRevocations(idcode.RevocationList{Version: 1, IssuedAt: now.Add(-time.Hour), Expires: now.AddDate(1, 0, 0)}, key)
	os.WriteFile(filepath.Join(dir, "trust.json"), tl, 0o644)
	os.WriteFile(filepath.Join(dir, "revocations.json"), rl, 0o644)
	data := filepath.Join(dir, "var")
	cmd := exec.Command(os.Args[0], "--sim", "--data", data, "--trust", filepath.Join(dir, "trust.json"), "--log-level", "warn")
	cmd.Env = append(os.Environ(), "SCANGATED_CHILD=1")
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	d := &daemon{cmd: cmd, client: control.NewClient(filepath.Join(data, control.SocketName)), key: key}
	tb.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := d.client.Status(context.Background())
		if err == nil && st.Ready {
			return d
		}
		if time.Now().After(deadline) {
			tb.Fatalf("daemon not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cpuTicks reads utime+stime of pid in clock ticks (USER_HZ, 100 on Linux).
func cpuTicks(tb testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

func rssKB(tb testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			v, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return v
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// BenchmarkDaemonIdleCPU: a real daemon with a 30 fps simulated camera and
// no card; reports the share of one core it uses (target ≤ 15 % here).
// One op is one second of idling.
func BenchmarkDaemonIdleCPU(b *testing.B) {
	d := startDaemon(b)
	time.Sleep(time.Second) // let start-up work settle
	pid := d.cmd.Process.Pid
	t0, c0 := time.Now(), cpuTicks(b, pid)
	time.Sleep(time.Duration(b.N) * time.Second)
	pct := float64(cpuTicks(b, pid)-c0) / 100 / time.Since(t0).Seconds() * 100
	b.ReportMetric(pct, "%core")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkDaemonRSS: resident memory of a real daemon after b.N check-ins
// (run with -benchtime=10000x; target ≤ 40 MB).
func BenchmarkDaemonRSS(b *testing.B) {
	d := startDaemon(b)
	texts := make([]string, b.N)
	for i := range texts {
		id, _ := idcode.NewCardID()
		texts[i], _ = idcode.Sign(idcode.Claims{Issuer: "lib", Subject: "h", IssuedAt: time.Now().Add(-time.Hour).Truncate(time.Second),
			Expires: time.Now().AddDate(1, 0, 0).Truncate(time.Second), CardID: id, Name: "王*英", Category: "elder"}, d.key)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := d.client.Present(context.Background(), control.PresentRequest{Text: texts[i]})
		if err != nil || res.Decision != "pass" {
			b.Fatalf("check-in %d: %+v %v", i, res, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(rssKB(b, d.cmd.Process.Pid))/1024, "RSS-MB")
}
