package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// PersonCard is a card issued for a person: the QR text is kept so the
// card can be printed again (it carries only the masked name).
type PersonCard struct {
	CardID       string
	PersonID     string
	Issuer       string
	QR           string
	IssuedAt     time.Time
	Expires      time.Time
	RevokedAt    time.Time
	RevokeReason string
}

// Number is the short number printed on the card: the first 8 hex digits
// of its id, as `scangate issue` prints it.
func (c PersonCard) Number() string {
	if len(c.CardID) < 8 {
		return strings.ToUpper(c.CardID)
	}
	return strings.ToUpper(c.CardID[:4] + "-" + c.CardID[4:8])
}

// Valid reports whether the card is neither revoked nor expired at now.
func (c PersonCard) Valid(now time.Time) bool {
	return c.RevokedAt.IsZero() && now.Before(c.Expires)
}

// RecordCard remembers a card the collector issued for p; action is
// ActCardIssue or ActCardReissue.
func (s *Store) RecordCard(ctx context.Context, u User, p Person, c PersonCard, action string) error {
	if !CanSee(u, p) {
		return ErrNotFound
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reg_person_cards (card_id, person_id, issuer, qr, issued_at, expires) VALUES (?, ?, ?, ?, ?, ?)`),
			c.CardID, p.ID, c.Issuer, c.QR, nanos(c.IssuedAt), nanos(c.Expires)); err != nil {
			return fmt.Errorf("registry: record card: %w", err)
		}
		return s.audit(ctx, tx, u.ID, action, c.CardID, p.ID)
	})
}

// Cards returns the person's cards, newest first.
func (s *Store) Cards(ctx context.Context, p Person) ([]PersonCard, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT card_id, person_id, issuer, qr, issued_at, expires, revoked_at, revoke_reason FROM reg_person_cards WHERE person_id = ? ORDER BY issued_at DESC, card_id`), p.ID)
	if err != nil {
		return nil, fmt.Errorf("registry: cards: %w", err)
	}
	defer rows.Close()
	var out []PersonCard
	for rows.Next() {
		var c PersonCard
		var iat, exp, rev int64
		if err := rows.Scan(&c.CardID, &c.PersonID, &c.Issuer, &c.QR, &iat, &exp, &rev, &c.RevokeReason); err != nil {
			return nil, fmt.Errorf("registry: cards: %w", err)
		}
		c.IssuedAt, c.Expires, c.RevokedAt = fromNanos(iat), fromNanos(exp), fromNanos(rev)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Card returns one card of p.
func (s *Store) Card(ctx context.Context, p Person, cardID string) (PersonCard, error) {
	cs, err := s.Cards(ctx, p)
	if err != nil {
		return PersonCard{}, err
	}
	for _, c := range cs {
		if c.CardID == cardID {
			return c, nil
		}
	}
	return PersonCard{}, ErrNotFound
}

// Revoke reasons.
const (
	ReasonLost     = "lost"
	ReasonReissued = "reissued"
	ReasonRevoked  = "revoked"
	ReasonErased   = "erased"
)

// MarkRevoked records that a card of p was revoked at the collector;
// action is ActCardLost or ActCardRevoke.
func (s *Store) MarkRevoked(ctx context.Context, u User, p Person, cardID, reason, action string) error {
	if !CanSee(u, p) {
		return ErrNotFound
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE reg_person_cards SET revoked_at = ?, revoke_reason = ? WHERE card_id = ? AND person_id = ? AND revoked_at = 0`),
			nanos(s.now()), reason, cardID, p.ID)
		if err != nil {
			return fmt.Errorf("registry: revoke: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return s.audit(ctx, tx, u.ID, action, cardID, reason)
	})
}

// Document types an office checks.
var DocTypes = []string{"id_card", "household_register", "passport", "other"}

// DocCheck is the record that an identity document was seen: its type
// and last four characters, never the full number.
type DocCheck struct {
	ID        string
	PersonID  string
	DocType   string
	Last4     string
	CheckedBy string
	At        time.Time
}

// ParseLast4 takes what an operator typed as the document's tail and
// keeps its last four letters or digits. A whole number typed by mistake
// is cut to its last four before anything is stored.
func ParseLast4(s string) (string, error) {
	var keep []rune
	for _, r := range strings.ToUpper(s) {
		if r < unicode.MaxASCII && (unicode.IsDigit(r) || unicode.IsLetter(r)) {
			keep = append(keep, r)
		} else if !unicode.IsSpace(r) && r != '-' {
			return "", fmt.Errorf("%w: document characters: letters and digits only", ErrBadRequest)
		}
	}
	if len(keep) < 4 {
		return "", fmt.Errorf("%w: give the last four characters of the document number", ErrBadRequest)
	}
	return string(keep[len(keep)-4:]), nil
}

// RecordDocCheck records that u checked a document of p.
func (s *Store) RecordDocCheck(ctx context.Context, u User, p Person, docType, last4 string) (DocCheck, error) {
	if u.Role != RoleOperator && u.Role != RoleAdmin || !CanSee(u, p) {
		return DocCheck{}, ErrNotFound
	}
	ok := false
	for _, t := range DocTypes {
		ok = ok || t == docType
	}
	if !ok {
		return DocCheck{}, fmt.Errorf("%w: document type %q", ErrBadRequest, docType)
	}
	l4, err := ParseLast4(last4)
	if err != nil {
		return DocCheck{}, err
	}
	id, err := randomHex(8)
	if err != nil {
		return DocCheck{}, err
	}
	dc := DocCheck{ID: "d-" + id, PersonID: p.ID, DocType: docType, Last4: l4, CheckedBy: u.ID, At: s.now()}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reg_doc_checks (id, person_id, doc_type, last4, checked_by, at) VALUES (?, ?, ?, ?, ?, ?)`),
			dc.ID, dc.PersonID, dc.DocType, dc.Last4, dc.CheckedBy, nanos(dc.At)); err != nil {
			return fmt.Errorf("registry: document check: %w", err)
		}
		return s.audit(ctx, tx, u.ID, ActDocCheck, p.ID, docType)
	})
	return dc, err
}

// DocChecks returns the person's document checks, newest first.
func (s *Store) DocChecks(ctx context.Context, p Person) ([]DocCheck, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, person_id, doc_type, last4, checked_by, at FROM reg_doc_checks WHERE person_id = ? ORDER BY at DESC, id`), p.ID)
	if err != nil {
		return nil, fmt.Errorf("registry: document checks: %w", err)
	}
	defer rows.Close()
	var out []DocCheck
	for rows.Next() {
		var d DocCheck
		var at int64
		if err := rows.Scan(&d.ID, &d.PersonID, &d.DocType, &d.Last4, &d.CheckedBy, &at); err != nil {
			return nil, fmt.Errorf("registry: document checks: %w", err)
		}
		d.At = fromNanos(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// IsNotFound reports whether err means "no such thing, or not yours".
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
