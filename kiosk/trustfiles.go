package kiosk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/display"
	"github.com/scangate/scangate/downlink"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/trust"
)

// The names `scangate keygen` and `scangate trust renew` write, looked for
// in each of trust.watch_dirs.
const (
	watchTrustName       = "trust.json"
	watchRevocationsName = "revocations.json"
)

// watchEvery is how often the watched directories are looked at (on the
// kiosk's clock): a stick's files are in force within seconds.
const watchEvery = 5 * time.Second

// noticeFor is how long the screen shows the result of an install.
const noticeFor = 15 * time.Second

// Results of one trust file, as status shows them.
const (
	fileInstalled = "installed"
	fileUnchanged = "unchanged" // the same bytes are in force already
	fileOlder     = "older"     // a copy a renewal superseded: nothing stored changed
	fileRefused   = "refused"   // did not verify or unreadable: nothing stored changed
)

// trustFiles remembers what the watched directories held when last
// looked at, so a file is tried once per change, and the last result.
type trustFiles struct {
	mu   sync.Mutex
	seen map[string][sha256.Size]byte // path → content last tried
	last *control.TrustInstall
}

// installTrustFiles applies the technician's trust files at start: the
// files named in [trust] (relative to the data directory) or --trust, then
// whatever the watched directories hold. A file that does not verify or is
// older than what the store holds changes nothing: the kiosk keeps
// deciding with the data it had (or refuses every card as a device fault).
func (k *Kiosk) installTrustFiles(ctx context.Context) {
	// Config paths are relative to the data directory; --trust is a path
	// as the technician typed it, with revocations.json looked for beside it.
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(k.dataDir, p)
	}
	tf, rf := rel(k.cfg.Trust.File), rel(k.cfg.Trust.Revocations)
	if k.opts.TrustFile != "" {
		tf = k.opts.TrustFile
		rf = filepath.Join(filepath.Dir(tf), "revocations.json")
	}
	var files []control.TrustFile
	for _, f := range []struct{ path, kind string }{{tf, downlink.KindTrustList}, {rf, downlink.KindRevocations}} {
		if f.path == "" {
			continue
		}
		if r, ok := k.installTrustFile(ctx, f.path, f.kind); ok {
			files = append(files, r)
		}
	}
	k.scanWatchDirs(ctx, files)
}

// watchTrustFiles looks at trust.watch_dirs every few seconds until ctx
// ends and installs what changed there, without a restart.
func (k *Kiosk) watchTrustFiles(ctx context.Context) {
	if len(k.cfg.Trust.WatchDirs) == 0 {
		return
	}
	tick := k.clock.NewTicker(watchEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.Chan():
		}
		k.scanWatchDirs(ctx, nil)
	}
}

// scanWatchDirs installs each watched directory's files that changed since
// the last look (the trust list first: a renewal's revocation list is
// checked against keys the list does not change, but a reader sees both
// move together), records the result with what came before (files from
// start), and shows it on the screen when something was tried.
func (k *Kiosk) scanWatchDirs(ctx context.Context, files []control.TrustFile) {
	for _, dir := range k.cfg.Trust.WatchDirs {
		for _, f := range []struct{ name, kind string }{{watchTrustName, downlink.KindTrustList}, {watchRevocationsName, downlink.KindRevocations}} {
			p := filepath.Join(dir, f.name)
			if !k.trustFileChanged(p) {
				continue
			}
			if r, ok := k.installTrustFile(ctx, p, f.kind); ok {
				files = append(files, r)
			}
		}
	}
	if len(files) == 0 {
		return
	}
	res := &control.TrustInstall{At: k.clock.Now().In(k.loc), Files: files}
	k.files.mu.Lock()
	k.files.last = res
	k.files.mu.Unlock()
	installed, refused := 0, 0
	for _, f := range files {
		switch f.Result {
		case fileInstalled:
			installed++
		case fileRefused:
			refused++
		}
	}
	k.updateIdle()
	if !k.ready.Load() && refused == 0 {
		return // start-up files: nothing to announce
	}
	switch {
	case refused > 0:
		k.display.Notice(display.RenewRefusedMessage(), noticeFor)
	case installed > 0:
		if t := k.trust.Trust(); t != nil && !t.StaleFrom().IsZero() {
			k.display.Notice(display.RenewedMessage(t.StaleFrom().In(k.loc)), noticeFor)
		}
	}
}

// trustFileChanged reports whether p holds other bytes than when it was
// last tried (a file that vanished is forgotten, so putting it back counts).
func (k *Kiosk) trustFileChanged(p string) bool {
	b, err := readTrustFile(p)
	k.files.mu.Lock()
	defer k.files.mu.Unlock()
	if k.files.seen == nil {
		k.files.seen = map[string][sha256.Size]byte{}
	}
	if errors.Is(err, os.ErrNotExist) {
		delete(k.files.seen, p)
		return false
	}
	sum := sha256.Sum256(b)
	if err != nil {
		sum = sha256.Sum256([]byte(err.Error()))
	}
	if old, ok := k.files.seen[p]; ok && old == sum {
		return false
	}
	k.files.seen[p] = sum
	return true
}

// installTrustFile verifies and installs one list file; ok is false when
// there is no such file. Nothing stored changes unless it verifies under
// the keys in force (trust.Source's pinning rules) and is not older than
// the list in force.
func (k *Kiosk) installTrustFile(ctx context.Context, p, kind string) (control.TrustFile, bool) {
	r := control.TrustFile{Path: p, Kind: kind}
	b, err := readTrustFile(p)
	if errors.Is(err, os.ErrNotExist) {
		k.log.Debug("kiosk: no trust file", "path", p)
		return r, false
	}
	if err != nil {
		r.Result, r.Error = fileRefused, err.Error()
		k.log.Error("kiosk: trust file unreadable", "path", p, "err", err)
		return r, true
	}
	if stored, err := k.store.Blob(ctx, kind); err == nil && bytes.Equal(stored.Data, b) {
		r.Result, r.Version = fileUnchanged, stored.Version
		return r, true
	}
	install := k.trust.InstallTrustList
	if kind == downlink.KindRevocations {
		install = k.trust.InstallRevocations
	}
	// A file carries no proof of freshness: its age counts from the
	// list's own issue date (zero fetchedAt).
	if err := install(ctx, b, "", time.Time{}); errors.Is(err, trust.ErrOlder) {
		r.Result, r.Error = fileOlder, err.Error()
		k.log.Info("kiosk: trust file older than the list in force; not applied", "path", p)
		return r, true
	} else if err != nil {
		r.Result, r.Error = fileRefused, err.Error()
		k.log.Warn("kiosk: trust file refused; nothing stored changed", "path", p, "err", err)
		if storageFault(err) {
			k.forget(p) // the file may be good: try it again once the media takes writes
		}
		return r, true
	}
	if stored, err := k.store.Blob(ctx, kind); err == nil && !bytes.Equal(stored.Data, b) {
		// Same version as in force, other bytes: two renewals made from
		// the same lists. The one in force stays; say so rather than
		// claim the file was installed.
		r.Result, r.Version = fileRefused, stored.Version
		r.Error = fmt.Sprintf("v%d is in force with other contents: renew from the newest lists (scangate trust renew --from)", stored.Version)
		k.log.Warn("kiosk: trust file has the version in force but other contents; not applied", "path", p, "version", stored.Version)
		return r, true
	}
	r.Result = fileInstalled
	if t := k.trust.Trust(); t != nil {
		r.Version = t.List.Version
		if kind == downlink.KindRevocations && t.Revoked != nil {
			r.Version = t.Revoked.Version
		}
	}
	k.log.Info("kiosk: trust file installed", "path", p, "kind", kind, "version", r.Version)
	return r, true
}

// storageFault reports an install that failed on the store, not on the file.
func storageFault(err error) bool {
	for _, e := range []error{store.ErrFull, store.ErrReadOnly, store.ErrCorrupt, store.ErrIO, store.ErrClosed} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// forget drops what p held, so the next look tries it again.
func (k *Kiosk) forget(p string) {
	k.files.mu.Lock()
	defer k.files.mu.Unlock()
	delete(k.files.seen, p)
}

// readTrustFile reads a list file, refusing one larger than any list.
func readTrustFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, idcode.MaxListSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if len(b) > idcode.MaxListSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, idcode.MaxListSize)
	}
	return b, nil
}

// lastTrustInstall is the newest install result for status.
func (k *Kiosk) lastTrustInstall() *control.TrustInstall {
	k.files.mu.Lock()
	defer k.files.mu.Unlock()
	return k.files.last
}
