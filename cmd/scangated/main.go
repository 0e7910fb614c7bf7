// Command scangated is the kiosk daemon: it reads scangate.toml, wires the
// camera and scanners, the gate, the store and the feedback hardware, and
// decides at the door until it is told to stop.
//
//	scangated [--config /boot/scangate.toml] [--data DIR] [--sim] [--trust trust.json]
//	scangated --check-config --config scangate.toml
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/version"
)

// defaultConfig is where the image mounts the FAT boot partition.
const defaultConfig = "/boot/scangate.toml"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scangated", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "scangate.toml (default "+defaultConfig+"; with --sim, none: built-in defaults)")
	data := fs.String("data", "", "data directory: database, keys, control socket (default device.data; ./var with --sim)")
	sim := fs.Bool("sim", false, "simulated hardware: fake camera, pseudo-terminal scanner, terminal feedback")
	trustFile := fs.String("trust", "", "signed trust list to install at start (as written by scangate keygen)")
	check := fs.Bool("check-config", false, "check the config file and exit")
	writeNet := fs.String("write-network", "", "write the [network] settings as systemd-networkd and wpa_supplicant files under `DIR` (/run) and exit")
	logLevel := fs.String("log-level", "", "debug, info, warn or error (default log.level)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scangated: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, version.String())
		return 0
	}
	cfg := config.Default()
	path := *cfgPath
	if path == "" && !*sim {
		path = defaultConfig
	}
	if path != "" {
		var err error
		if cfg, err = config.Load(path); err != nil {
			fmt.Fprintf(stderr, "scangated: %v\n", err)
			if *check || *sim || *writeNet != "" || path != defaultConfig {
				return 2
			}
			// The kiosk's own file: show the error and stay up, never a
			// restart loop (which would reboot and spend U-Boot's tries).
			return configFault(path, cfg, err, stderr)
		}
		if !*check && *writeNet == "" {
			if err := os.Remove(faultFile(path)); err != nil && !errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(stderr, "scangated: %v\n", err)
			}
		}
	}
	if *writeNet != "" {
		if err := writeNetwork(*writeNet, cfg); err != nil {
			fmt.Fprintf(stderr, "scangated: %v\n", err)
			return 1
		}
		return 0
	}
	if *check {
		if err := kiosk.CheckConfig(cfg, *data); err != nil {
			fmt.Fprintf(stderr, "scangated: %s: %v\n", displayName(path), err)
			return 2
		}
		fmt.Fprintf(stdout, "%s: ok\n", displayName(path))
		return 0
	}
	if *sim && *data == "" {
		*data = "var"
	}
	level := cfg.Log.Level
	if *logLevel != "" {
		level = *logLevel
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		fmt.Fprintf(stderr, "scangated: --log-level: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	slog.SetDefault(logger)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := kiosk.Run(ctx, kiosk.Options{Config: cfg, DataDir: *data, Sim: *sim, TrustFile: *trustFile,
		Terminal: stdout, Logger: logger})
	if err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("scangated: stopped", "err", err)
		return 1
	}
	return 0
}

func displayName(p string) string {
	if p == "" {
		return "built-in defaults"
	}
	return p
}
