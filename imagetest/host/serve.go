package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// bundleServer serves the bundles over HTTP and counts what each request
// asked for: a streamed install reads byte ranges, a download does not.
type bundleServer struct {
	mu     sync.Mutex
	ranges map[string]int
	whole  map[string]int
	bytes  map[string]int64
}

type countingWriter struct {
	http.ResponseWriter
	n *int64
	s *bundleServer
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.s.mu.Lock()
	*c.n += int64(n)
	c.s.mu.Unlock()
	return n, err
}

func serveBundles(dir string, port int) (*bundleServer, error) {
	s := &bundleServer{ranges: map[string]int{}, whole: map[string]int{}, bytes: map[string]int64{}}
	fs := http.FileServer(http.Dir(dir))
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("bundle server: %w", err)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if r.Method == http.MethodGet {
			if r.Header.Get("Range") != "" {
				s.ranges[r.URL.Path]++
			} else {
				s.whole[r.URL.Path]++
			}
		}
		n := new(int64)
		s.mu.Unlock()
		fs.ServeHTTP(countingWriter{w, n, s}, r)
		s.mu.Lock()
		s.bytes[r.URL.Path] += *n
		s.mu.Unlock()
	}))
	return s, nil
}

func (s *bundleServer) stats(path string) (ranges, whole int, sent int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ranges[path], s.whole[path], s.bytes[path]
}

// collector is `scangate collector` on the host's loopback; the guest
// reaches it as 10.0.2.2 through QEMU's user network.
type collector struct {
	o   options
	cmd *exec.Cmd
}

const adminToken = "imagetest-admin-token-0123456789abcdef"

func startCollector(o options) (*collector, error) {
	tok := filepath.Join(o.work, "admin.token")
	if err := os.WriteFile(tok, []byte(adminToken+"\n"), 0o600); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(o.work, "collector.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.scangate, "collector", "--listen", fmt.Sprintf("127.0.0.1:%d", o.collectorPort),
		"--db", filepath.Join(o.work, "collector.db"), "--admin-token-file", tok, "--key", filepath.Join(o.work, "collector.key"))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start collector: %w", err)
	}
	c := &collector{o: o, cmd: cmd}
	for i := 0; i < 100; i++ {
		if _, err := c.admin("GET", "/v1/admin/issuers", nil, nil); err == nil {
			return c, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("collector did not answer on port %d", o.collectorPort)
}

func (c *collector) admin(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", c.o.collectorPort, path), rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

type visit struct {
	Device   string `json:"device"`
	Seq      int64  `json:"seq"`
	CardID   string `json:"card_id"`
	Decision string `json:"decision"`
}

func (c *collector) visits() ([]visit, error) {
	var vs []visit
	_, err := c.admin("GET", "/v1/admin/venues/"+venue+"/visits?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", nil, &vs)
	return vs, err
}
