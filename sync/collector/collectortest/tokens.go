package collectortest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
)

// RunTokenSuite states the semantics of a collector.TokenStore: only
// unused, unexpired tokens are outstanding; a withdrawn token no longer
// enrolls and is no longer listed; a used, expired or withdrawn one
// cannot be withdrawn.
func RunTokenSuite(t *testing.T, newBackend func(t *testing.T) collector.Backend) {
	b := newBackend(t)
	t.Cleanup(func() { b.Close() })
	ts, ok := b.(collector.TokenStore)
	if !ok {
		t.Fatalf("%T is no TokenStore", b)
	}
	ctx := context.Background()
	mustVenue(t, b, "v1")
	for i, h := range []string{"t-used", "t-old", "t-a", "t-b"} {
		exp := base.Add(time.Hour)
		if h == "t-old" {
			exp = base.Add(-time.Minute)
		}
		if err := b.CreateEnrollToken(ctx, collector.EnrollToken{Hash: h, Venue: "v1", CreatedAt: base.Add(time.Duration(i) * time.Second), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	if _, err := b.Enroll(ctx, "t-used", collector.Device{ID: "d1", PublicKey: pub}, base); err != nil {
		t.Fatal(err)
	}
	list := func() []string {
		t.Helper()
		toks, err := ts.OutstandingTokens(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		var hs []string
		for _, x := range toks {
			if x.Venue != "v1" || !x.ExpiresAt.Equal(base.Add(time.Hour)) {
				t.Fatalf("token %+v", x)
			}
			hs = append(hs, x.Hash)
		}
		return hs
	}
	if got := list(); len(got) != 2 || got[0] != "t-a" || got[1] != "t-b" {
		t.Fatalf("outstanding %v, want [t-a t-b]", got)
	}
	if err := ts.WithdrawToken(ctx, "t-a", base); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 1 || got[0] != "t-b" {
		t.Fatalf("after withdrawing t-a: %v", got)
	}
	pub2, _, _ := ed25519.GenerateKey(nil)
	if _, err := b.Enroll(ctx, "t-a", collector.Device{ID: "d2", PublicKey: pub2}, base); !errors.Is(err, collector.ErrExpired) {
		t.Fatalf("enroll with a withdrawn token: %v, want ErrExpired", err)
	}
	for _, h := range []string{"t-used", "nope", "t-a", "t-old"} {
		if err := ts.WithdrawToken(ctx, h, base); !errors.Is(err, collector.ErrNotFound) {
			t.Errorf("withdraw %s: %v, want ErrNotFound", h, err)
		}
	}
}
