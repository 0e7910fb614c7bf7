package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/scangate/scangate/control"
)

const defaultDataDir = "/data/scangate"

func init() {
	register(command{name: "status", summary: "show a running kiosk's health (sources, outbox, trust data, clock)", run: runStatus})
}

// dataFlag adds the shared --data/--sim flags and resolves the socket path.
func dataFlag(fs *flag.FlagSet) func() string {
	data := fs.String("data", "", "kiosk data directory (default "+defaultDataDir+"; ./var with --sim)")
	sim := fs.Bool("sim", false, "talk to a kiosk started with --sim (data directory ./var)")
	return func() string {
		d := *data
		if d == "" {
			d = defaultDataDir
			if *sim {
				d = "var"
			}
		}
		return filepath.Join(d, control.SocketName)
	}
}

func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sock := dataFlag(fs)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := control.NewClient(sock()).Status(ctx)
	if err != nil {
		return errorf(stderr, "%v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(st)
		return 0
	}
	printStatus(stdout, st)
	return 0
}

func printStatus(w io.Writer, st control.Status) {
	ready := "starting"
	if st.Ready {
		ready = "ready"
	}
	sim := ""
	if st.Sim {
		sim = " (simulated hardware)"
	}
	fmt.Fprintf(w, "scangate %s — %s, %s mode, %s%s, up %s\n", st.Version, st.Device, st.Mode, ready, sim,
		time.Since(st.StartedAt).Round(time.Second))
	if st.Slot != "" || len(st.Addresses) > 0 {
		fmt.Fprintf(w, "slot:     %s, addresses %s\n", cmp.Or(st.Slot, "-"), cmp.Or(strings.Join(st.Addresses, ", "), "none"))
	}
	fmt.Fprintln(w, "sources:")
	for _, s := range st.Sources {
		line := fmt.Sprintf("  %-8s %-7s %-13s codes %d", s.Name, s.Kind, s.State, s.Codes)
		if s.Kind == "camera" {
			line += fmt.Sprintf(", frames %d, dropped %d", s.Frames, s.Dropped)
		}
		if s.LastError != "" {
			line += ", last error: " + s.LastError
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "store:    %s, %d check-ins, outbox %d", st.Store.Health, st.Store.Checkins, st.Store.OutboxDepth)
	if st.Store.OutboxDepth > 0 {
		fmt.Fprintf(w, " (oldest %s)", (time.Duration(st.Store.OldestAgeS * float64(time.Second))).Round(time.Second))
	}
	if st.Store.PurgedUnsent > 0 {
		fmt.Fprintf(w, ", %d purged unsent (retention)", st.Store.PurgedUnsent)
	}
	if st.Store.LastError != "" {
		fmt.Fprintf(w, ", error: %s", st.Store.LastError)
	}
	fmt.Fprintln(w)
	for _, r := range st.Store.Recoveries {
		lost := fmt.Sprint(r.Lost)
		if r.Lost < 0 {
			lost = "an unknown number of"
		}
		fmt.Fprintf(w, "          database recovered %s: %d queued check-ins salvaged, %s lost\n",
			r.At.Format(time.RFC3339), r.Salvaged, lost)
	}
	if o := st.Occupancy; o != nil {
		fmt.Fprintf(w, "people:   %d in now", o.PeopleIn)
		if o.Capacity > 0 {
			fmt.Fprintf(w, " of capacity %d", o.Capacity)
		}
		if len(o.Exits) > 0 {
			fmt.Fprintf(w, ", exits %s", strings.Join(o.Exits, ", "))
		}
		if o.Error != "" {
			fmt.Fprintf(w, ", error: %s", o.Error)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "trust:    list v%d (%d issuers), revocations v%d, age %s\n", st.Trust.ListVersion, st.Trust.Issuers,
		st.Trust.RevocationVersion, (time.Duration(st.Trust.AgeS * float64(time.Second))).Round(time.Minute))
	switch {
	case st.Trust.Refusing != "":
		fmt.Fprintf(w, "          REFUSING every card as a device fault (%s)%s\n", st.Trust.Refusing, renewHint(st.Trust.Refusing))
	case st.Trust.Warn:
		fmt.Fprintf(w, "          WARNING: cards refused from %s: renew the trust data (scangate trust renew)\n", fmtTime(st.Trust.RefusedFrom))
	case !st.Trust.RefusedFrom.IsZero():
		fmt.Fprintf(w, "          cards refused from %s unless new trust data arrives\n", fmtTime(st.Trust.RefusedFrom))
	}
	if li := st.Trust.LastInstall; li != nil {
		for _, f := range li.Files {
			line := fmt.Sprintf("          %s %s: %s", li.At.Format("2006-01-02 15:04"), f.Path, f.Result)
			if f.Version > 0 {
				line += fmt.Sprintf(" v%d", f.Version)
			}
			if f.Error != "" {
				line += ": " + f.Error
			}
			fmt.Fprintln(w, line)
		}
	}
	for _, p := range st.Trust.Pins {
		fmt.Fprintf(w, "          list key %s (%s)\n", p.KID, p.Origin)
	}
	if len(st.Trust.Pins) == 0 {
		fmt.Fprintln(w, "          no list key pinned: set trust.list_keys")
	}
	synced := "not confirmed"
	if st.Clock.Synced {
		synced = "synchronised"
	}
	fmt.Fprintf(w, "clock:    %s %s, %s\n", st.Clock.Now.Format(time.RFC3339), st.Clock.TimeZone, synced)
	if u := st.Uplink; u != nil {
		fmt.Fprintf(w, "uplink:   %s enrolled=%v last success %s", u.URL, u.Enrolled, fmtTime(u.LastSuccess))
		if u.LastError != "" {
			fmt.Fprintf(w, ", last error: %s", u.LastError)
		}
		fmt.Fprintln(w)
	}
	if len(st.Last) > 0 {
		fmt.Fprintln(w, "last decisions:")
		for i := len(st.Last) - 1; i >= 0; i-- {
			d := st.Last[i]
			fmt.Fprintf(w, "  %s %-7s %-28s %-8s %s %.1f ms\n", d.At.Format("15:04:05"), d.Outcome, d.Reason,
				d.Source, strings.TrimSpace(d.Name+" "+d.Category), d.LatencyMS)
		}
	}
}

// renewHint says what to do about a refusal the trust data causes.
func renewHint(reason string) string {
	switch reason {
	case "trust_data_stale":
		return ": put renewed trust.json and revocations.json on the SCANGATE drive or a USB stick"
	case "configuration":
		return ": name the issuer's public key in trust.list_keys"
	case "clock_not_trustworthy":
		return ": set the clock (network time, or the collector)"
	}
	return ""
}

// fmtTime writes t in the zone it came in (the kiosk's device.timezone).
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format(time.RFC3339)
}
