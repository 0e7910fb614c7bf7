package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/scangate/scangate/door"

	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/gate"
	"github.com/scangate/scangate/idcode"
)

func init() {
	register(command{name: "selftest", summary: "check a running kiosk has proven itself (frames, store, decisions); used to confirm an update", run: runSelftest})
}

// runSelftest is what the image runs before marking a freshly booted root
// slot good. There is no way to hold a card to a real camera from software,
// so the proof has two halves: the running daemon reports camera frames
// arriving and a writable store, and this binary (built from the same
// source in the same image) decides a self-test card through the gate's
// own code path: parse, signature, trust lookup, policy, ledger. The card
// is signed by a key made for the test and checked against a trust list
// holding only that key, in memory: the device's trust data and check-ins
// are neither read nor written.
func runSelftest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("selftest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sock := dataFlag(fs)
	wait := fs.Duration("wait", 2*time.Minute, "keep retrying this long for the kiosk to become healthy")
	window := fs.Duration("window", 3*time.Second, "time over which camera frames must advance")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := selfTestDecisions(context.Background()); err != nil {
		fmt.Fprintf(stderr, "selftest: gate: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "selftest: gate: self-test card passes, repeats as already checked in, forgery refused")

	client := control.NewClient(sock())
	deadline := time.Now().Add(*wait)
	for {
		err := checkDaemon(client, *window)
		if err == nil {
			fmt.Fprintln(stdout, "selftest: daemon: ready, camera frames arriving, store ok")
			return 0
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(stderr, "selftest: daemon: %v\n", err)
			return 1
		}
		time.Sleep(2 * time.Second)
	}
}

// checkDaemon reads the status twice, window apart, and reports the first
// reason the kiosk is not yet proven.
func checkDaemon(c *control.Client, window time.Duration) error {
	status := func() (control.Status, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return c.Status(ctx)
	}
	first, err := status()
	if err != nil {
		return err
	}
	if err := healthy(first); err != nil {
		return err
	}
	time.Sleep(window)
	second, err := status()
	if err != nil {
		return err
	}
	if err := healthy(second); err != nil {
		return err
	}
	return framesAdvance(first, second)
}

func healthy(st control.Status) error {
	if !st.Ready {
		return errors.New("kiosk not ready")
	}
	if st.Store.Health != "ok" {
		msg := "store " + st.Store.Health
		if st.Store.LastError != "" {
			msg += ": " + st.Store.LastError
		}
		return errors.New(msg)
	}
	if len(st.Sources) == 0 {
		return errors.New("no input source configured")
	}
	return nil
}

// framesAdvance requires every camera to have delivered frames between the
// two readings; a kiosk with only scanners has nothing to count.
func framesAdvance(before, after control.Status) error {
	for _, s := range after.Sources {
		if s.Kind != "camera" {
			continue
		}
		i := slices.IndexFunc(before.Sources, func(b control.SourceStatus) bool { return b.Name == s.Name })
		if i < 0 || s.Frames <= before.Sources[i].Frames {
			return fmt.Errorf("camera %s: no frames arriving (state %s)", s.Name, s.State)
		}
	}
	return nil
}

// selfTestDecisions decides the built-in self-test card three ways and
// checks each outcome.
func selfTestDecisions(ctx context.Context) error {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	now := time.Now()
	list := &idcode.TrustList{Version: 1, IssuedAt: now.Add(-time.Hour), Expires: now.Add(time.Hour),
		Issuers: []idcode.Issuer{{ID: "selftest", PublicKey: pub}}}
	trust, err := idcode.NewTrust(list, nil, idcode.TrustOptions{RevocationsOptional: true, FetchedAt: now})
	if err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	id, err := idcode.NewCardID()
	if err != nil {
		return err
	}
	text, err := idcode.Sign(idcode.Claims{Issuer: "selftest", Subject: "selftest", IssuedAt: now.Add(-time.Minute),
		Expires: now.Add(time.Hour), CardID: id, Name: "自*检", Category: idcode.CategoryStaff}, key)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	g, err := gate.New(gate.Options{Ledger: &memoryLedger{}, Trust: fixedTrust{trust},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	forged := []byte(text)
	forged[len(forged)/2] = pick(forged[len(forged)/2], "0", "1")
	for _, step := range []struct {
		text string
		want door.Outcome
	}{{text, door.Pass}, {text, door.AlreadyIn}, {string(forged), door.Fail}} {
		d := g.Decide(ctx, door.Code{Text: step.text, Source: "selftest", SeenAt: time.Now()})
		if d.Outcome != step.want {
			return fmt.Errorf("decided %s (%s), want %s", d.Outcome, d.Reason, step.want)
		}
	}
	return nil
}

// pick returns the first byte of a, or of b when that is c itself.
func pick(c byte, a, b string) byte {
	if c == a[0] {
		return b[0]
	}
	return a[0]
}

type fixedTrust struct{ t *idcode.Trust }

func (f fixedTrust) Trust() *idcode.Trust { return f.t }

// memoryLedger keeps the self-test's check-ins in memory only.
type memoryLedger struct {
	mu      sync.Mutex
	entries []door.Entry
}

func (l *memoryLedger) Record(_ context.Context, e door.Entry) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
	return int64(len(l.entries)), nil
}

func (l *memoryLedger) AdmittedSince(_ context.Context, cardID string, since time.Time) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.entries {
		if e.CardID == cardID && e.Outcome == door.Pass && !e.At.Before(since) {
			return true, nil
		}
	}
	return false, nil
}

func (l *memoryLedger) Pseudonym(text string) string {
	sum := sha256.Sum256([]byte("selftest:" + text))
	return hex.EncodeToString(sum[:])
}
