package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/scanner"
)

func init() {
	register(command{name: "verify", summary: "verify a card's QR text or image against a trust list", run: runVerify})
}

// verifyJSON is the --json output, one object.
type verifyJSON struct {
	Valid  bool          `json:"valid"`
	Reason idcode.Reason `json:"reason"`
	Detail string        `json:"detail,omitempty"`
	Card   *cardJSON     `json:"card"`
}

type cardJSON struct {
	Issuer     string     `json:"issuer"`
	IssuerName string     `json:"issuer_name,omitempty"`
	Subject    string     `json:"subject,omitempty"`
	Name       string     `json:"name,omitempty"`
	Category   string     `json:"category"`
	CardID     string     `json:"card_id"`
	KID        string     `json:"kid"`
	IssuedAt   time.Time  `json:"issued_at"`
	NotBefore  *time.Time `json:"not_before,omitempty"`
	Expires    time.Time  `json:"expires"`
}

func runVerify(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("verify", flag.ContinueOnError)
	fl.SetOutput(stderr)
	trustPath := fl.String("trust", "", "signed trust list (`trust.json`, required)")
	revPath := fl.String("revocations", "", "signed revocation list (`revocations.json`); without it revocations are not checked")
	venue := fl.String("venue", "", "venue id of the checking device, for issuers restricted to venues")
	listKeyPath := fl.String("list-key", "", "pinned list key (`PUB.pem`); without it trust.json must be signed by a key it lists")
	image := fl.String("image", "", "read the QR text from this image `file` (PNG, JPEG, PGM)")
	at := fl.String("at", "", "verify as of this RFC 3339 `time` instead of now")
	asJSON := fl.Bool("json", false, "print the verdict as one JSON object")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: scangate verify --trust trust.json [--revocations r.json] [--venue V] [--list-key PUB.pem] (TEXT | --image card.png) [--json]")
		fl.PrintDefaults()
	}
	rest, err := parseFlagsAnywhere(fl, args)
	if err != nil {
		return 2
	}
	if *trustPath == "" || (len(rest) == 0) == (*image == "") || len(rest) > 1 {
		fl.Usage()
		return 2
	}
	now := time.Now()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			return errorf(stderr, "verify: --at %q: want RFC 3339, e.g. 2027-01-31T09:00:00+08:00", *at)
		}
	}

	trustData, err := os.ReadFile(*trustPath)
	if err != nil {
		return errorf(stderr, "verify: %v", err)
	}
	var list *idcode.TrustList
	var listKey ed25519.PublicKey
	if *listKeyPath != "" {
		pemData, err := os.ReadFile(*listKeyPath)
		if err != nil {
			return errorf(stderr, "verify: %v", err)
		}
		if listKey, err = idcode.ParsePublicKey(pemData); err != nil {
			return errorf(stderr, "verify: %s: %v", *listKeyPath, err)
		}
		list, err = idcode.OpenTrustList(trustData, []ed25519.PublicKey{listKey})
		if err != nil {
			return errorf(stderr, "verify: %s: %v", *trustPath, err)
		}
	} else {
		list, listKey, err = idcode.OpenSelfSignedTrustList(trustData)
		if err != nil {
			return errorf(stderr, "verify: %s: %v", *trustPath, err)
		}
	}
	var revs *idcode.RevocationList
	if *revPath != "" {
		data, err := os.ReadFile(*revPath)
		if err != nil {
			return errorf(stderr, "verify: %v", err)
		}
		if revs, err = idcode.OpenRevocations(data, []ed25519.PublicKey{listKey}); err != nil {
			return errorf(stderr, "verify: %s: %v", *revPath, err)
		}
	} else if !*asJSON {
		fmt.Fprintln(stderr, "scangate: note: no --revocations given; revoked cards are not detected")
	}
	trust, err := idcode.NewTrust(list, revs, idcode.TrustOptions{Venue: *venue, RevocationsOptional: revs == nil})
	if err != nil {
		return errorf(stderr, "verify: %v", err)
	}

	text := ""
	if *image != "" {
		if text, err = scanner.DecodeFile(*image); err != nil {
			return errorf(stderr, "verify: no QR code read from %s: %v", *image, err)
		}
	} else {
		text = rest[0]
	}
	v := idcode.VerifyText(text, trust, now)
	printVerdict(stdout, v, *asJSON)
	if v.Valid {
		return 0
	}
	return 1
}

func printVerdict(w io.Writer, v idcode.Verdict, asJSON bool) {
	var cj *cardJSON
	if c := v.Card; c != nil {
		cj = &cardJSON{Issuer: c.Issuer, Subject: c.Subject, Name: c.Name, Category: c.Category,
			CardID: c.CardIDHex(), KID: hex.EncodeToString(c.KID[:]), IssuedAt: c.IssuedAt, Expires: c.Expires}
		if !c.NotBefore.IsZero() {
			nb := c.NotBefore
			cj.NotBefore = &nb
		}
		if v.Issuer != nil {
			cj.IssuerName = v.Issuer.Name
		}
	}
	if asJSON {
		b, _ := json.Marshal(verifyJSON{Valid: v.Valid, Reason: v.Reason, Detail: v.Detail, Card: cj})
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	if v.Valid {
		fmt.Fprintln(w, "valid")
	} else {
		fmt.Fprintf(w, "refused: %s", v.Reason)
		if v.Detail != "" {
			fmt.Fprintf(w, " (%s)", v.Detail)
		}
		fmt.Fprintln(w)
	}
	if cj == nil {
		return
	}
	issuer := cj.Issuer
	if cj.IssuerName != "" {
		issuer += " (" + cj.IssuerName + ")"
	}
	row := func(k, val string) {
		if val != "" {
			fmt.Fprintf(w, "  %-10s %s\n", k, val)
		}
	}
	row("issuer", issuer)
	row("name", cj.Name)
	row("category", cj.Category)
	row("subject", cj.Subject)
	row("card id", cj.CardID)
	row("kid", cj.KID)
	row("issued", cj.IssuedAt.Format(time.RFC3339))
	if cj.NotBefore != nil {
		row("valid from", cj.NotBefore.Format(time.RFC3339))
	}
	row("expires", cj.Expires.Format(time.RFC3339))
}
