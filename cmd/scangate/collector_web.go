//go:build !kiosk

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/scangate/scangate/cards"
	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/registry"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/webapp"
)

// openRegistry keeps the web application's state in the collector's own
// database.
func openRegistry(ctx context.Context, be collector.Backend) (*registry.Store, error) {
	switch b := be.(type) {
	case *collector.SQLite:
		return registry.OpenSQLite(ctx, b.DB(), clock.Real{})
	case *collector.Postgres:
		return registry.OpenPostgres(ctx, b.Pool(), clock.Real{})
	}
	return nil, fmt.Errorf("collector: no registry for backend %T", be)
}

// collectorHandler serves the API and the web application on one
// listener.
func collectorHandler(ctx context.Context, srv *collector.Server, be collector.Backend, log *slog.Logger) (http.Handler, error) {
	st, err := openRegistry(ctx, be)
	if err != nil {
		return nil, err
	}
	app, err := webapp.New(webapp.Config{Store: st, Issuer: srv, Records: be, Logger: log})
	if err != nil {
		return nil, err
	}
	mounted := webapp.Mount(srv, app)
	// Every path outside /v1/ is the web application's, except the
	// collector's Prometheus metrics.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == collector.MetricsPath {
			srv.ServeHTTP(w, r)
			return
		}
		mounted.ServeHTTP(w, r)
	}), nil
}

// runUserCreate creates a web account directly in the database: the first
// administrator, before anyone can sign in to create others.
func runUserCreate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("collector admin user-create", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dbPath := fl.String("db", "", "SQLite database `file` of the collector (default collector.db)")
	dsn := fl.String("postgres", "", "PostgreSQL `DSN` of the collector")
	role := fl.String("role", "admin", "admin, operator or staff (families register with an invitation code)")
	pwFile := fl.String("password-file", "-", "`file` whose first line is the password; - reads it from standard input")
	display := fl.String("display", "", "the name shown on the pages")
	issuers := fl.String("issuers", "", "operator: comma-separated issuers")
	venues := fl.String("venues", "", "staff: comma-separated venues")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: scangate collector admin user-create LOGIN [--role admin] [--db collector.db | --postgres DSN] [--password-file F|-]")
		fl.PrintDefaults()
	}
	operands, err := parseFlagsAnywhere(fl, args) // flags may follow the operands
	if err != nil {
		return 2
	}
	if len(operands) != 1 {
		fl.Usage()
		return 2
	}
	r, err := registry.ParseRole(*role)
	if err != nil || r == registry.RoleFamily {
		return errorf(stderr, "collector admin user-create: --role %q: want admin, operator or staff", *role)
	}
	var in io.Reader = stdin
	if *pwFile != "-" {
		f, err := os.Open(*pwFile)
		if err != nil {
			return errorf(stderr, "collector admin user-create: %v", err)
		}
		defer f.Close()
		in = f
	}
	line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return errorf(stderr, "collector admin user-create: read password: %v", err)
	}
	password := strings.TrimRight(line, "\r\n")
	ctx := context.Background()
	var be collector.Backend
	if *dsn != "" {
		be, err = collector.OpenPostgres(ctx, *dsn)
	} else {
		if *dbPath == "" {
			*dbPath = "collector.db"
		}
		if _, serr := os.Stat(*dbPath); serr != nil {
			return errorf(stderr, "collector admin user-create: %v (start the collector once first, or give --db)", serr)
		}
		be, err = collector.OpenSQLite(*dbPath)
	}
	if err != nil {
		return errorf(stderr, "collector admin user-create: %v", err)
	}
	defer be.Close()
	st, err := openRegistry(ctx, be)
	if err != nil {
		return errorf(stderr, "collector admin user-create: %v", err)
	}
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	u, err := st.CreateUser(ctx, "cli", registry.NewUser{Login: operands[0], Password: password, Display: *display, Role: r, Issuers: split(*issuers), Venues: split(*venues)})
	if errors.Is(err, registry.ErrBadRequest) || errors.Is(err, registry.ErrExists) {
		fmt.Fprintf(stderr, "collector admin user-create: %v\n", err)
		return 1
	}
	if err != nil {
		return errorf(stderr, "collector admin user-create: %v", err)
	}
	fmt.Fprintf(stdout, "%s %s %s\n", u.ID, u.Login, u.Role)
	return 0
}

// writeIssuedCard prints a card the collector issued (card-issue --out):
// the same layout as `scangate issue`, PDF or PNG by the file's suffix.
func writeIssuedCard(answer []byte, out, issuerID, fullName, category, photoPath string, issuers func() ([]collector.Issuer, error)) error {
	var resp collector.CardResponse
	if err := json.Unmarshal(answer, &resp); err != nil || resp.QR == "" {
		return fmt.Errorf("card answer: %s", answer)
	}
	var photo []byte
	if photoPath != "" {
		b, err := os.ReadFile(photoPath)
		if err != nil {
			return err
		}
		photo = b
	}
	is, err := issuers()
	if err != nil {
		return fmt.Errorf("issuers: %w", err)
	}
	issuer := collector.Issuer{ID: issuerID}
	for _, i := range is {
		if i.ID == issuerID {
			issuer = i
		}
	}
	c := webapp.PrintedCard(resp, fullName, category, issuer, photo)
	switch {
	case strings.HasSuffix(strings.ToLower(out), ".pdf"):
		return writeOutputFile(out, func(w io.Writer) error { return cards.WritePDF(w, c) })
	case strings.HasSuffix(strings.ToLower(out), ".png"):
		return writeOutputFile(out, func(w io.Writer) error { return cards.WritePNG(w, c) })
	}
	return fmt.Errorf("--out %s: want a .pdf or .png file", out)
}

// adminGetJSON GETs an admin API URL into v.
func adminGetJSON(c *http.Client, url, token string, v any) error {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(v)
}
