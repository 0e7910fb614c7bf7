package camsim

import (
	"bytes"
	"testing"
)

// TestHeldSetReproducible: a seed gives the same frames, another seed
// different ones, and the texts have the QR versions real cards have.
func TestHeldSetReproducible(t *testing.T) {
	a, err := HeldSet(7, 6, SG1Text)
	if err != nil {
		t.Fatal(err)
	}
	b, err := HeldSet(7, 6, SG1Text)
	if err != nil {
		t.Fatal(err)
	}
	c, err := HeldSet(8, 6, SG1Text)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !bytes.Equal(a[i].Frame.Y, b[i].Frame.Y) || a[i].Text != b[i].Text {
			t.Errorf("frame %d differs between two renders of one seed", i)
		}
		if bytes.Equal(a[i].Frame.Y, c[i].Frame.Y) {
			t.Errorf("frame %d is the same under another seed", i)
		}
		if a[i].Version != 12 {
			t.Errorf("SG1 frame %d: QR version %d, want 12", i, a[i].Version)
		}
	}
	s2, err := HeldSet(7, 6, SG2Text)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range s2 {
		if s.Version != 9 {
			t.Errorf("SG2 frame %d: QR version %d, want 9", i, s.Version)
		}
	}
	empty, err := HeldEmptySet(7, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(empty) != 4 || len(empty[0].Y) != Width*Height {
		t.Errorf("empty set: %d frames", len(empty))
	}
}
