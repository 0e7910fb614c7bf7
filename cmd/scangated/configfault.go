package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/kiosk"
)

// faultFile is where a config error is written for the technician: beside
// the config file, on the FAT partition a PC can read.
func faultFile(cfgPath string) string {
	return filepath.Join(filepath.Dir(cfgPath), "scangate-error.txt")
}

// configFault shows the config error on the screen and LEDs, writes it to
// the boot partition and stays up (READY, watchdog fed) until the file
// changes or systemd stops it; then exits 0 so systemd starts it again
// and the file is read afresh.
func configFault(path string, cfg config.Config, loadErr error, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	problems := config.Problems(loadErr)
	for i := range problems {
		if problems[i].File == "" {
			problems[i].File = path
		}
	}
	if cfg.Screen.Type == "" {
		cfg = config.Default() // the file could not be read at all
	}
	if err := kiosk.WriteConfigFault(faultFile(path), problems); err != nil {
		log.Error("scangated: config error", "err", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		before, _ := os.Stat(path)
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if notifyWatchdog() != nil {
				continue
			}
			now, err := os.Stat(path)
			if err == nil && (before == nil || !now.ModTime().Equal(before.ModTime()) || now.Size() != before.Size()) {
				log.Info("scangated: config file changed; restarting to read it")
				cancel()
				return
			}
		}
	}()
	if err := sdNotify(fmt.Sprintf("READY=1\nSTATUS=configuration error: %d problem(s) in %s", len(problems), path)); err != nil {
		log.Warn("scangated: sd_notify", "err", err)
	}
	log.Error("scangated: configuration error; shown on the screen and written to "+faultFile(path), "problems", len(problems))
	kiosk.ShowConfigFault(ctx, cfg, problems, log)
	return 0
}
