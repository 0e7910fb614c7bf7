package main

import "time"

// stall is how long the guest's console may stay silent once a wait's
// nominal time is up. TCG runs several times slower on a loaded host
// (CI shares its cores), so a fixed deadline fails good boots there; a
// hung boot is a silent console, and a reset loop prints a banner each
// time round, so silence is what ends a wait.
const stall = 90 * time.Second

// patience is a deadline that a guest still printing stretches, up to
// three times the nominal time.
type patience struct {
	v        *vm
	soft     time.Time
	hard     time.Time
	seen     int
	lastGrow time.Time
}

func (v *vm) patience(timeout time.Duration) *patience {
	now := time.Now()
	return &patience{v: v, soft: now.Add(timeout), hard: now.Add(3 * timeout), seen: len(v.serial()), lastGrow: now}
}

// over reports whether the wait should give up.
func (p *patience) over() bool {
	now := time.Now()
	if n := len(p.v.serial()); n != p.seen {
		p.seen, p.lastGrow = n, now
	}
	if now.After(p.hard) {
		return true
	}
	return now.After(p.soft) && now.Sub(p.lastGrow) > stall
}
