package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what an account may do.
type Role string

// Roles.
const (
	RoleFamily   Role = "family"   // looks after their own people (亲友关系管理)
	RoleOperator Role = "operator" // community office: issues for its issuers (线下申领)
	RoleStaff    Role = "staff"    // venue staff: bound to venues
	RoleAdmin    Role = "admin"    // accounts, invitations, audit, everything
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleFamily, RoleOperator, RoleStaff, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("%w: role %q: want family, operator, staff or admin", ErrBadRequest, s)
}

// User is an account.
type User struct {
	ID      string
	Login   string
	Role    Role
	Display string
	// Issuer is the issuer a family's people get their cards from (the
	// office that invited them).
	Issuer  string
	Issuers []string // an operator's issuers
	Venues  []string // venue staff's venues
	Created time.Time
}

// MayIssue reports whether u may issue cards of issuer.
func (u User) MayIssue(issuer string) bool {
	switch u.Role {
	case RoleAdmin:
		return true
	case RoleOperator:
		return slices.Contains(u.Issuers, issuer)
	case RoleFamily:
		return u.Issuer == issuer
	}
	return false
}

var loginPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$`)

// NewUser is what CreateUser needs.
type NewUser struct {
	Login, Password, Display string
	Role                     Role
	Issuer                   string
	Issuers, Venues          []string
}

func (n NewUser) check() error {
	if !loginPattern.MatchString(n.Login) {
		return fmt.Errorf("%w: login %q: 3-64 of A-Z a-z 0-9 . _ @ -", ErrBadRequest, n.Login)
	}
	if utf8.RuneCountInString(n.Password) < MinPassword {
		return fmt.Errorf("%w: password shorter than %d characters", ErrBadRequest, MinPassword)
	}
	if len(n.Password) > 256 {
		return fmt.Errorf("%w: password longer than 256 bytes", ErrBadRequest)
	}
	if _, err := ParseRole(string(n.Role)); err != nil {
		return err
	}
	if n.Role == RoleOperator && len(n.Issuers) == 0 {
		return fmt.Errorf("%w: an office operator needs at least one issuer", ErrBadRequest)
	}
	if n.Role == RoleStaff && len(n.Venues) == 0 {
		return fmt.Errorf("%w: venue staff need at least one venue", ErrBadRequest)
	}
	if utf8.RuneCountInString(n.Display) > 64 {
		return fmt.Errorf("%w: display name longer than 64 characters", ErrBadRequest)
	}
	return nil
}

// CreateUser adds an account; actor is who did it ("cli" for the first
// administrator).
func (s *Store) CreateUser(ctx context.Context, actor string, n NewUser) (User, error) {
	n.Login = strings.ToLower(strings.TrimSpace(n.Login))
	if err := n.check(); err != nil {
		return User{}, err
	}
	var u User
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = s.createUser(ctx, tx, actor, n)
		return err
	})
	return u, err
}

func (s *Store) createUser(ctx context.Context, tx *sql.Tx, actor string, n NewUser) (User, error) {
	hash, err := HashPassword(n.Password, s.KDF)
	if err != nil {
		return User{}, err
	}
	id, err := randomHex(8)
	if err != nil {
		return User{}, err
	}
	u := User{ID: "u-" + id, Login: n.Login, Role: n.Role, Display: strings.TrimSpace(n.Display), Issuer: n.Issuer, Issuers: n.Issuers, Venues: n.Venues, Created: s.now()}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO reg_users (id, login, pw_hash, role, display, issuer, created) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		u.ID, u.Login, hash, string(u.Role), u.Display, u.Issuer, nanos(u.Created))
	if isUnique(err) {
		return User{}, fmt.Errorf("%w: login %q", ErrExists, u.Login)
	}
	if err != nil {
		return User{}, fmt.Errorf("registry: create user: %w", err)
	}
	for kind, refs := range map[string][]string{"issuer": n.Issuers, "venue": n.Venues} {
		for _, ref := range refs {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reg_user_scopes (user_id, kind, ref) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), u.ID, kind, ref); err != nil {
				return User{}, fmt.Errorf("registry: user scope: %w", err)
			}
		}
	}
	return u, s.audit(ctx, tx, actor, ActUserCreate, u.ID, string(u.Role))
}

// User returns the account with id.
func (s *Store) User(ctx context.Context, id string) (User, error) {
	return s.userBy(ctx, "id", id)
}

func (s *Store) userBy(ctx context.Context, col, v string) (User, error) {
	var u User
	var created, disabled int64
	var role string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, login, role, display, issuer, created, disabled FROM reg_users WHERE `+col+` = ?`), v).
		Scan(&u.ID, &u.Login, &role, &u.Display, &u.Issuer, &created, &disabled)
	if errors.Is(err, sql.ErrNoRows) || disabled != 0 {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("registry: user: %w", err)
	}
	u.Role, u.Created = Role(role), fromNanos(created)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT kind, ref FROM reg_user_scopes WHERE user_id = ? ORDER BY kind, ref`), u.ID)
	if err != nil {
		return User{}, fmt.Errorf("registry: user scopes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, ref string
		if err := rows.Scan(&kind, &ref); err != nil {
			return User{}, fmt.Errorf("registry: user scopes: %w", err)
		}
		if kind == "issuer" {
			u.Issuers = append(u.Issuers, ref)
		} else {
			u.Venues = append(u.Venues, ref)
		}
	}
	return u, rows.Err()
}

// Users lists every account, by login.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM reg_users WHERE disabled = 0 ORDER BY login`)
	if err != nil {
		return nil, fmt.Errorf("registry: users: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("registry: users: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]User, 0, len(ids))
	for _, id := range ids {
		u, err := s.User(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// Sign-in rate limits: failures within LoginWindow, by login and by
// client address.
const (
	LoginWindow       = 15 * time.Minute
	MaxLoginFailures  = 5  // per login
	MaxClientFailures = 20 // per client address
)

// Login checks a password and opens a session. Failures are counted by
// login and by client; past the limits every attempt is refused
// (ErrRateLimited) until the window has passed, right password or not.
func (s *Store) Login(ctx context.Context, login, password, client string, ttl time.Duration) (Session, User, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	now := s.now()
	since := nanos(now.Add(-LoginWindow))
	var byLogin, byClient int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT
		(SELECT count(*) FROM reg_login_failures WHERE k = ? AND at > ?),
		(SELECT count(*) FROM reg_login_failures WHERE k = ? AND at > ?)`), "login:"+login, since, "client:"+client, since).Scan(&byLogin, &byClient)
	if err != nil {
		return Session{}, User{}, fmt.Errorf("registry: login failures: %w", err)
	}
	if byLogin >= MaxLoginFailures || byClient >= MaxClientFailures {
		return Session{}, User{}, ErrRateLimited
	}
	var id, hash string
	err = s.db.QueryRowContext(ctx, s.q(`SELECT id, pw_hash FROM reg_users WHERE login = ? AND disabled = 0`), login).Scan(&id, &hash)
	ok := false
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Spend the same time as a real check, so timing does not tell
		// which logins exist.
		_, _ = CheckPassword(s.dummyHash(), password)
	case err != nil:
		return Session{}, User{}, fmt.Errorf("registry: login: %w", err)
	default:
		if ok, err = CheckPassword(hash, password); err != nil {
			return Session{}, User{}, err
		}
	}
	if !ok {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			for _, k := range []string{"login:" + login, "client:" + client} {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reg_login_failures (k, at) VALUES (?, ?)`), k, nanos(now)); err != nil {
					return fmt.Errorf("registry: login failure: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM reg_login_failures WHERE at < ?`), nanos(now.Add(-2*LoginWindow))); err != nil {
				return fmt.Errorf("registry: login failures sweep: %w", err)
			}
			return s.audit(ctx, tx, "login:"+sha256Hex(login)[:12], ActLoginFailed, id, "")
		})
		if err != nil {
			return Session{}, User{}, err
		}
		return Session{}, User{}, ErrBadLogin
	}
	u, err := s.User(ctx, id)
	if err != nil {
		return Session{}, User{}, err
	}
	sess, err := s.newSession(ctx, u.ID, ttl)
	return sess, u, err
}

func (s *Store) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy, _ = HashPassword("not a password of anyone", s.KDF) })
	return s.dummy
}
