//go:build !kiosk

package main

import (
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/scangate/scangate/idcode"
)

// defaultMaxTrustAge is the kiosk's policy.max_trust_age default
// (config.Default): lists installed from files count their age from their
// own issue date.
const defaultMaxTrustAge = 28 * 24 * time.Hour

func init() {
	register(command{name: "trust", summary: "renew the signed trust and revocation lists with the same key (trust renew)", run: runTrust})
}

func runTrust(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "renew" {
		fmt.Fprintln(stderr, "usage: scangate trust renew --key issuer.key --out DIR [--from DIR] [--valid-for D] [--max-trust-age D]")
		return 2
	}
	return runTrustRenew(args[1:], stdout, stderr)
}

// runTrustRenew re-signs the lists in force with the same key and higher
// versions, keeping every issuer and every revocation, so an offline kiosk
// whose trust data ages out (policy.max_trust_age from the list's issue
// date) gets fresh lists without a new key: printed cards stay valid.
func runTrustRenew(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("trust renew", flag.ContinueOnError)
	fl.SetOutput(stderr)
	keyPath := fl.String("key", "", "the key that signed the current lists (`issuer.key`, required)")
	out := fl.String("out", "", "directory to write trust.json and revocations.json into (required)")
	from := fl.String("from", "", "directory holding the current trust.json and revocations.json (default: --out)")
	passFile := fl.String("passphrase-file", "", "passphrase for the key, first line of this `file`")
	validFor := fl.Duration("valid-for", 0, "how long the new lists stay current (default: each list's previous span)")
	maxAge := fl.Duration("max-trust-age", defaultMaxTrustAge, "the kiosks' policy.max_trust_age, to print when they will refuse cards")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: scangate trust renew --key issuer.key --out DIR [--from DIR] [--valid-for D] [--max-trust-age D] [--passphrase-file F]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		return errorf(stderr, "trust renew: unexpected argument %q", fl.Arg(0))
	}
	if *keyPath == "" || *out == "" {
		fl.Usage()
		return 2
	}
	if *validFor < 0 || *maxAge <= 0 {
		return errorf(stderr, "trust renew: --valid-for must not be negative and --max-trust-age must be positive")
	}
	if *from == "" {
		*from = *out
	}
	key, code := loadSigningKey(stderr, "trust renew", *keyPath, *passFile)
	if code != 0 {
		return code
	}
	pinned := []ed25519.PublicKey{key.Public().(ed25519.PublicKey)}
	read := func(name string) ([]byte, error) {
		p := filepath.Join(*from, name)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s not found: give --from the directory with the current lists (keygen's --out)", p)
		}
		return b, err
	}
	tb, err := read(keygenTrustName)
	if err != nil {
		return errorf(stderr, "trust renew: %v", err)
	}
	list, err := idcode.OpenTrustList(tb, pinned)
	if err != nil {
		return errorf(stderr, "trust renew: %s: %v (is --key the key that signed it?)", filepath.Join(*from, keygenTrustName), err)
	}
	// Without the revocation list in force a renewal would un-revoke
	// every card on it: it is required, never started afresh.
	rb, err := read(keygenRevocationsName)
	if err != nil {
		return errorf(stderr, "trust renew: %v", err)
	}
	rev, err := idcode.OpenRevocations(rb, pinned)
	if err != nil {
		return errorf(stderr, "trust renew: %s: %v (is --key the key that signed it?)", filepath.Join(*from, keygenRevocationsName), err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	span := func(issued, expires time.Time) time.Duration {
		if *validFor > 0 {
			return *validFor
		}
		return max(expires.Sub(issued), 24*time.Hour)
	}
	list.Version++
	list.IssuedAt, list.Expires = now, now.Add(span(list.IssuedAt, list.Expires))
	rev.Version++
	rev.IssuedAt, rev.Expires = now, now.Add(span(rev.IssuedAt, rev.Expires))
	signedList, err := idcode.SignTrustList(*list, key)
	if err != nil {
		return errorf(stderr, "trust renew: %v", err)
	}
	signedRev, err := idcode.SignRevocations(*rev, key)
	if err != nil {
		return errorf(stderr, "trust renew: %v", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return errorf(stderr, "trust renew: %v", err)
	}
	// Revocations first: a run cut in between leaves the old trust list
	// beside new revocations, which a kiosk takes as they are.
	for _, f := range []struct {
		name string
		data []byte
	}{{keygenRevocationsName, signedRev}, {keygenTrustName, signedList}} {
		if err := replaceFileAtomically(filepath.Join(*out, f.name), f.data, 0o644); err != nil {
			return errorf(stderr, "trust renew: %v", err)
		}
	}
	fmt.Fprintf(stdout, "trust list   %s (v%d, %d issuers, expires %s)\n", filepath.Join(*out, keygenTrustName), list.Version,
		len(list.Issuers), list.Expires.Format(time.DateOnly))
	fmt.Fprintf(stdout, "revocations  %s (v%d, %d card ids, expires %s)\n", filepath.Join(*out, keygenRevocationsName), rev.Version,
		len(rev.CardIDs), rev.Expires.Format(time.DateOnly))
	printRefusal(stdout, list, rev, *maxAge)
	return 0
}

// printRefusal says when kiosks that install these lists from files will
// refuse every card: the lists' expiry or their age reaching max_trust_age
// (counted from their issue date), whichever comes first.
func printRefusal(w io.Writer, list *idcode.TrustList, rev *idcode.RevocationList, maxAge time.Duration) {
	t, err := idcode.NewTrust(list, rev, idcode.TrustOptions{MaxAge: maxAge})
	if err != nil {
		return
	}
	from := t.StaleFrom()
	fmt.Fprintf(w, "cards refused from %s on kiosks with these lists from files (max_trust_age %s after issue);\n",
		from.Local().Format("2006-01-02 15:04 MST"), days(maxAge))
	fmt.Fprintln(w, "             renew before then: scangate trust renew --key issuer.key --out DIR")
}

// days writes whole days as "28 days", anything else as a duration.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
