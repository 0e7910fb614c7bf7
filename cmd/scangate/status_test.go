package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/control"
)

// What `scangate status` says about the trust data: the date cards will be
// refused, in the kiosk's time zone; a warning before; the reason and what
// to do while refusing; each trust file's result.
func TestPrintStatusTrust(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	from := time.Date(2027, 1, 28, 9, 30, 0, 0, cst)
	base := control.Status{Clock: control.ClockStatus{Now: from.Add(-72 * time.Hour), TimeZone: "Asia/Shanghai"}}
	for name, tc := range map[string]struct {
		trust control.TrustStatus
		want  []string
	}{
		"fine": {control.TrustStatus{ListVersion: 2, RefusedFrom: from},
			[]string{"cards refused from 2027-01-28T09:30:00+08:00 unless new trust data arrives", "Asia/Shanghai"}},
		"warn": {control.TrustStatus{ListVersion: 2, RefusedFrom: from, Warn: true},
			[]string{"WARNING: cards refused from 2027-01-28T09:30:00+08:00: renew"}},
		"refusing": {control.TrustStatus{Refusing: "trust_data_stale", Stale: true, LastInstall: &control.TrustInstall{
			At: from, Files: []control.TrustFile{{Path: "/boot/trust.json", Kind: "trust", Result: "refused", Error: "not signed by a pinned key"}}}},
			[]string{"REFUSING every card as a device fault (trust_data_stale): put renewed", "/boot/trust.json: refused: not signed by a pinned key"}},
		"unpinned": {control.TrustStatus{Refusing: "configuration"}, []string{"(configuration): name the issuer's public key in trust.list_keys"}},
	} {
		st := base
		st.Trust = tc.trust
		var b bytes.Buffer
		printStatus(&b, st)
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: status lacks %q:\n%s", name, w, b.String())
			}
		}
	}
}

// The console names the booted slot and where the status page is.
func TestPrintStatusSlot(t *testing.T) {
	var b bytes.Buffer
	printStatus(&b, control.Status{Slot: "B", Addresses: []string{"192.168.1.20", "fd00::20"}})
	if !strings.Contains(b.String(), "slot:     B, addresses 192.168.1.20, fd00::20") {
		t.Errorf("status lacks the slot line:\n%s", b.String())
	}
	b.Reset()
	printStatus(&b, control.Status{})
	if strings.Contains(b.String(), "slot:") {
		t.Errorf("status off an image shows a slot line:\n%s", b.String())
	}
}
