package collector

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/scangate/scangate/sync/wire"
)

// Erasure kinds: what Erasure.Subject names.
const (
	EraseCard   = "card"   // a card id (hex)
	EraseHolder = "holder" // a holder pseudonym (the card's sub)
)

// Erasure asks for every record of one card or one holder to go.
type Erasure struct {
	Kind    string    // EraseCard or EraseHolder
	Subject string    // the card id or the holder pseudonym
	Actor   string    // who asked, as the administrator gave it; kept in the audit
	At      time.Time // when; records of the subject made after it are new ones
}

// Tables an erasure reports on (ErasureReport.Deleted).
const (
	TableCheckins  = "checkins"  // rows anonymised: the visit's identity of the person is gone
	TableConflicts = "conflicts" // records kept aside, deleted
	TableCards     = "cards"     // the collector's card registry, deleted
)

// ErasureReport is one erasure as done and as audited. Subject is a hash
// (SubjectHash), never the id itself: the audit must not keep what it
// erased.
type ErasureReport struct {
	ID      int64            `json:"id"`
	At      time.Time        `json:"at"`
	Actor   string           `json:"actor"`
	Kind    string           `json:"kind"`
	Subject string           `json:"subject_sha256"`
	Deleted map[string]int64 `json:"deleted"` // per table
	// Late counts records of the subject, made before the erasure, that
	// arrived after it from a kiosk that was offline, stored anonymised.
	Late int64 `json:"late"`
}

// VenuePurge is what PurgeExpired deleted at one venue.
type VenuePurge struct {
	Venue   string           `json:"venue"`
	Cutoff  time.Time        `json:"cutoff"` // records before it went
	Deleted map[string]int64 `json:"deleted"`
}

// SubjectHash is how erasures name their subject: the SHA-256 of the kind
// and the id (card ids in lower case). An administrator can check whether
// a card was erased by hashing its id; the audit alone does not tell whose.
func SubjectHash(kind, subject string) string {
	if kind == EraseCard {
		subject = strings.ToLower(subject)
	}
	sum := sha256.Sum256([]byte(kind + "\x00" + subject))
	return hex.EncodeToString(sum[:])
}

// recordSubjects are the subject hashes a stored record answers to.
func recordSubjects(r *wire.Record) []string {
	var out []string
	if r.CardID != "" {
		out = append(out, SubjectHash(EraseCard, r.CardID))
	}
	if r.Holder != "" {
		out = append(out, SubjectHash(EraseHolder, r.Holder))
	}
	return out
}

// anonymise blanks what identifies the person in a record kept as the
// trace of an erased check-in.
func anonymise(r *wire.Record) {
	r.CardID, r.Holder, r.Name, r.Category, r.Group = "", "", "", "", 0
}

// checkErasure reports the first problem with e.
func checkErasure(e Erasure) error {
	switch {
	case e.Kind != EraseCard && e.Kind != EraseHolder:
		return fmt.Errorf("%w: erasure kind %q, want %q or %q", ErrBadRequest, e.Kind, EraseCard, EraseHolder)
	case e.Subject == "" || len(e.Subject) > wire.MaxIDLen:
		return fmt.Errorf("%w: erasure subject empty or longer than %d bytes", ErrBadRequest, wire.MaxIDLen)
	case strings.TrimSpace(e.Actor) == "" || len(e.Actor) > wire.MaxTextLen:
		return fmt.Errorf("%w: erasure needs who asked for it (1 to %d bytes)", ErrBadRequest, wire.MaxTextLen)
	case e.At.IsZero():
		return fmt.Errorf("%w: erasure time missing", ErrBadRequest)
	}
	return nil
}
