package door

import "time"

// Policy is the device's one shape of the admission policy: the gate
// applies it, the configuration's [policy] and the collector's venue
// policy are read into it (config.Policy.Door, uplink's bundle).
type Policy struct {
	LogOnly         bool          // any code is recorded (as a keyed hash) and admitted
	DuplicateWindow time.Duration // the same card again within it: already checked in; default 10 min
	Categories      []string      // admitted; empty admits all
	CompanionWindow time.Duration // default 30 s
	MaxTrustAge     time.Duration // older trust data refuses every card; 0: the trust source's default
	MaxUnsynced     time.Duration // 0: an unconfirmed but plausible clock is fine
	FailOpen        bool          // admit (unrecorded) when the ledger fails
	// Capacity refuses an entry (Full, venue_full) while people in now
	// (Occupancy.PeopleIn since the venue's midnight) is at least this; 0: no limit.
	Capacity int
}

// WithVenue returns p with the venue's rules from v (mode, windows,
// categories, trust age, capacity). What is about this box stays the device's own:
// fail-open concerns its disk, max-unsynced its clock.
func (p Policy) WithVenue(v Policy) Policy {
	v.FailOpen, v.MaxUnsynced = p.FailOpen, p.MaxUnsynced
	if v.MaxTrustAge <= 0 {
		v.MaxTrustAge = p.MaxTrustAge
	}
	return v
}
