//go:build !kiosk

package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/scangate/scangate/idcode"
)

// File names keygen writes into --out; scripts rely on them.
const (
	keygenKeyName         = "issuer.key"
	keygenPubName         = "issuer.pub"
	keygenTrustName       = "trust.json"
	keygenRevocationsName = "revocations.json"
)

func init() {
	register(command{name: "keygen", summary: "create an issuer key with its trust and revocation lists", run: runKeygen})
	register(command{name: "revoke", summary: "add card ids to a signed revocation list", run: runRevoke})
}

// readPassphraseFile returns the first line of path, or nil when path is "".
func readPassphraseFile(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("passphrase file: %w", err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return nil, fmt.Errorf("passphrase file %s: first line is empty", path)
	}
	return line, nil
}

// replaceFileAtomically replaces path with data so a reader never sees half a list.
func replaceFileAtomically(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func runKeygen(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fl.SetOutput(stderr)
	issuer := fl.String("issuer", "", "issuer id written into every card (`ID`, required), e.g. org.example.venue")
	out := fl.String("out", "", "directory for issuer.key, issuer.pub, trust.json, revocations.json (required)")
	name := fl.String("name", "", "issuer display name, e.g. \"Venue Org\"")
	passFile := fl.String("passphrase-file", "", "encrypt issuer.key with the first line of this `file`")
	force := fl.Bool("force", false, "replace an existing issuer.key (cards signed by the old key stop verifying)")
	trustValid := fl.Duration("trust-valid", 2*365*24*time.Hour, "how long the trust list stays current")
	revValid := fl.Duration("revocations-valid", 365*24*time.Hour, "how long the revocation list stays current")
	maxAge := fl.Duration("max-trust-age", defaultMaxTrustAge, "the kiosks' policy.max_trust_age, to print when they will refuse cards")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: scangate keygen --issuer ID --out DIR [--name NAME] [--passphrase-file F] [--force]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		return errorf(stderr, "keygen: unexpected argument %q", fl.Arg(0))
	}
	if *issuer == "" || *out == "" {
		fl.Usage()
		return 2
	}
	if len(*issuer) > idcode.MaxIssuerLen {
		return errorf(stderr, "keygen: --issuer is longer than %d bytes", idcode.MaxIssuerLen)
	}
	if *trustValid <= 0 || *revValid <= 0 || *maxAge <= 0 {
		return errorf(stderr, "keygen: validity periods and --max-trust-age must be positive")
	}
	pass, err := readPassphraseFile(*passFile)
	if err != nil {
		return errorf(stderr, "keygen: %v", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return errorf(stderr, "keygen: %v", err)
	}
	keyPath := filepath.Join(*out, keygenKeyName)
	if _, err := os.Stat(keyPath); err == nil && !*force {
		return errorf(stderr, "keygen: %s already exists; pass --force to replace it (cards signed by it will stop verifying)", keyPath)
	}

	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return errorf(stderr, "keygen: %v", err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	trustList := idcode.TrustList{Version: 1, IssuedAt: now, Expires: now.Add(*trustValid),
		Issuers: []idcode.Issuer{{ID: *issuer, Name: *name, PublicKey: pub}}}
	trust, err := idcode.SignTrustList(trustList, key)
	if err != nil {
		return errorf(stderr, "keygen: %v", err)
	}
	revList := idcode.RevocationList{Version: 1, IssuedAt: now, Expires: now.Add(*revValid), CardIDs: []string{}}
	revs, err := idcode.SignRevocations(revList, key)
	if err != nil {
		return errorf(stderr, "keygen: %v", err)
	}
	pubPEM, err := idcode.MarshalPublicKey(pub)
	if err != nil {
		return errorf(stderr, "keygen: %v", err)
	}

	// The key goes to a fresh name first and is renamed into place, so a
	// failed run never leaves a half-written or missing issuer.key.
	tmpKey := keyPath + ".new"
	os.Remove(tmpKey)
	if err := idcode.WritePrivateKey(tmpKey, key, pass); err != nil {
		return errorf(stderr, "keygen: %v", err)
	}
	if err := os.Rename(tmpKey, keyPath); err != nil {
		os.Remove(tmpKey)
		return errorf(stderr, "keygen: %v", err)
	}
	files := []struct {
		name string
		data []byte
	}{{keygenPubName, pubPEM}, {keygenTrustName, trust}, {keygenRevocationsName, revs}}
	for _, f := range files {
		if err := replaceFileAtomically(filepath.Join(*out, f.name), f.data, 0o644); err != nil {
			return errorf(stderr, "keygen: %v", err)
		}
	}
	kid := idcode.KeyID(pub)
	fmt.Fprintf(stdout, "kid          %s\n", hex.EncodeToString(kid[:]))
	fmt.Fprintf(stdout, "private key  %s\n", keyPath)
	fmt.Fprintf(stdout, "public key   %s (for trust.list_keys, also as text: %q)\n", filepath.Join(*out, keygenPubName),
		base64.StdEncoding.EncodeToString(pub))
	fmt.Fprintf(stdout, "trust list   %s (v1, expires %s)\n", filepath.Join(*out, keygenTrustName), now.Add(*trustValid).Format(time.DateOnly))
	fmt.Fprintf(stdout, "revocations  %s (v1, expires %s)\n", filepath.Join(*out, keygenRevocationsName), now.Add(*revValid).Format(time.DateOnly))
	printRefusal(stdout, &trustList, &revList, *maxAge)
	if pass == nil {
		fmt.Fprintln(stderr, "scangate: note: issuer.key is not encrypted; use --passphrase-file to protect it")
	}
	return 0
}

// loadSigningKey loads a private key with the flag names in its messages.
func loadSigningKey(stderr io.Writer, cmd, path, passFile string) (ed25519.PrivateKey, int) {
	pass, err := readPassphraseFile(passFile)
	if err != nil {
		return nil, errorf(stderr, "%s: %v", cmd, err)
	}
	key, err := idcode.LoadPrivateKey(path, pass)
	switch {
	case errors.Is(err, idcode.ErrKeyMissing):
		return nil, errorf(stderr, "%s: key file %s does not exist (create one with: scangate keygen --issuer ID --out DIR)", cmd, path)
	case errors.Is(err, idcode.ErrPassphraseRequired):
		return nil, errorf(stderr, "%s: key file %s is encrypted: give --passphrase-file", cmd, path)
	case errors.Is(err, idcode.ErrWrongPassphrase):
		return nil, errorf(stderr, "%s: wrong passphrase for key file %s", cmd, path)
	case errors.Is(err, idcode.ErrNotEd25519):
		return nil, errorf(stderr, "%s: %s is not an Ed25519 private key", cmd, path)
	case err != nil:
		return nil, errorf(stderr, "%s: %v", cmd, err)
	}
	return key, 0
}

func runRevoke(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("revoke", flag.ContinueOnError)
	fl.SetOutput(stderr)
	keyPath := fl.String("key", "", "list key that signs the revocation list (`KEY.pem`, required; the issuer key in a single-issuer setup)")
	revPath := fl.String("revocations", "", "signed revocation list to update (`FILE`, required; created when absent)")
	passFile := fl.String("passphrase-file", "", "passphrase for the key, first line of this `file`")
	valid := fl.Duration("valid", 365*24*time.Hour, "how long the new list stays current")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: scangate revoke --key KEY --revocations FILE [--passphrase-file F] CARDID...")
		fl.PrintDefaults()
	}
	rest, err := parseFlagsAnywhere(fl, args)
	if err != nil {
		return 2
	}
	if *keyPath == "" || *revPath == "" || len(rest) == 0 {
		fl.Usage()
		return 2
	}
	if *valid <= 0 {
		return errorf(stderr, "revoke: --valid must be positive")
	}
	var add []string
	for _, s := range rest {
		id, err := idcode.ParseCardID(s)
		if err != nil {
			return errorf(stderr, "revoke: %v", err)
		}
		add = append(add, hex.EncodeToString(id))
	}
	key, code := loadSigningKey(stderr, "revoke", *keyPath, *passFile)
	if code != 0 {
		return code
	}
	list := &idcode.RevocationList{}
	data, err := os.ReadFile(*revPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(stderr, "scangate: note: %s does not exist; starting a new revocation list\n", *revPath)
	case err != nil:
		return errorf(stderr, "revoke: %v", err)
	default:
		list, err = idcode.OpenRevocations(data, []ed25519.PublicKey{key.Public().(ed25519.PublicKey)})
		if err != nil {
			return errorf(stderr, "revoke: %s: %v (is --key the key that signed it?)", *revPath, err)
		}
	}
	added := 0
	for _, id := range add {
		if !slices.Contains(list.CardIDs, id) {
			list.CardIDs = append(list.CardIDs, id)
			added++
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	list.Version++
	list.IssuedAt, list.Expires = now, now.Add(*valid)
	signed, err := idcode.SignRevocations(*list, key)
	if err != nil {
		return errorf(stderr, "revoke: %v", err)
	}
	if err := replaceFileAtomically(*revPath, signed, 0o644); err != nil {
		return errorf(stderr, "revoke: %v", err)
	}
	fmt.Fprintf(stdout, "revocations %s: v%d, %d card ids (%d added), expires %s\n",
		*revPath, list.Version, len(list.CardIDs), added, list.Expires.Format(time.DateOnly))
	return 0
}
