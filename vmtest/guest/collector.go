package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"time"
)

const (
	collectorAddr = "127.0.0.1:8480"
	adminToken    = "vmtest-admin-token-0123456789abcdef"
	venue         = "hall-1"
	collectorDir  = "/data/collector"
)

// collector is `scangate collector` on the guest's own loopback.
type collector struct {
	cmd  *exec.Cmd
	done chan error
}

func startCollector(log *os.File) (*collector, error) {
	// The collector refuses secrets in a directory others can read.
	if err := os.MkdirAll(collectorDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(collectorDir+"/admin.token", []byte(adminToken+"\n"), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command("/bin/scangate", "collector", "--listen", collectorAddr, "--db", collectorDir+"/collector.db",
		"--admin-token-file", collectorDir+"/admin.token", "--key", collectorDir+"/collector.key")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start collector: %w", err)
	}
	c := &collector{cmd: cmd, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	ok := waitFor("collector listening", 30*time.Second, func() bool {
		_, err := c.admin("GET", "/v1/admin/issuers", nil, nil)
		return err == nil
	})
	if !ok {
		return nil, fmt.Errorf("collector did not answer on %s", collectorAddr)
	}
	return c, nil
}

func (c *collector) admin(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+collectorAddr+path, rd)
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

// setup makes the venue, registers the card issuer (its public key, as in
// trust.json) with the card revoked on the kiosk revoked here too, and
// returns a one-time enrollment token.
func (c *collector) setup(revokedCard string) (string, error) {
	pemBytes, err := os.ReadFile("/cards/keys/issuer.pub")
	if err != nil {
		return "", err
	}
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		return "", fmt.Errorf("issuer.pub: no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return "", fmt.Errorf("issuer.pub: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return "", fmt.Errorf("issuer.pub: %T, want Ed25519", k)
	}
	if _, err := c.admin("POST", "/v1/admin/venues", map[string]string{"id": venue, "name": "VM hall"}, nil); err != nil {
		return "", err
	}
	if _, err := c.admin("POST", "/v1/admin/issuers", map[string]any{"id": "vm-centre", "public_key": []byte(pub), "venues": []string{venue}}, nil); err != nil {
		return "", err
	}
	if _, err := c.admin("POST", "/v1/admin/cards/"+revokedCard+"/revoke", nil, nil); err != nil {
		return "", err
	}
	var tok struct {
		Token string `json:"token"`
	}
	if _, err := c.admin("POST", "/v1/admin/venues/"+venue+"/enroll-tokens", map[string]string{"ttl": "1h"}, &tok); err != nil {
		return "", err
	}
	return tok.Token, nil
}

type visit struct {
	Device   string `json:"device"`
	Seq      int64  `json:"seq"`
	CardID   string `json:"card_id"`
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

func (c *collector) visits() ([]visit, error) {
	var vs []visit
	_, err := c.admin("GET", "/v1/admin/venues/"+venue+"/visits?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", nil, &vs)
	return vs, err
}

// sameRows checks the collector holds each local row exactly once, with
// the same decision, reason and card.
func sameRows(local []checkin, remote []visit) (bool, string) {
	seen := map[int64]int{}
	var dev string
	for _, v := range remote {
		seen[v.Seq]++
		if dev == "" {
			dev = v.Device
		}
		if v.Device != dev {
			return false, fmt.Sprintf("rows from two devices %s and %s", dev, v.Device)
		}
	}
	for s, n := range seen {
		if n != 1 {
			return false, fmt.Sprintf("seq %d held %d times", s, n)
		}
	}
	if len(remote) != len(local) {
		return false, fmt.Sprintf("collector holds %d rows, kiosk %d", len(remote), len(local))
	}
	bySeq := map[int64]visit{}
	for _, v := range remote {
		bySeq[v.Seq] = v
	}
	for _, l := range local {
		v, ok := bySeq[l.Seq]
		if !ok || v.Decision != l.Decision || v.Reason != l.Reason || v.CardID != l.Card {
			return false, fmt.Sprintf("seq %d: kiosk %+v, collector %+v (present %v)", l.Seq, l, v, ok)
		}
	}
	return true, fmt.Sprintf("%d rows, each once, matching", len(local))
}
