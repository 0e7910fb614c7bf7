package kiosk

import (
	"context"
	"errors"
	"fmt"
	"image"
	"net"
	"net/http"
	"time"

	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/display"
	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/scanner"
	"github.com/scangate/scangate/sim"
	"github.com/scangate/scangate/statuspage"
	"github.com/scangate/scangate/statusreport"
	"github.com/scangate/scangate/version"
)

// controlHandler serves the local control socket: what the status page
// serves, and the simulator's present.
func (k *Kiosk) controlHandler() http.Handler {
	mux := statuspage.Handler(statusSource{k})
	if k.opts.Sim {
		mux.Handle("POST /v1/present", sim.NewPresent(simDoor{k}))
	} else {
		mux.HandleFunc("POST /v1/present", func(w http.ResponseWriter, r *http.Request) {
			control.WriteError(w, http.StatusConflict, "present works only on a kiosk started with --sim")
		})
	}
	return mux
}

// localAddresses lists the addresses of the interfaces that are up, not
// loopback: where the venue's network reaches the kiosk.
func localAddresses() []string {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []string
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		as, err := i.Addrs()
		if err != nil {
			continue
		}
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLinkLocalUnicast() {
				out = append(out, n.IP.String())
			}
		}
	}
	return out
}

// Status gathers the kiosk's state. It holds no personal data.
func (k *Kiosk) Status(ctx context.Context) control.Status {
	now := k.clock.Now()
	st := control.Status{
		Version: version.Version, Slot: k.slot, Addresses: localAddresses(), Device: k.cfg.Device.Name, Mode: k.cfg.Policy.Mode, Sim: k.opts.Sim,
		StartedAt: k.started.In(k.loc), Ready: k.ready.Load(), Last: k.bus.recent(k.loc),
	}
	st.Occupancy = k.occupancy(ctx)
	stats := map[string]scanner.SourceStats{}
	for _, s := range k.scanner.Stats().Sources {
		stats[s.Name] = s
	}
	for _, c := range k.hw.cameras {
		cs := c.state()
		ss := stats[c.name]
		src := control.SourceStatus{Name: c.name, Kind: "camera", State: string(cs.Status), Frames: ss.Frames,
			Decoded: ss.Decoded, Dropped: ss.Dropped, Codes: ss.Events, LastInput: ss.LastFrame}
		if cs.LastErr != nil {
			src.LastError = cs.LastErr.Error()
		}
		st.Sources = append(st.Sources, src)
	}
	for _, t := range k.hw.texts {
		status, lastErr, codes := t.state()
		ss := stats[t.name]
		st.Sources = append(st.Sources, control.SourceStatus{Name: t.name, Kind: t.kind, State: status,
			Codes: codes, LastInput: ss.LastFrame, LastError: lastErr})
	}
	st.Store = statusreport.Store(ctx, k.store, now, k.loc)
	st.Trust = statusreport.Trust(k.trust.Trust(), k.trust.Pins(), now)
	st.Trust.RefusedFrom = k.refusedFrom()
	st.Trust.Warn = k.warning(now)
	st.Trust.Refusing = string(k.refusing())
	st.Trust.LastInstall = k.lastTrustInstall()
	if k.uplink != nil {
		us := statusreport.Uplink(k.uplink.Status(), k.loc)
		st.Uplink = &us
	}
	st.Clock = control.ClockStatus{Now: now.In(k.loc), TimeZone: k.loc.String(), BootID: k.bootID}
	if d, ok := k.sync.SinceSync(); ok {
		st.Clock.Synced = true
		st.Clock.SinceSyncS = d.Seconds()
	}
	return st
}

// serveStatusPage serves the status JSON and a small page on TCP for
// technicians on the venue's network.
func (k *Kiosk) serveStatusPage(addr string) (stop func(), err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("kiosk: status page %s: %w", addr, err)
	}
	page, err := statuspage.Protected(statusSource{k}, statuspage.Options{
		PasswordHash: k.cfg.Status.PasswordHash, Tester: outputTester{k}, Clock: k.clock, Logger: k.log})
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("kiosk: status page: %w", err)
	}
	k.statusAddr.Store(l.Addr().String())
	srv := &http.Server{Handler: page, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			k.log.Error("kiosk: status page", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// statusSource is the kiosk as the status page sees it.
type statusSource struct{ k *Kiosk }

func (s statusSource) Status(ctx context.Context) control.Status { return s.k.Status(ctx) }

func (s statusSource) Snapshot(ctx context.Context) (scanner.Snapshot, error) {
	if len(s.k.hw.cameras) == 0 {
		return scanner.Snapshot{}, statuspage.ErrNoCamera
	}
	return s.k.scanner.Snapshot(ctx, s.k.hw.cameras[0].name)
}

// outputTester runs the status page's output tests on the door's display.
type outputTester struct{ k *Kiosk }

func (o outputTester) Test(part string) error { return o.k.display.Test(display.Part(part)) }

// simDoor is the kiosk's simulated hardware as the simulator drives it.
type simDoor struct{ k *Kiosk }

func (d simDoor) Show(img *image.Gray)                   { d.k.hw.simCamera.Show(img) }
func (d simDoor) Type(text string) error                 { return d.k.hw.simSerial.Type(text) }
func (d simDoor) Subscribe() (<-chan door.Shown, func()) { return d.k.bus.subscribe() }

// occupancy is people in now for status, when the kiosk has exits or a
// capacity; nil otherwise.
func (k *Kiosk) occupancy(ctx context.Context) *control.OccupancyStatus {
	exit := k.cfg.Exits()
	var o control.OccupancyStatus
	for _, c := range k.hw.cameras {
		if exit(c.name) {
			o.Exits = append(o.Exits, c.name)
		}
	}
	for _, t := range k.hw.texts {
		if exit(t.name) {
			o.Exits = append(o.Exits, t.name)
		}
	}
	in, capacity, err := k.gate.PeopleIn(ctx)
	if capacity == 0 && len(o.Exits) == 0 {
		return nil
	}
	o.PeopleIn, o.Capacity = in, capacity
	if err != nil {
		o.Error = err.Error()
	}
	return &o
}
