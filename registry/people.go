package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Person is someone cards are issued for: an elder, a child, a companion.
// Name and photo live only here; the card's QR and every device carry the
// masked name. Holder is the pseudonym the card's sub claim carries.
type Person struct {
	ID       string
	Owner    string // the family account that looks after them; "" for the office's
	Issuer   string
	Holder   string
	Name     string
	Category string // elder, child, companion
	Relation string // how the family member is related (母亲, son, ...)
	HasPhoto bool
	Created  time.Time
}

// Categories a person may have here: staff cards are for venue staff and
// come from an administrator.
var PersonCategories = []string{"elder", "child", "companion"}

// NewPerson is what AddPerson needs.
type NewPerson struct {
	Name, Category, Relation, Issuer string
}

// CheckName reports the first problem with a holder's full name.
func CheckName(name string) error {
	n := utf8.RuneCountInString(name)
	if n == 0 || strings.TrimSpace(name) == "" {
		return fmt.Errorf("%w: empty name", ErrBadRequest)
	}
	if n > 40 {
		return fmt.Errorf("%w: name longer than 40 characters", ErrBadRequest)
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("%w: name holds a control character", ErrBadRequest)
		}
	}
	return nil
}

func (n *NewPerson) check() error {
	n.Name = strings.TrimSpace(n.Name)
	n.Relation = strings.TrimSpace(n.Relation)
	if err := CheckName(n.Name); err != nil {
		return err
	}
	ok := false
	for _, c := range PersonCategories {
		ok = ok || c == n.Category
	}
	if !ok {
		return fmt.Errorf("%w: category %q: want elder, child or companion", ErrBadRequest, n.Category)
	}
	if utf8.RuneCountInString(n.Relation) > 20 {
		return fmt.Errorf("%w: relation longer than 20 characters", ErrBadRequest)
	}
	if n.Issuer == "" {
		return fmt.Errorf("%w: no issuer", ErrBadRequest)
	}
	return nil
}

// CanSee reports whether u may see and act for p: a family only its own
// people, an operator the people of its issuers, an administrator all.
func CanSee(u User, p Person) bool {
	switch u.Role {
	case RoleAdmin:
		return true
	case RoleFamily:
		return p.Owner == u.ID
	case RoleOperator:
		return u.MayIssue(p.Issuer)
	}
	return false
}

// AddPerson adds a person u looks after (a family) or registers (an
// office: no owner).
func (s *Store) AddPerson(ctx context.Context, u User, n NewPerson) (Person, error) {
	if u.Role == RoleFamily {
		n.Issuer = u.Issuer
	}
	if err := n.check(); err != nil {
		return Person{}, err
	}
	if !u.MayIssue(n.Issuer) {
		return Person{}, fmt.Errorf("%w: may not register people for issuer %q", ErrBadRequest, n.Issuer)
	}
	id, err := randomHex(8)
	if err != nil {
		return Person{}, err
	}
	holder, err := randomHex(8)
	if err != nil {
		return Person{}, err
	}
	p := Person{ID: "p-" + id, Issuer: n.Issuer, Holder: "h-" + holder, Name: n.Name, Category: n.Category, Relation: n.Relation, Created: s.now()}
	if u.Role == RoleFamily {
		p.Owner = u.ID
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reg_people (id, owner, issuer, holder, name, category, relation, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			p.ID, p.Owner, p.Issuer, p.Holder, p.Name, p.Category, p.Relation, nanos(p.Created), nanos(p.Created)); err != nil {
			return fmt.Errorf("registry: add person: %w", err)
		}
		return s.audit(ctx, tx, u.ID, ActPersonAdd, p.ID, p.Category)
	})
	return p, err
}

const personCols = `p.id, p.owner, p.issuer, p.holder, p.name, p.category, p.relation, p.created, EXISTS (SELECT 1 FROM reg_photos f WHERE f.person_id = p.id)`

func scanPerson(sc interface{ Scan(...any) error }) (Person, error) {
	var p Person
	var created int64
	if err := sc.Scan(&p.ID, &p.Owner, &p.Issuer, &p.Holder, &p.Name, &p.Category, &p.Relation, &created, &p.HasPhoto); err != nil {
		return Person{}, err
	}
	p.Created = fromNanos(created)
	return p, nil
}

// Person returns the person with id if u may see them; ErrNotFound
// otherwise, so a tampered URL learns nothing.
func (s *Store) Person(ctx context.Context, u User, id string) (Person, error) {
	p, err := scanPerson(s.db.QueryRowContext(ctx, s.q(`SELECT `+personCols+` FROM reg_people p WHERE p.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Person{}, ErrNotFound
	}
	if err != nil {
		return Person{}, fmt.Errorf("registry: person: %w", err)
	}
	if !CanSee(u, p) {
		return Person{}, ErrNotFound
	}
	return p, nil
}

// People lists the people u may see whose name contains query ("" for
// all), by name; at most limit.
func (s *Store) People(ctx context.Context, u User, query string, limit int) ([]Person, error) {
	where, args := "", []any{}
	switch u.Role {
	case RoleFamily:
		where, args = "p.owner = ?", append(args, u.ID)
	case RoleOperator:
		if len(u.Issuers) == 0 {
			return nil, nil
		}
		where = "p.issuer IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(u.Issuers)), ", ") + ")"
		for _, is := range u.Issuers {
			args = append(args, is)
		}
	case RoleAdmin:
		where = "1 = 1"
	default:
		return nil, nil
	}
	if query = strings.TrimSpace(query); query != "" {
		where += " AND p.name LIKE ? ESCAPE '!'"
		esc := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(query)
		args = append(args, "%"+esc+"%")
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+personCols+` FROM reg_people p WHERE `+where+` ORDER BY p.name, p.id LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("registry: people: %w", err)
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("registry: people: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SetPhoto stores the person's photo (a JPEG already fitted to the card's
// photo box), replacing any earlier one.
func (s *Store) SetPhoto(ctx context.Context, u User, p Person, jpeg []byte) error {
	if !CanSee(u, p) {
		return ErrNotFound
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reg_photos (person_id, jpeg) VALUES (?, ?) ON CONFLICT (person_id) DO UPDATE SET jpeg = excluded.jpeg`), p.ID, jpeg); err != nil {
			return fmt.Errorf("registry: photo: %w", err)
		}
		return s.audit(ctx, tx, u.ID, ActPhotoSet, p.ID, "")
	})
}

// Photo returns the person's photo, nil when there is none.
func (s *Store) Photo(ctx context.Context, p Person) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT jpeg FROM reg_photos WHERE person_id = ?`), p.ID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: photo: %w", err)
	}
	return b, nil
}

// ErasePerson deletes the person, their photo, cards and document checks
// from the registry. The caller revokes the cards and erases the
// collector's records of the holder first; the audit keeps only ids.
func (s *Store) ErasePerson(ctx context.Context, u User, p Person, detail string) error {
	if !CanSee(u, p) {
		return ErrNotFound
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{"reg_photos", "reg_doc_checks", "reg_person_cards"} {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+t+` WHERE person_id = ?`), p.ID); err != nil {
				return fmt.Errorf("registry: erase %s: %w", t, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM reg_people WHERE id = ?`), p.ID); err != nil {
			return fmt.Errorf("registry: erase person: %w", err)
		}
		return s.audit(ctx, tx, u.ID, ActPersonErase, p.ID, detail)
	})
}
