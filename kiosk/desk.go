package kiosk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/scangate/scangate/deskpage"
	"github.com/scangate/scangate/statuspage"
	"github.com/scangate/scangate/store"
)

// DeskAddr is the staff desk's address ("" when it is off).
func (k *Kiosk) DeskAddr() string {
	s, _ := k.deskAddr.Load().(string)
	return s
}

// serveDesk serves the staff desk on its own address: venue staff reach
// neither the technician's page (the live picture) nor its password, and
// the desk stays up all day while the status page is on only for aiming.
// It reads and writes the kiosk's own ledger, so it works offline.
func (k *Kiosk) serveDesk(addr string) (stop func(), err error) {
	var staff []statuspage.Account
	for _, s := range k.cfg.Desk.Staff {
		staff = append(staff, statuspage.Account{ID: s.ID, Name: s.Name, PasswordHash: s.PasswordHash})
	}
	desk, err := deskpage.New(deskpage.Options{Staff: staff, Ledger: k.store, Location: k.loc,
		Kiosk: k.cfg.Device.Name, Venue: k.venue, Device: k.deviceID,
		Synced: func() bool { _, ok := k.sync.SinceSync(); return ok }, Occupancy: k.occupancy, Clock: k.clock, Logger: k.log})
	if err != nil {
		return nil, fmt.Errorf("kiosk: desk: %w", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("kiosk: desk %s: %w", addr, err)
	}
	k.deskAddr.Store(l.Addr().String())
	srv := &http.Server{Handler: desk, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			k.log.Error("kiosk: desk", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// venue is the venue the collector enrolled the kiosk for, or device.venue.
func (k *Kiosk) venue() string {
	if v, err := k.store.Setting(context.Background(), store.SettingVenue); err == nil && v != "" {
		return v
	}
	return k.cfg.Device.Venue
}

// deviceID is the kiosk's id as the collector enrolled it, what undo
// records name; before enrollment, device.name.
func (k *Kiosk) deviceID() string {
	if id, err := k.store.Setting(context.Background(), store.SettingDeviceID); err == nil && id != "" {
		return id
	}
	return k.cfg.Device.Name
}
