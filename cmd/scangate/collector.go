package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/sync/collector"
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
	fl := flag.NewFlagSet("collector", flag.ContinueOnError)
	fl.SetOutput(stderr)
	listen := fl.String("listen", "127.0.0.1:8080", "listen `ADDR`")
	dbPath := fl.String("db", "", "SQLite database `file` (the embedded default: collector.db)")
	dsn := fl.String("postgres", "", "PostgreSQL `DSN` for a fleet, e.g. postgres://user:pass@host/db")
	tokenFile := fl.String("admin-token-file", "", "`file` holding the admin API bearer token (required, >= 16 characters)")
	keyPath := fl.String("key", "collector.key", "collector signing key `file`; created (0600) with KEY.pub beside it if missing")
	cert := fl.String("tls-cert", "", "TLS certificate `file` (PEM); with --tls-key serves HTTPS")
	tlsKey := fl.String("tls-key", "", "TLS private key `file` (PEM)")
	verbose := fl.Bool("v", false, "debug logging (includes device-supplied detail)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: scangate collector --admin-token-file F [--listen ADDR] [--db collector.db | --postgres DSN] [--key collector.key] [--tls-cert C --tls-key K]")
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
	raw, err := os.ReadFile(*tokenFile)
	if err != nil {
		return errorf(stderr, "collector: admin token: %v", err)
	}
	token := strings.TrimSpace(string(raw))
	if len(token) < 16 {
		return errorf(stderr, "collector: admin token in %s is shorter than 16 characters", *tokenFile)
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
		if *dbPath == "" {
			*dbPath = "collector.db"
		}
		be, err = collector.OpenSQLite(*dbPath)
	}
	if err != nil {
		return errorf(stderr, "collector: %v", err)
	}
	defer be.Close()
	srv, err := collector.New(collector.Config{Backend: be, Key: key, AdminToken: token, Logger: log})
	if err != nil {
		return errorf(stderr, "collector: %v", err)
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
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
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
