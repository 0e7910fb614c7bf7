package fleet

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/sync/collector"
)

// adminToken is the admin token of every collector of a fleet.
const adminToken = "fleet-admin-token-0123456789"

// Environment of a collector child process.
const (
	envChild = "SCANGATE_FLEET_COLLECTOR"
	envDSN   = "SCANGATE_FLEET_DSN"
	envKey   = "SCANGATE_FLEET_KEY" // collector key file
	envKEK   = "SCANGATE_FLEET_KEK" // hex
	envLog   = "SCANGATE_FLEET_LOG" // set: the children log to stderr
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "1" {
		os.Exit(runCollectorChild())
	}
	os.Exit(m.Run())
}

// runCollectorChild is a collector process: it serves on a free loopback
// port, prints "listening ADDR" and serves until it is killed.
func runCollectorChild() int {
	lvl := slog.LevelError + 1
	if os.Getenv(envLog) != "" {
		lvl = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "fleet collector:", err); return 1 }
	key, err := idcode.LoadPrivateKey(os.Getenv(envKey), nil)
	if err != nil {
		return fail(err)
	}
	kb, err := hex.DecodeString(os.Getenv(envKEK))
	if err != nil {
		return fail(err)
	}
	kek, err := collector.NewKEK(kb)
	if err != nil {
		return fail(err)
	}
	be, err := collector.OpenPostgres(context.Background(), os.Getenv(envDSN))
	if err != nil {
		return fail(err)
	}
	srv, err := collector.New(collector.Config{Backend: be, Key: key, AdminToken: adminToken, Logger: log, KEK: kek})
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	fmt.Printf("listening %s\n", ln.Addr())
	return fail((&http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}).Serve(ln))
}

// fleet is n collector processes on one database.
type fleet struct {
	t   testing.TB
	env []string
	key ed25519.PrivateKey

	mu    sync.Mutex
	procs []*proc // by slot; a restarted process takes its slot
	kills atomic.Int64
}

type proc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

func startFleet(t testing.TB, dsn string, n int) *fleet {
	t.Helper()
	dir := t.TempDir()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "collector.key")
	if err := idcode.WritePrivateKey(keyPath, key, nil); err != nil {
		t.Fatal(err)
	}
	var kek [32]byte
	copy(kek[:], key.Seed()) // any 32 bytes the processes share
	f := &fleet{t: t, key: key, env: append(os.Environ(), envChild+"=1", envDSN+"="+dsn, envKey+"="+keyPath, envKEK+"="+hex.EncodeToString(kek[:]))}
	// The first process creates the schema alone; the rest start together.
	f.procs = append(f.procs, f.spawn())
	for range n - 1 {
		f.procs = append(f.procs, nil)
	}
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); p := f.spawn(); f.mu.Lock(); f.procs[i] = p; f.mu.Unlock() }()
	}
	wg.Wait()
	t.Cleanup(f.stop)
	return f
}

// spawn starts one collector process and waits for its address.
func (f *fleet) spawn() *proc {
	f.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = f.env
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		io.Copy(io.Discard, out)
	}()
	go func() { cmd.Wait(); close(p.done) }()
	select {
	case l, ok := <-line:
		addr, found := strings.CutPrefix(l, "listening ")
		if !ok || !found {
			f.t.Fatalf("collector process said %q", l)
		}
		p.addr = addr
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		f.t.Fatal("collector process did not start")
	}
	return p
}

// addrs returns the slots' addresses.
func (f *fleet) addrs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.procs))
	for i, p := range f.procs {
		out[i] = p.addr
	}
	return out
}

// killAndRestart kills the process in slot i with SIGKILL and starts a
// new one there.
func (f *fleet) killAndRestart(i int) {
	f.mu.Lock()
	p := f.procs[i]
	f.mu.Unlock()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	f.kills.Add(1)
	np := f.spawn()
	f.mu.Lock()
	f.procs[i] = np
	f.mu.Unlock()
}

func (f *fleet) stop() {
	f.mu.Lock()
	ps := f.procs
	f.mu.Unlock()
	for _, p := range ps {
		if p != nil {
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
	}
}

// balancer is the load balancer in front of a fleet: each request goes
// to the next process in turn, alive or not (a killed process answers 502
// until its slot restarts, as a balancer without health checks does).
type balancer struct {
	f    *fleet
	next atomic.Uint64
	hs   *http.Server
	url  string
	per  []atomic.Int64 // requests sent to each slot
}

func newBalancer(t testing.TB, f *fleet) *balancer {
	t.Helper()
	b := &balancer{f: f, per: make([]atomic.Int64, len(f.addrs()))}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			addrs := b.f.addrs()
			i := int(b.next.Add(1)-1) % len(addrs)
			b.per[i].Add(1)
			r.SetURL(&url.URL{Scheme: "http", Host: addrs[i]})
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, `{"code":"internal","message":"collector unreachable"}`)
		},
		ErrorLog: nil,
	}
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.hs = &http.Server{Handler: rp, ErrorLog: nil}
	b.url = "http://" + ln.Addr().String()
	go b.hs.Serve(ln)
	t.Cleanup(func() { b.hs.Close() })
	return b
}
