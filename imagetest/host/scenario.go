package main

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const venue = "hall-1"

// kioskConfig is the scangate.toml the technician puts on the card: the
// serial scanner QEMU plays, a framebuffer screen, the host's collector.
func kioskConfig(o options, token string) string {
	return fmt.Sprintf(`# imagetest
[device]
name = "imagetest"
venue = %q

[camera]
enabled = false

[serial]
enabled = true
device = "/dev/ttyUSB0"

[gpio]
enabled = false

[screen]
type = "fb"
fb = "/dev/fb0"

[uplink]
enabled = true
url = "http://10.0.2.2:%d"
collector_key = "/boot/collector.pub"
enroll_token = %q
poll_interval = "2s"

[update]
url = %q
`, venue, o.collectorPort, token, updateURL(o))
}

// updateURL is the bundle the fleet is told to run: B's.
func updateURL(o options) string {
	_, url := bundleURL(o, "b")
	return url
}

type card struct{ qr, id string }

// cards issues n cards with the host's scangate and returns their codes.
func cards(o options, n int) (string, []card, error) {
	dir := filepath.Join(o.work, "cards")
	sg := func(args ...string) error {
		cmd := exec.Command(o.scangate, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("scangate %s: %w: %s", args[0], err, out)
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	if err := sg("keygen", "--issuer", "it-centre", "--out", "keys"); err != nil {
		return "", nil, err
	}
	var cs []card
	for i := 0; i < n; i++ {
		out := fmt.Sprintf("c%d.png", i)
		if err := sg("issue", "--key", "keys/issuer.key", "--name", fmt.Sprintf("王%d英", i), "--category", "elder", "--out", out); err != nil {
			return "", nil, err
		}
		b, err := os.ReadFile(filepath.Join(dir, out+".json"))
		if err != nil {
			return "", nil, err
		}
		var meta []struct {
			QR     string `json:"qr"`
			CardID string `json:"card_id"`
		}
		if err := json.Unmarshal(b, &meta); err != nil || len(meta) == 0 {
			return "", nil, fmt.Errorf("%s.json: %v", out, err)
		}
		cs = append(cs, card{meta[0].QR, meta[0].CardID})
	}
	return filepath.Join(dir, "keys", "issuer.pub"), cs, nil
}

func (c *collector) setup(issuerPub string) (string, error) {
	b, err := os.ReadFile(issuerPub)
	if err != nil {
		return "", err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return "", fmt.Errorf("%s: no PEM block", issuerPub)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return "", fmt.Errorf("%s: %w", issuerPub, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return "", fmt.Errorf("%s: %T, want Ed25519", issuerPub, k)
	}
	if _, err := c.admin("POST", "/v1/admin/venues", map[string]string{"id": venue, "name": "imagetest hall"}, nil); err != nil {
		return "", err
	}
	if _, err := c.admin("POST", "/v1/admin/issuers", map[string]any{"id": "it-centre", "public_key": []byte(pub), "venues": []string{venue}}, nil); err != nil {
		return "", err
	}
	var tok struct {
		Token string `json:"token"`
	}
	if _, err := c.admin("POST", "/v1/admin/venues/"+venue+"/enroll-tokens", map[string]string{"ttl": "2h"}, &tok); err != nil {
		return "", err
	}
	return tok.Token, nil
}

// putBoot copies a file onto the card's FAT boot partition (at 4 MiB, as
// genimage.cfg lays it out), as a technician does from a PC.
func (o options) putBoot(name string, data []byte) error {
	src := filepath.Join(o.work, "put-"+name)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		return err
	}
	out, err := exec.Command("mcopy", "-o", "-i", o.disk+"@@4M", src, "::"+name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mcopy %s: %w: %s", name, err, out)
	}
	return nil
}

// slotState is what the guest says about its boot.
type slotState struct {
	booted, order string
	aLeft, bLeft  string
	marked        bool
}

func (v *vm) state() slotState {
	// Whether the slot is marked first: the counters read after it then
	// show what marking wrote.
	marked := v.out("systemctl show -p Result --value scangate-mark-good") == "success" &&
		v.out("systemctl show -p ActiveState --value scangate-mark-good") == "active"
	env := v.out("fw_printenv BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT")
	get := func(k string) string {
		for _, l := range strings.Split(env, "\n") {
			if strings.HasPrefix(l, k+"=") {
				return strings.TrimPrefix(l, k+"=")
			}
		}
		return "?"
	}
	return slotState{
		booted: v.out(`sed -n 's/.*rauc\.slot=\([AB]\).*/\1/p' /proc/cmdline`),
		order:  get("BOOT_ORDER"), aLeft: get("BOOT_A_LEFT"), bLeft: get("BOOT_B_LEFT"),
		marked: marked,
	}
}

func (s slotState) String() string {
	return fmt.Sprintf("booted %s, BOOT_ORDER=%q, tries A=%s B=%s, mark-good %v", s.booted, s.order, s.aLeft, s.bLeft, s.marked)
}

// waitGood waits for the system up on slot want and its self-test passed.
func (v *vm) waitGood(want string, timeout time.Duration) (slotState, bool) {
	var s slotState
	p := v.patience(timeout)
	if !v.waitAgent(timeout) {
		return s, false
	}
	for !p.over() {
		s = v.state()
		if s.booted == want && s.marked {
			return s, true
		}
		if s.booted != "" && s.booted != want {
			return s, false
		}
		time.Sleep(2 * time.Second)
	}
	return s, false
}

// uploaded waits until the collector holds n visits.
func (c *collector) uploaded(n int, timeout time.Duration) ([]visit, bool) {
	var vs []visit
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(time.Second) {
		var err error
		if vs, err = c.visits(); err == nil && len(vs) >= n {
			return vs, len(vs) == n
		}
	}
	return vs, false
}

func devices(vs []visit) string {
	seen := map[string]bool{}
	var ds []string
	for _, v := range vs {
		if !seen[v.Device] {
			seen[v.Device] = true
			ds = append(ds, v.Device)
		}
	}
	return strings.Join(ds, ",")
}
