//go:build !kiosk

package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

func init() {
	register(command{name: "collector", summary: "run the collector: device enrollment, check-in ingest, bundles, admin API", run: runCollector})
}

// collectorContext ends when the collector should shut down; tests replace it.
var collectorContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// collectorListening, when set, is told the bound address (tests use port 0).
var collectorListening func(addr string)

func runCollector(args []string, stdout, stderr io.Writer) int {
	if len(args) > 1 && args[0] == "admin" && args[1] == "user-create" {
		return runUserCreate(args[2:], os.Stdin, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "admin" {
		return runCollectorAdmin(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "gen-kek" {
		if len(args) != 2 {
			return errorf(stderr, "usage: scangate collector gen-kek FILE   (a new key-encryption key, 0600; refuses to overwrite)")
		}
		if err := collector.GenerateKEK(args[1]); err != nil {
			return errorf(stderr, "collector: %v", err)
		}
		fmt.Fprintf(stdout, "key-encryption key written to %s (0600): keep it off the database host's backups\n", args[1])
		return 0
	}
	fl := flag.NewFlagSet("collector", flag.ContinueOnError)
	fl.SetOutput(stderr)
	listen := fl.String("listen", "127.0.0.1:8080", "listen `ADDR`")
	dbPath := fl.String("db", "", "SQLite database `file` (the embedded default: collector.db)")
	dsn := fl.String("postgres", "", "PostgreSQL `DSN` for a fleet, e.g. postgres://user:pass@host/db")
	tokenFile := fl.String("admin-token-file", "", "`file` holding the admin API bearer token (required, >= 16 characters)")
	keyPath := fl.String("key", "collector.key", "collector signing key `file`; created (0600) with KEY.pub beside it if missing")
	cert := fl.String("tls-cert", "", "TLS certificate `file` (PEM); with --tls-key serves HTTPS")
	tlsKey := fl.String("tls-key", "", "TLS private key `file` (PEM)")
	kekFile := fl.String("kek-file", "", "key-encryption `file` sealing the issuer private keys in the database (32 bytes, hex or base64; 0600)")
	kekCred := fl.String("kek-credential", "scangate-kek", "systemd credential `name` of the key-encryption key ($CREDENTIALS_DIRECTORY/NAME, from LoadCredential=), used when --kek-file is not given")
	tz := fl.String("time-zone", "", "IANA time `zone` plain dates mean in card queries, e.g. Asia/Shanghai (default UTC; a venue's visits use the venue's zone)")
	retentionEvery := fl.Duration("retention-every", time.Hour, "how often venue retention is applied (0: only on `scangate collector admin purge`)")
	unseenRed := fl.Duration("fleet-unseen", 15*time.Minute, "a kiosk not seen for this `long` is red on the fleet page and in scangate_collector_device_health")
	refuseDays := fl.Int("fleet-refuse-days", 3, "a kiosk that will refuse cards (stale trust data) within this many `days` is red")
	verbose := fl.Bool("v", false, "debug logging (includes device-supplied detail)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: scangate collector --admin-token-file F [--listen ADDR] [--db collector.db | --postgres DSN] [--key collector.key] [--kek-file K] [--tls-cert C --tls-key K]")
		fmt.Fprintln(stderr, "       scangate collector admin --help   (the admin API from the command line)")
		fmt.Fprintln(stderr, "       scangate collector gen-kek FILE   (a new key-encryption key)")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		return errorf(stderr, "collector: unexpected argument %q", fl.Arg(0))
	}
	if *dbPath != "" && *dsn != "" {
		return errorf(stderr, "collector: give --db or --postgres, not both")
	}
	if (*cert == "") != (*tlsKey == "") {
		return errorf(stderr, "collector: --tls-cert and --tls-key go together")
	}
	if *tokenFile == "" {
		fl.Usage()
		return 2
	}
	if *dsn == "" && *dbPath == "" {
		*dbPath = "collector.db"
	}
	kekPath, err := resolveKEK(*kekFile, *kekCred, fl)
	if err != nil {
		return errorf(stderr, "collector: %v", err)
	}
	// Every secret, and the database, readable by this user only: refuse
	// to start otherwise, naming each file and the chmod that fixes it.
	if msgs := checkCollectorFiles(*tokenFile, *keyPath, kekPath, *dbPath); len(msgs) > 0 {
		for _, m := range msgs {
			fmt.Fprintln(stderr, m)
		}
		return 2
	}
	raw, err := os.ReadFile(*tokenFile)
	if err != nil {
		return errorf(stderr, "collector: admin token: %v", err)
	}
	token := strings.TrimSpace(string(raw))
	if len(token) < 16 {
		return errorf(stderr, "collector: admin token in %s is shorter than 16 characters", *tokenFile)
	}
	var kek *collector.KEK
	if kekPath != "" {
		if kek, err = collector.LoadKEK(kekPath); err != nil {
			return errorf(stderr, "%v", err)
		}
	}
	key, pubPath, err := loadOrCreateCollectorKey(*keyPath)
	if err != nil {
		return errorf(stderr, "collector: %v", err)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := collectorContext()
	defer stop()
	var be collector.Backend
	if *dsn != "" {
		be, err = collector.OpenPostgres(ctx, *dsn)
	} else {
		be, err = collector.OpenSQLite(*dbPath)
	}
	if err != nil {
		return errorf(stderr, "collector: %v", err)
	}
	defer be.Close()
	// Issuer keys in clear (a database from before sealing) are sealed
	// now; without a KEK, held keys stop the start.
	sealed, err := collector.SealIssuerKeys(ctx, be, kek)
	if err != nil {
		return errorf(stderr, "%v", err)
	}
	if sealed > 0 {
		log.Warn("collector: sealed issuer private keys that were in clear; backups taken before now still hold them in clear", "keys", sealed)
	}
	if *unseenRed <= 0 || *refuseDays <= 0 {
		return errorf(stderr, "collector: --fleet-unseen and --fleet-refuse-days must be positive")
	}
	fleet := collector.FleetRules{UnseenRed: *unseenRed, RefuseRedWithin: time.Duration(*refuseDays) * 24 * time.Hour}
	// The amber thresholds stay below the red ones however these are set.
	fleet.UnseenAmber = min(3*time.Minute, *unseenRed/2)
	fleet.RefuseAmberWithin = max(5*24*time.Hour, fleet.RefuseRedWithin)
	srv, err := collector.New(collector.Config{Backend: be, Key: key, AdminToken: token, Logger: log, KEK: kek, TimeZone: *tz, Fleet: fleet})
	if err != nil {
		return errorf(stderr, "collector: %v", err)
	}
	if *retentionEvery > 0 {
		go srv.RunRetention(ctx, *retentionEvery)
	}
	handler, err := collectorHandler(ctx, srv, be, log)
	if err != nil {
		return errorf(stderr, "collector: web application: %v", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return errorf(stderr, "collector: %v", err)
	}
	fmt.Fprintf(stdout, "collector public key: %s (pin it in each device's scangate.toml)\n", pubPath)
	fmt.Fprintf(stdout, "listening on %s\n", ln.Addr())
	if collectorListening != nil {
		collectorListening(ln.Addr().String())
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	done := make(chan error, 1)
	go func() {
		if *cert != "" {
			done <- hs.ServeTLS(ln, *cert, *tlsKey)
		} else {
			done <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return errorf(stderr, "collector: %v", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("collector: shutdown", "err", err)
	}
	log.Info("collector: stopped")
	return 0
}

// resolveKEK names the key-encryption key file: --kek-file, else the
// systemd credential when the unit has one, else none.
func resolveKEK(file, cred string, fl *flag.FlagSet) (string, error) {
	if file != "" {
		return file, nil
	}
	explicit := false
	fl.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "kek-credential" })
	p := collector.CredentialPath(cred)
	if p == "" {
		if explicit {
			return "", fmt.Errorf("--kek-credential %s: $CREDENTIALS_DIRECTORY is not set (give LoadCredential=%s:/path in the unit)", cred, cred)
		}
		return "", nil
	}
	if _, err := os.Stat(p); err != nil {
		if explicit {
			return "", fmt.Errorf("--kek-credential %s: %w", cred, err)
		}
		return "", nil
	}
	return p, nil
}

// checkCollectorFiles returns one line for each secret file or directory
// that group or others may read.
func checkCollectorFiles(tokenFile, keyPath, kekPath, dbPath string) []string {
	var msgs []string
	add := func(err error) {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	add(collector.CheckPrivateFile(tokenFile))
	add(collector.CheckPrivateDir(filepath.Dir(keyPath)))
	add(collector.CheckPrivateFile(keyPath))
	if kekPath != "" {
		add(collector.CheckPrivateFile(kekPath))
	}
	if dbPath != "" {
		dir := filepath.Dir(dbPath)
		if filepath.Dir(keyPath) != dir {
			add(collector.CheckPrivateDir(dir))
		}
		for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
			add(collector.CheckPrivateFile(p))
		}
	}
	return msgs
}

// loadOrCreateCollectorKey loads the collector key, creating it and its
// public half (PATH.pub, the file devices pin) on first start.
func loadOrCreateCollectorKey(path string) (ed25519.PrivateKey, string, error) {
	pubPath := path + ".pub"
	key, err := idcode.LoadPrivateKey(path, nil)
	if errors.Is(err, idcode.ErrKeyMissing) {
		_, key, err = ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, "", err
		}
		if err := idcode.WritePrivateKey(path, key, nil); err != nil {
			return nil, "", err
		}
	} else if err != nil {
		return nil, "", err
	}
	pem, err := idcode.MarshalPublicKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, "", err
	}
	// Rewritten on every start so it always matches the key in use.
	if err := os.WriteFile(pubPath, pem, 0o644); err != nil {
		return nil, "", fmt.Errorf("write %s: %w", pubPath, err)
	}
	return key, pubPath, nil
}

// adminAction is one `scangate collector admin` verb: how many operands it
// takes and the API request it makes of them.
type adminAction struct {
	usage string
	args  int
	build func(a []string, f *adminFlags) (method, path string, body any, err error)
}

type adminFlags struct {
	ttl, from, to, on, tz, name, category, valid string
	publicKey, out, photo                        string
	venues                                       string
	csv                                          bool
	by                                           string
	retentionDays                                int
	timeZone                                     string
	set                                          map[string]bool // flags given on the command line
}

var adminActions = map[string]adminAction{
	"venue-add": {"venue-add ID NAME", 2, func(a []string, _ *adminFlags) (string, string, any, error) {
		return "POST", "/v1/admin/venues", collector.VenueRequest{ID: a[0], Name: a[1]}, nil
	}},
	"venue": {"venue ID", 1, func(a []string, _ *adminFlags) (string, string, any, error) {
		return "GET", "/v1/admin/venues/" + url.PathEscape(a[0]), nil, nil
	}},
	"enroll-token": {"enroll-token VENUE [--ttl 72h]   (prints the token alone)", 1, func(a []string, f *adminFlags) (string, string, any, error) {
		var ttl wire.Duration
		if f.ttl != "" {
			d, err := time.ParseDuration(f.ttl)
			if err != nil {
				return "", "", nil, fmt.Errorf("--ttl: %w", err)
			}
			ttl = wire.Duration(d)
		}
		return "POST", "/v1/admin/venues/" + url.PathEscape(a[0]) + "/enroll-tokens", collector.TokenRequest{TTL: ttl}, nil
	}},
	"issuer-add": {"issuer-add ID [--name N] [--public-key issuer.pub] [--venues V1,V2]   (no key: the collector makes and holds one)", 1,
		func(a []string, f *adminFlags) (string, string, any, error) {
			req := collector.IssuerRequest{ID: a[0], Name: f.name}
			if f.publicKey != "" {
				b, err := os.ReadFile(f.publicKey)
				if err != nil {
					return "", "", nil, err
				}
				k, err := idcode.ParsePublicKey(b)
				if err != nil {
					return "", "", nil, fmt.Errorf("%s: %w", f.publicKey, err)
				}
				req.PublicKey = k
			}
			if f.venues != "" {
				req.Venues = strings.Split(f.venues, ",")
			}
			return "POST", "/v1/admin/issuers", req, nil
		}},
	"issuers": {"issuers", 0, func([]string, *adminFlags) (string, string, any, error) {
		return "GET", "/v1/admin/issuers", nil, nil
	}},
	"card-issue": {"card-issue ISSUER HOLDER --name NAME --category elder|child|companion|staff [--valid 8760h] [--out card.pdf|card.png [--photo face.jpg]]", 2,
		func(a []string, f *adminFlags) (string, string, any, error) {
			var valid wire.Duration
			if f.valid != "" {
				d, err := time.ParseDuration(f.valid)
				if err != nil {
					return "", "", nil, fmt.Errorf("--valid: %w", err)
				}
				valid = wire.Duration(d)
			}
			return "POST", "/v1/admin/cards", collector.CardRequest{Issuer: a[0], Holder: a[1], Name: f.name, Category: f.category, Valid: valid}, nil
		}},
	"card-revoke": {"card-revoke CARD_ID", 1, func(a []string, _ *adminFlags) (string, string, any, error) {
		return "POST", "/v1/admin/cards/" + url.PathEscape(a[0]) + "/revoke", nil, nil
	}},
	"device": {"device DEVICE_ID   (ledgers, acks, recoveries, conflicts and losses; no personal data)", 1, func(a []string, _ *adminFlags) (string, string, any, error) {
		return "GET", "/v1/admin/devices/" + url.PathEscape(a[0]), nil, nil
	}},
	"device-conflicts": {"device-conflicts DEVICE_ID   (the conflicting records kept aside, with card ids and names)", 1, func(a []string, _ *adminFlags) (string, string, any, error) {
		return "GET", "/v1/admin/devices/" + url.PathEscape(a[0]) + "/conflicts", nil, nil
	}},
	"metrics": {"metrics   (this collector process's counters: batches, conflicts, losses, replays refused, clients gone)", 0, func([]string, *adminFlags) (string, string, any, error) {
		return "GET", "/v1/admin/metrics", nil, nil
	}},
	"device-revoke": {"device-revoke DEVICE_ID", 1, func(a []string, _ *adminFlags) (string, string, any, error) {
		return "POST", "/v1/admin/devices/" + url.PathEscape(a[0]) + "/revoke", nil, nil
	}},
	"venue-visits": {"venue-visits VENUE (--on DATE | --from T1 --to T2) [--tz ZONE] [--csv]   (who was at the venue; dates such as 2026-12-03 in the venue's time zone, --to's day included)", 1,
		func(a []string, f *adminFlags) (string, string, any, error) {
			return "GET", "/v1/admin/venues/" + url.PathEscape(a[0]) + "/visits?" + visitsQuery(f), nil, nil
		}},
	"card-visits": {"card-visits CARD (--on DATE | --from T1 --to T2) [--tz ZONE] [--csv]   (where the card was; CARD is the number printed on it, 76AC-E3FA, or its id)", 1,
		func(a []string, f *adminFlags) (string, string, any, error) {
			return "GET", "/v1/admin/cards/" + url.PathEscape(a[0]) + "/visits?" + visitsQuery(f), nil, nil
		}},
	"venue-set": {"venue-set VENUE [--retention-days N] [--time-zone Asia/Shanghai]   (the collector keeps the venue's check-ins N days, 0: for ever; plain dates mean that zone)", 1,
		func(a []string, f *adminFlags) (string, string, any, error) {
			var up collector.VenueSettingsUpdate
			if f.set["retention-days"] {
				up.RetentionDays = &f.retentionDays
			}
			if f.set["time-zone"] {
				up.TimeZone = &f.timeZone
			}
			if up.RetentionDays == nil && up.TimeZone == nil {
				return "", "", nil, fmt.Errorf("venue-set: give --retention-days, --time-zone or both")
			}
			return "PUT", "/v1/admin/venues/" + url.PathEscape(a[0]) + "/settings", up, nil
		}},
	"erase-card": {"erase-card CARD --by NAME   (erase every record of the card: CARD is the number printed on it or its id; NAME is who asked, for the audit)", 1,
		func(a []string, f *adminFlags) (string, string, any, error) {
			if strings.TrimSpace(f.by) == "" {
				return "", "", nil, fmt.Errorf("erase-card: --by NAME is required: who asked for the erasure, kept in the audit")
			}
			return "POST", "/v1/admin/erasures", collector.EraseRequest{Card: a[0], By: f.by}, nil
		}},
	"erase-holder": {"erase-holder HOLDER --by NAME   (erase every record of the holder, by the pseudonymous holder id in the card manifest)", 1,
		func(a []string, f *adminFlags) (string, string, any, error) {
			if strings.TrimSpace(f.by) == "" {
				return "", "", nil, fmt.Errorf("erase-holder: --by NAME is required: who asked for the erasure, kept in the audit")
			}
			return "POST", "/v1/admin/erasures", collector.EraseRequest{Holder: a[0], By: f.by}, nil
		}},
	"erasures": {"erasures   (the erasure audit: who, when, how many rows per table; subjects as SHA-256 only)", 0, func([]string, *adminFlags) (string, string, any, error) {
		return "GET", "/v1/admin/erasures", nil, nil
	}},
	"purge": {"purge   (apply every venue's retention now; the collector also does it every --retention-every)", 0, func([]string, *adminFlags) (string, string, any, error) {
		return "POST", "/v1/admin/purge", nil, nil
	}},
}

func visitsQuery(f *adminFlags) string {
	q := url.Values{}
	if f.on != "" {
		q.Set("on", f.on)
	} else {
		q.Set("from", f.from)
		q.Set("to", f.to)
	}
	if f.tz != "" {
		q.Set("tz", f.tz)
	}
	if f.csv {
		q.Set("format", "csv")
	}
	return q.Encode()
}

// runCollectorAdmin calls the collector's admin API: one verb, one
// request, the answer on stdout. Exit 0 on success, 1 when the collector
// refuses, 2 on usage, file or connection errors.
func runCollectorAdmin(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("collector admin", flag.ContinueOnError)
	fl.SetOutput(stderr)
	base := fl.String("url", "http://127.0.0.1:8080", "collector base `URL`")
	tokenFile := fl.String("admin-token-file", "admin.token", "`file` holding the admin API bearer token")
	caFile := fl.String("ca-cert", "", "PEM `file` of the CA that signed the collector's TLS certificate (default: system roots)")
	var f adminFlags
	fl.StringVar(&f.ttl, "ttl", "", "enroll-token: validity (default 7 days)")
	fl.StringVar(&f.from, "from", "", "visits: window start: a date (2026-12-03) or an RFC 3339 time")
	fl.StringVar(&f.to, "to", "", "visits: window end: a date (its whole day included) or an RFC 3339 time (excluded)")
	fl.StringVar(&f.on, "on", "", "visits: one whole day, e.g. 2026-12-03")
	fl.StringVar(&f.tz, "tz", "", "visits: the time zone dates mean (default: the venue's; for cards the collector's --time-zone)")
	fl.BoolVar(&f.csv, "csv", false, "visits: CSV instead of JSON (UTF-8 with a BOM, for Excel)")
	fl.StringVar(&f.by, "by", "", "erase-card, erase-holder: who asked for the erasure (kept in the audit)")
	fl.IntVar(&f.retentionDays, "retention-days", 0, "venue-set: days the collector keeps the venue's check-ins (0: for ever)")
	fl.StringVar(&f.timeZone, "time-zone", "", "venue-set: the venue's IANA time zone, e.g. Asia/Shanghai (\"\": UTC)")
	fl.StringVar(&f.name, "name", "", "issuer-add: display name; card-issue: the holder's full name (only the masked form is stored)")
	fl.StringVar(&f.category, "category", "", "card-issue: elder, child, companion or staff")
	fl.StringVar(&f.valid, "valid", "", "card-issue: validity (default one year)")
	fl.StringVar(&f.out, "out", "", "card-issue: also print the card to this .pdf or .png (the layout of scangate issue)")
	fl.StringVar(&f.photo, "photo", "", "card-issue --out: the holder's photo (JPEG or PNG) for the card")
	fl.StringVar(&f.publicKey, "public-key", "", "issuer-add: the issuer's public key (PEM file, e.g. keys/issuer.pub from scangate keygen)")
	fl.StringVar(&f.venues, "venues", "", "issuer-add: comma-separated venues the issuer may admit to (default all)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: scangate collector admin [--url URL] [--admin-token-file F] VERB ARGS... [flags]")
		names := make([]string, 0, len(adminActions))
		for n := range adminActions {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			fmt.Fprintln(stderr, "  "+adminActions[n].usage)
		}
		// Not over the API: it writes the first administrator into the database.
		fmt.Fprintln(stderr, "  user-create LOGIN [--role admin|operator|staff] (--db collector.db | --postgres DSN) [--password-file F|-]   (an account for the web pages)")
		fl.PrintDefaults()
	}
	operands, err := parseFlagsAnywhere(fl, args) // flags may follow the operands
	if err != nil {
		return 2
	}
	if len(operands) == 0 {
		fl.Usage()
		return 2
	}
	act, ok := adminActions[operands[0]]
	if !ok {
		fl.Usage()
		return errorf(stderr, "collector admin: unknown verb %q", operands[0])
	}
	if len(operands)-1 != act.args {
		return errorf(stderr, "usage: scangate collector admin %s", act.usage)
	}
	if strings.HasSuffix(operands[0], "-visits") && (f.on == "") == (f.from == "" || f.to == "") {
		return errorf(stderr, "usage: scangate collector admin %s", act.usage)
	}
	f.set = map[string]bool{}
	fl.Visit(func(fv *flag.Flag) { f.set[fv.Name] = true })
	method, path, body, err := act.build(operands[1:], &f)
	if err != nil {
		return errorf(stderr, "collector admin: %v", err)
	}
	raw, err := os.ReadFile(*tokenFile)
	if err != nil {
		return errorf(stderr, "collector admin: admin token: %v", err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return errorf(stderr, "collector admin: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return errorf(stderr, "collector admin: no certificate in %s", *caFile)
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return errorf(stderr, "collector admin: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimRight(*base, "/")+path, rd)
	if err != nil {
		return errorf(stderr, "collector admin: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(raw)))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return errorf(stderr, "collector admin: %v", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return errorf(stderr, "collector admin: read answer: %v", err)
	}
	if resp.StatusCode/100 != 2 {
		fmt.Fprintf(stderr, "collector admin: %s %s: %s\n", method, path, strings.TrimSpace(string(out)))
		return 1
	}
	if operands[0] == "card-issue" && f.out != "" {
		issuers := func() ([]collector.Issuer, error) {
			var is []collector.Issuer
			err := adminGetJSON(client, strings.TrimRight(*base, "/")+"/v1/admin/issuers", strings.TrimSpace(string(raw)), &is)
			return is, err
		}
		if err := writeIssuedCard(out, f.out, operands[1], f.name, f.category, f.photo, issuers); err != nil {
			return errorf(stderr, "collector admin: card-issue --out: %v", err)
		}
	}
	if operands[0] == "enroll-token" {
		// The token alone, for a script to put into scangate.toml.
		var tr collector.TokenResponse
		if err := json.Unmarshal(out, &tr); err != nil || tr.Token == "" {
			return errorf(stderr, "collector admin: enrollment token answer: %s", out)
		}
		fmt.Fprintln(stdout, tr.Token)
		return 0
	}
	stdout.Write(out)
	return 0
}
