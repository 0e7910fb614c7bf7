package config

import (
	"strings"
	"testing"
)

func TestExitsAndCapacity(t *testing.T) {
	c, err := Parse("s.toml", []byte("[policy]\ncapacity = 120\n[serial]\nenabled = true\nexit = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.DoorPolicy(); p.Capacity != 120 {
		t.Fatalf("capacity %d", p.Capacity)
	}
	exit := c.Exits()
	if !exit("serial0") || exit("camera0") || exit("hid0") || exit("manual:s1") {
		t.Fatal("only serial0 is an exit")
	}
	c, err = Parse("s.toml", []byte("[device]\nexit = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if exit := c.Exits(); !exit("camera0") || !exit("hid0") {
		t.Fatal("device.exit makes every source an exit")
	}
	if exit := Default().Exits(); exit("camera0") || exit("serial0") {
		t.Fatal("the default has exits")
	}
	_, err = Parse("s.toml", []byte("[policy]\ncapacity = -3\n"))
	ps := Problems(err)
	if len(ps) != 1 || ps[0].Key != "policy.capacity" || ps[0].Line != 2 || !strings.Contains(ps[0].Msg, "-3") {
		t.Fatalf("negative capacity: %v", err)
	}
}
