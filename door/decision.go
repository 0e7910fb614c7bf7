package door

import "time"

// Outcome is what the door shows: the feedback pattern follows from it.
type Outcome int

const (
	Pass      Outcome = iota // admitted and counted
	AlreadyIn                // admitted, not counted twice
	Fail                     // refused because of the card itself; Reason says why
	Fault                    // refused because of the device (Reason.Device): see staff
	// NotEntered is never decided or shown: it is a later record that an
	// admitted person did not pass the door within the relay's window.
	NotEntered
	// Undo is never decided or shown either: staff at the desk took back
	// a check-in (a new record; the check-in stays as it was).
	Undo
	// Exit records someone leaving through an exit source; Reason is
	// ReasonExit, or the card's trouble (revoked, expired, ...) as a flag
	// for staff: nobody is kept in, and the count must go down.
	Exit
	// Full refuses an entry because the venue holds its capacity: neither
	// the card's fault (Fail) nor the device's (Fault), so it has its own
	// feedback ("please wait") and is counted apart from both.
	Full
)

func (o Outcome) String() string {
	switch o {
	case Pass:
		return "pass"
	case AlreadyIn:
		return "already"
	case Fail:
		return "fail"
	case Fault:
		return "fault"
	case NotEntered:
		return "not_entered"
	case Undo:
		return "undo"
	case Exit:
		return "exit"
	case Full:
		return "full"
	}
	return "unknown"
}

// Reason is the stable machine name of why a decision was made. These
// strings are stored, uploaded and shown in status: never rename one.
type Reason string

const (
	ReasonPass          Reason = "pass"
	ReasonAlreadyIn     Reason = "already_checked_in"
	ReasonMalformed     Reason = "malformed"
	ReasonUnknownIssuer Reason = "unknown_issuer"
	ReasonBadSignature  Reason = "bad_signature"
	ReasonExpired       Reason = "expired"
	ReasonNotYetValid   Reason = "not_yet_valid"
	ReasonRevoked       Reason = "revoked"
	ReasonIssuerVenue   Reason = "issuer_not_trusted_for_venue"
	ReasonCategory      Reason = "category_not_admitted"
	ReasonTrustStale    Reason = "trust_data_stale"
	ReasonClock         Reason = "clock_not_trustworthy"
	ReasonDeviceFault   Reason = "device_fault" // a verdict this build cannot name
	ReasonStorage       Reason = "storage_fault"
	ReasonConfig        Reason = "configuration"  // e.g. no list key pinned: trust data cannot be checked
	ReasonLogged        Reason = "logged"         // log-only mode: any code is recorded and admitted
	ReasonExit          Reason = "exit"           // left through an exit source
	ReasonAlreadyOut    Reason = "already_exited" // the same card again at an exit: recorded, not counted twice
	ReasonVenueFull     Reason = "venue_full"     // people in now reached policy capacity
)

// Reasons lists every reason; a test checks it against the constants
// above, so display texts and mappings cannot miss a new one.
func Reasons() []Reason {
	return []Reason{ReasonPass, ReasonAlreadyIn, ReasonMalformed, ReasonUnknownIssuer, ReasonBadSignature,
		ReasonExpired, ReasonNotYetValid, ReasonRevoked, ReasonIssuerVenue, ReasonCategory, ReasonTrustStale,
		ReasonClock, ReasonDeviceFault, ReasonStorage, ReasonConfig, ReasonLogged, ReasonExit, ReasonAlreadyOut,
		ReasonVenueFull}
}

// Device reports whether r is the device's fault, never the card's: a
// decision with such a reason is a Fault, shown as "see staff", and a
// Fail only ever carries a reason about the card.
func (r Reason) Device() bool {
	switch r {
	case ReasonTrustStale, ReasonClock, ReasonDeviceFault, ReasonStorage, ReasonConfig:
		return true
	}
	return false
}

// Decision is the gate's answer for one presented code.
type Decision struct {
	Outcome   Outcome
	Reason    Reason
	Name      string // masked display name from the card (王*英), "" when unknown
	Category  string // elder, child, companion, staff, or ""
	CardID    string // card id (cti, hex); "" when the code did not parse
	Group     int64  // companion group id (the companion's check-in seq), 0 when none
	Seq       int64  // the durable check-in's seq; 0 when nothing was recorded
	Source    string
	SeenAt    time.Time // when the code was seen
	DecidedAt time.Time
	Detail    string // for logs at debug level only: may name the card
}

// Admitted reports whether the door lets the person through.
func (d Decision) Admitted() bool { return d.Outcome == Pass || d.Outcome == AlreadyIn }

// Shown is a decision as the door showed it: ShownAt is when its feedback
// was requested (ShownAt - SeenAt is the door's latency).
type Shown struct {
	Decision
	ShownAt time.Time
}
