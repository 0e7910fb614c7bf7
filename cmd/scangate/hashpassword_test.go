package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/scangate/scangate/config"
	"golang.org/x/crypto/bcrypt"
)

// TestHashPassword: the printed line is a TOML line the config accepts,
// whose hash matches the password; a short password is refused.
func TestHashPassword(t *testing.T) {
	old := stdin
	t.Cleanup(func() { stdin = old })
	stdin = strings.NewReader("door-keeper-7\r\n")
	var out, errb bytes.Buffer
	if code := run([]string{"hash-password"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	cfg, err := config.Parse("scangate.toml", []byte("[status]\nlisten = \":8080\"\n"+out.String()))
	if err != nil {
		t.Fatalf("config refuses the printed line %q: %v", out.String(), err)
	}
	if bcrypt.CompareHashAndPassword([]byte(cfg.Status.PasswordHash), []byte("door-keeper-7")) != nil {
		t.Fatalf("hash %q does not match the password", cfg.Status.PasswordHash)
	}
	stdin = strings.NewReader("short\n")
	if code := run([]string{"hash-password"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "at least 8") {
		t.Fatalf("short password: exit %d %s", code, errb.String())
	}
}
