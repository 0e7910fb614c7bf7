//go:build !kiosk

package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/scangate/scangate/cards"
	"github.com/scangate/scangate/fonts"
	"github.com/scangate/scangate/idcode"
)

func init() {
	register(command{name: "issue", summary: "issue identity cards as PDF or PNG, one or a CSV batch", run: runIssue})
}

// defaultValidDays is how long a card is valid when neither --expires nor
// the CSV row says: a year, so lost cards age out on their own.
const defaultValidDays = 365

func runIssue(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("issue", flag.ContinueOnError)
	fl.SetOutput(stderr)
	keyPath := fl.String("key", "", "issuer private key (PKCS#8 PEM, from scangate keygen)")
	passFile := fl.String("passphrase-file", "", "file holding the key's passphrase, if the key is encrypted")
	issuer := fl.String("issuer", "", "issuer id (default: from "+keygenTrustName+" beside the key)")
	issuerName := fl.String("issuer-name", "", "issuer name printed on the card (default: from "+keygenTrustName+")")
	name := fl.String("name", "", "holder's full name, printed on the card (the QR holds it masked)")
	category := fl.String("category", "", "elder, child, companion or staff (or 长者, 儿童, 陪同, 员工)")
	photo := fl.String("photo", "", "holder's photo, JPEG or PNG (optional)")
	subject := fl.String("subject", "", "pseudonymous holder id put in the card (default: random)")
	expires := fl.String("expires", "", "last day the card is valid, YYYY-MM-DD")
	validDays := fl.Int("valid-days", defaultValidDays, "days the card is valid from today, when --expires is not given")
	csvPath := fl.String("csv", "", "issue one card per row of this CSV (columns name,category,expires,photo)")
	out := fl.String("out", "", "card.pdf or card.png; with --csv: sheet.pdf (A4, 8 a page) or a directory for PNGs")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: scangate issue --key KEY.pem --name NAME --category CAT [--photo F] [--expires YYYY-MM-DD] --out card.pdf|card.png")
		fmt.Fprintln(stderr, "       scangate issue --key KEY.pem --csv people.csv --out sheet.pdf|DIR")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
		return errorf(stderr, "issue: unexpected argument %q", fl.Arg(0))
	}
	switch {
	case *keyPath == "":
		return errorf(stderr, "issue: --key is required (create one with scangate keygen)")
	case *out == "":
		return errorf(stderr, "issue: --out is required (card.pdf, card.png, sheet.pdf or a directory)")
	case (*name == "") == (*csvPath == ""):
		return errorf(stderr, "issue: give either --name (one card) or --csv (a batch)")
	case *csvPath != "" && (*category != "" || *photo != "" || *subject != ""):
		return errorf(stderr, "issue: --category, --photo and --subject are per card; with --csv they come from its columns")
	case *validDays < 1:
		return errorf(stderr, "issue: --valid-days must be at least 1")
	}
	kind, err := outputKind(*out, *csvPath != "")
	if err != nil {
		return errorf(stderr, "issue: %v", err)
	}

	now := time.Now()
	defaultExp := endOfDay(now.AddDate(0, 0, *validDays))
	if *expires != "" {
		d, err := parseDate(*expires)
		if err != nil {
			return errorf(stderr, "issue: --expires %q: %v", *expires, err)
		}
		defaultExp = endOfDay(d)
	}

	var rows []rosterRow
	var photoDir string
	if *csvPath != "" {
		data, err := os.ReadFile(*csvPath)
		if err != nil {
			return errorf(stderr, "issue: read CSV: %v", err)
		}
		if rows, err = parseRoster(data); err != nil {
			return errorf(stderr, "issue: %s: %v", *csvPath, err)
		}
		photoDir = filepath.Dir(*csvPath)
	} else {
		cat, ok := cards.LookupCategory(*category)
		if !ok {
			return errorf(stderr, "issue: unknown category %q: want elder, child, companion or staff", *category)
		}
		rows = []rosterRow{{Name: strings.TrimSpace(*name), Category: cat.Key, Photo: *photo, Subject: *subject}}
	}

	// Every name must print: a character no font has stops the whole run
	// before anything is signed or written, naming the row and the
	// character (and its code point, for one that shows as a box here too).
	for _, row := range rows {
		if err := fonts.CheckText(row.Name); err != nil {
			where := "--name"
			if *csvPath != "" {
				where = fmt.Sprintf("%s row %d", *csvPath, row.Line)
			}
			return errorf(stderr, "issue: %s: %v", where, err)
		}
	}

	key, err := loadIssuerKey(*keyPath, *passFile)
	if err != nil {
		return errorf(stderr, "issue: %v", err)
	}
	iss, err := resolveIssuer(*keyPath, key, *issuer, *issuerName, stderr)
	if err != nil {
		return errorf(stderr, "issue: %v", err)
	}
	if err := fonts.CheckText(iss.Name); err != nil {
		return errorf(stderr, "issue: issuer name: %v", err)
	}

	var printed []cards.Card
	var manifest []manifestEntry
	for i, row := range rows {
		where := "card"
		if *csvPath != "" {
			where = fmt.Sprintf("%s row %d", *csvPath, row.Line)
		}
		exp := defaultExp
		if !row.Expires.IsZero() {
			exp = endOfDay(row.Expires)
		}
		c, entry, err := issueOne(row, iss, key, exp, now, photoDir)
		if err != nil {
			return errorf(stderr, "issue: %s: %v", where, err)
		}
		if !exp.After(now) {
			fmt.Fprintf(stderr, "scangate: warning: %s: expiry %s is in the past; issuing an already expired card\n",
				where, entry.Expires)
		}
		entry.Index = i + 1
		entry.Row = row.Line
		printed = append(printed, c)
		manifest = append(manifest, entry)
	}

	if err := writeCards(kind, *out, printed, manifest); err != nil {
		return errorf(stderr, "issue: %v", err)
	}
	mpath := manifestPath(*out)
	if err := writeManifest(mpath, manifest); err != nil {
		return errorf(stderr, "issue: %v", err)
	}
	switch kind {
	case outSheet:
		pages := (len(printed) + cards.PerSheet - 1) / cards.PerSheet
		fmt.Fprintf(stdout, "issued %d card(s) on %d A4 page(s): %s\n", len(printed), pages, *out)
	case outPNGDir:
		fmt.Fprintf(stdout, "issued %d card(s) as PNG files in %s\n", len(printed), *out)
	default:
		fmt.Fprintf(stdout, "issued card %s: %s\n", manifest[0].Number, *out)
	}
	fmt.Fprintf(stdout, "manifest (card ids for revocation): %s\n", mpath)
	return 0
}

type outKind int

const (
	outPDF    outKind = iota // one card-sized page
	outPNG                   // one 300 dpi image
	outSheet                 // A4 sheets of eight
	outPNGDir                // a directory of one PNG per card
)

func outputKind(out string, batch bool) (outKind, error) {
	ext := strings.ToLower(filepath.Ext(out))
	switch {
	case ext == ".pdf" && batch:
		return outSheet, nil
	case ext == ".pdf":
		return outPDF, nil
	case ext == ".png" && batch:
		return 0, fmt.Errorf("--out %s: a batch writes one PNG per card; give a directory, or a .pdf for A4 sheets", out)
	case ext == ".png":
		return outPNG, nil
	case batch && ext == "":
		return outPNGDir, nil
	case batch:
		return 0, fmt.Errorf("--out %s: want sheet.pdf or a directory (no extension) for PNGs", out)
	}
	return 0, fmt.Errorf("--out %s: want a .pdf or .png file name", out)
}

// issuerInfo is who signs the cards.
type issuerInfo struct {
	ID, Name string
}

func loadIssuerKey(path, passFile string) (ed25519.PrivateKey, error) {
	pass, err := readPassphraseFile(passFile) // as keygen reads it
	if err != nil {
		return nil, err
	}
	key, err := idcode.LoadPrivateKey(path, pass)
	switch {
	case errors.Is(err, idcode.ErrKeyMissing):
		return nil, fmt.Errorf("key file %s does not exist; create one with: scangate keygen --issuer ID --out DIR", path)
	case errors.Is(err, idcode.ErrPassphraseRequired):
		return nil, fmt.Errorf("key file %s is encrypted; give its passphrase with --passphrase-file", path)
	case errors.Is(err, idcode.ErrWrongPassphrase):
		return nil, fmt.Errorf("wrong passphrase for key file %s (check the file given to --passphrase-file)", path)
	case errors.Is(err, idcode.ErrNotEd25519):
		return nil, fmt.Errorf("%s is not an Ed25519 private key", path)
	case err != nil:
		return nil, err
	}
	return key, nil
}

// resolveIssuer takes the issuer id and name from the flags, else from the
// trust list keygen wrote beside the key, which must list this very key.
func resolveIssuer(keyPath string, key ed25519.PrivateKey, id, name string, stderr io.Writer) (issuerInfo, error) {
	pub := key.Public().(ed25519.PublicKey)
	tpath := filepath.Join(filepath.Dir(keyPath), keygenTrustName)
	var listed *idcode.Issuer
	data, err := os.ReadFile(tpath)
	switch {
	case err == nil:
		// In a single-issuer setup the issuer key signs its own trust list.
		if list, err := idcode.OpenTrustList(data, []ed25519.PublicKey{pub}); err == nil {
			for i := range list.Issuers {
				if list.Issuers[i].PublicKey.Equal(pub) {
					listed = &list.Issuers[i]
					break
				}
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return issuerInfo{}, fmt.Errorf("read %s: %w", tpath, err)
	}
	if id == "" {
		if listed == nil {
			return issuerInfo{}, fmt.Errorf("--issuer is required: no %s beside the key lists this key", tpath)
		}
		id = listed.ID
	} else if listed != nil && listed.ID != id {
		fmt.Fprintf(stderr, "scangate: warning: %s lists this key as issuer %q, not %q; devices using it will refuse these cards\n",
			tpath, listed.ID, id)
	}
	if name == "" && listed != nil && listed.ID == id {
		name = listed.Name
	}
	if len(id) > idcode.MaxIssuerLen {
		return issuerInfo{}, fmt.Errorf("--issuer %q is longer than %d bytes", id, idcode.MaxIssuerLen)
	}
	return issuerInfo{ID: id, Name: name}, nil
}

// manifestEntry is one card in <out>.json: what an administrator needs to
// revoke it and the demo needs to present it. It holds no full name.
type manifestEntry struct {
	Index    int       `json:"index"`         // 1-based order on the sheet
	Row      int       `json:"row,omitempty"` // CSV line, header = 1
	CardID   string    `json:"card_id"`       // hex, the revocation key
	Number   string    `json:"number"`        // printed on the card
	Name     string    `json:"name"`          // masked, as in the QR
	Category string    `json:"category"`
	Issuer   string    `json:"issuer"`
	Subject  string    `json:"subject"`
	IssuedAt time.Time `json:"issued_at"`
	Expires  string    `json:"expires"` // last valid day, as printed
	ExpAt    time.Time `json:"expires_at"`
	File     string    `json:"file,omitempty"` // for PNG batches
	QR       string    `json:"qr"`
}

func issueOne(row rosterRow, iss issuerInfo, key ed25519.PrivateKey, exp, now time.Time, photoDir string) (cards.Card, manifestEntry, error) {
	var photo []byte
	if row.Photo != "" {
		p := row.Photo
		if !filepath.IsAbs(p) && photoDir != "" {
			p = filepath.Join(photoDir, p)
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return cards.Card{}, manifestEntry{}, fmt.Errorf("photo %s does not exist", p)
		}
		if err != nil {
			return cards.Card{}, manifestEntry{}, fmt.Errorf("read photo: %w", err)
		}
		photo = b
	}
	id, err := idcode.NewCompactCardID() // new cards print SG2 (idcode.SignCompact)
	if err != nil {
		return cards.Card{}, manifestEntry{}, err
	}
	sub := row.Subject
	if sub == "" {
		var b [6]byte // SG2 carries it as 6 bytes
		if _, err := rand.Read(b[:]); err != nil {
			return cards.Card{}, manifestEntry{}, fmt.Errorf("subject: %w", err)
		}
		sub = hex.EncodeToString(b[:])
	}
	iat := now.Truncate(time.Second)
	if !exp.After(iat) {
		// Expired test cards still need iat before exp to be well formed.
		iat = exp.Add(-24 * time.Hour)
	}
	claims := idcode.Claims{
		Issuer:   iss.ID,
		Subject:  sub,
		IssuedAt: iat,
		Expires:  exp,
		CardID:   id,
		Name:     idcode.MaskName(row.Name),
		Category: row.Category,
	}
	text, err := idcode.SignCompact(claims, key)
	if err != nil {
		return cards.Card{}, manifestEntry{}, err
	}
	idHex := hex.EncodeToString(id)
	number := strings.ToUpper(idHex[:4] + "-" + idHex[4:8])
	lastDay := exp.Add(-time.Second)
	c := cards.Card{
		Name:       row.Name,
		Category:   row.Category,
		IssuerName: iss.Name,
		IssuerID:   iss.ID,
		Expires:    lastDay,
		Number:     number,
		Photo:      photo,
		QRText:     text,
	}
	entry := manifestEntry{
		CardID:   idHex,
		Number:   number,
		Name:     claims.Name,
		Category: row.Category,
		Issuer:   iss.ID,
		Subject:  sub,
		IssuedAt: iat,
		Expires:  lastDay.Format(time.DateOnly),
		ExpAt:    exp,
		QR:       text,
	}
	return c, entry, nil
}

// writeCards renders into a temporary file and renames it into place, so a
// failed run never leaves half a sheet where the last good one was.
func writeCards(kind outKind, out string, cs []cards.Card, manifest []manifestEntry) error {
	switch kind {
	case outPDF:
		return writeOutputFile(out, func(w io.Writer) error { return cards.WritePDF(w, cs[0]) })
	case outPNG:
		return writeOutputFile(out, func(w io.Writer) error { return cards.WritePNG(w, cs[0]) })
	case outSheet:
		return writeOutputFile(out, func(w io.Writer) error { return cards.WriteSheetPDF(w, cs) })
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	for i := range cs {
		name := fmt.Sprintf("%03d-%s.png", manifest[i].Index, manifest[i].CardID[:8])
		p := filepath.Join(out, name)
		if err := writeOutputFile(p, func(w io.Writer) error { return cards.WritePNG(w, cs[i]) }); err != nil {
			return fmt.Errorf("card %d: %w", i+1, err)
		}
		manifest[i].File = name
	}
	return nil
}

func manifestPath(out string) string {
	return filepath.Clean(out) + ".json"
}

func writeManifest(path string, m []manifestEntry) error {
	return writeOutputFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(m)
	})
}

// writeOutputFile writes path through a temporary file in the same
// directory. Cards and manifests name people, so the file is 0600.
func writeOutputFile(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// endOfDay returns the first instant after day d in local time: a card
// "valid until 2027-12-31" is valid all of that day (exp is exclusive).
func endOfDay(d time.Time) time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd+1, 0, 0, 0, 0, time.Local)
}

// parseDate reads YYYY-MM-DD, also as spreadsheets write it (2027/1/5,
// 2027.1.5), in local time.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	norm := strings.NewReplacer("/", "-", ".", "-").Replace(s)
	t, err := time.ParseInLocation("2006-1-2", norm, time.Local)
	if err != nil || strings.Count(norm, "-") != 2 {
		return time.Time{}, fmt.Errorf("want a date as YYYY-MM-DD")
	}
	return t, nil
}

// rosterRow is one card to issue, from the command line or a CSV row.
type rosterRow struct {
	Line     int // CSV line of the row; the header is line 1
	Name     string
	Category string    // a valid category key
	Expires  time.Time // the last valid day; zero: the command's default
	Photo    string
	Subject  string
}

// Roster limits: a typo'd file (a photo dumped as CSV) fails fast.
const (
	maxRosterRows = 10_000
	maxFieldLen   = 256
)

var rosterColumns = []string{"name", "category", "expires", "photo", "subject"}

// parseRoster reads a CSV with a header row naming its columns (name and
// category required; expires, photo, subject optional), in any order. The
// file may be UTF-8 (with or without BOM) or GB18030, as spreadsheets in
// China save it. Errors name the line and the value at fault.
func parseRoster(data []byte) ([]rosterRow, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || !utf8.Valid(dec) {
			return nil, errors.New("not UTF-8 or GB18030 text; save the sheet as \"CSV UTF-8\"")
		}
		data = dec
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty file: want a header row name,category,expires,photo")
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !isRosterColumn(h) {
			return nil, fmt.Errorf("line 1: unknown column %q: want %s", h, strings.Join(rosterColumns, ","))
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("line 1: column %q appears twice", h)
		}
		col[h] = i
	}
	for _, req := range []string{"name", "category"} {
		if _, ok := col[req]; !ok {
			return nil, fmt.Errorf("line 1: no %q column in the header", req)
		}
	}
	var rows []rosterRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err // csv.ParseError names the line
		}
		line, _ := r.FieldPos(0)
		row, err := parseRosterRow(rec, col, line)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", line, err)
		}
		if row.Name == "" && row.Category == "" {
			continue // a blank spreadsheet row: ",,," lines
		}
		if len(rows) == maxRosterRows {
			return nil, fmt.Errorf("more than %d rows; split the file", maxRosterRows)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, errors.New("no rows after the header")
	}
	return rows, nil
}

func isRosterColumn(h string) bool {
	for _, c := range rosterColumns {
		if h == c {
			return true
		}
	}
	return false
}

// parseRosterRow checks one CSV record against the header's columns.
func parseRosterRow(rec []string, col map[string]int, line int) (rosterRow, error) {
	field := func(name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	for _, f := range rec {
		if len(f) > maxFieldLen {
			return rosterRow{}, fmt.Errorf("a field is %d bytes long, limit %d", len(f), maxFieldLen)
		}
	}
	row := rosterRow{Line: line, Name: strings.Join(strings.Fields(field("name")), " "),
		Photo: field("photo"), Subject: field("subject")}
	catText := field("category")
	if row.Name == "" && catText == "" && field("expires") == "" && row.Photo == "" {
		return row, nil
	}
	if row.Name == "" {
		return rosterRow{}, errors.New("empty name")
	}
	cat, ok := cards.LookupCategory(catText)
	if !ok {
		return rosterRow{}, fmt.Errorf("category %q: want elder, child, companion or staff", catText)
	}
	row.Category = cat.Key
	if s := field("expires"); s != "" {
		d, err := parseDate(s)
		if err != nil {
			return rosterRow{}, fmt.Errorf("expires %q: %v", s, err)
		}
		row.Expires = d
	}
	if len(row.Subject) > idcode.MaxSubjectLen {
		return rosterRow{}, fmt.Errorf("subject is longer than %d bytes", idcode.MaxSubjectLen)
	}
	return row, nil
}
