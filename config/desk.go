package config

import (
	"net"
	"regexp"
	"strconv"

	"golang.org/x/crypto/bcrypt"
)

// Desk is the staff desk the kiosk serves on the venue's network: today's
// check-ins, register on behalf, undo, export, with the venue offline
// too. Off unless listen is set; each staff member signs in by id.
type Desk struct {
	Listen string      `toml:"listen"` // e.g. ":8081"; empty disables the desk
	Staff  []DeskStaff `toml:"staff"`
}

// DeskStaff is one staff member of the desk.
type DeskStaff struct {
	ID           string `toml:"id"`            // sign-in name; in every record and audit line ("manual:<id>")
	Name         string `toml:"name"`          // shown to them once signed in
	PasswordHash string `toml:"password_hash"` // bcrypt, from `scangate hash-password`
}

// deskID keeps staff ids short and plain: they travel in each manual
// check-in's source (wire.MaxIDLen) and in URLs of nothing.
var deskID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

func (d Desk) check(status, metrics string, bad func(key, format string, a ...any)) {
	if d.Listen == "" {
		return
	}
	_, port, err := net.SplitHostPort(d.Listen)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		bad("desk.listen", "must be [host]:port, e.g. \":8081\", got %q", d.Listen)
	} else if d.Listen == status || d.Listen == metrics {
		bad("desk.listen", "must differ from status.listen and metrics.listen: the desk has its own address")
	}
	if len(d.Staff) == 0 {
		bad("desk.listen", "needs at least one desk.staff entry to sign in with")
	}
	seen := map[string]bool{}
	for i, s := range d.Staff {
		switch {
		case !deskID.MatchString(s.ID):
			bad("desk.staff", "entry %d: id %q must be 1..32 of a-z 0-9 . _ - (starting with a letter or digit)", i+1, s.ID)
		case seen[s.ID]:
			bad("desk.staff", "entry %d: id %q is given twice", i+1, s.ID)
		}
		seen[s.ID] = true
		if _, err := bcrypt.Cost([]byte(s.PasswordHash)); err != nil {
			bad("desk.staff", "entry %d (%s): password_hash is not a bcrypt hash (make one with `scangate hash-password`)", i+1, s.ID)
		}
		if len(s.Name) > 64 {
			bad("desk.staff", "entry %d (%s): name longer than 64 bytes", i+1, s.ID)
		}
	}
}
