package registry

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Session is a signed-in browser. Token goes into the cookie and is
// stored only as its SHA-256; CSRF is the token every form carries.
type Session struct {
	Token   string
	UserID  string
	CSRF    string
	Expires time.Time
}

// CheckCSRF compares a form's token with the session's in constant time.
func (s Session) CheckCSRF(token string) bool {
	return s.CSRF != "" && subtle.ConstantTimeCompare([]byte(s.CSRF), []byte(token)) == 1
}

func (s *Store) newSession(ctx context.Context, userID string, ttl time.Duration) (Session, error) {
	tok, err := randomHex(32)
	if err != nil {
		return Session{}, err
	}
	csrf, err := randomHex(32)
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	sess := Session{Token: tok, UserID: userID, CSRF: csrf, Expires: now.Add(ttl)}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reg_sessions (id_hash, user_id, csrf, created, expires) VALUES (?, ?, ?, ?, ?)`),
			sha256Hex(tok), userID, csrf, nanos(now), nanos(sess.Expires)); err != nil {
			return fmt.Errorf("registry: session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM reg_sessions WHERE expires < ?`), nanos(now)); err != nil {
			return fmt.Errorf("registry: session sweep: %w", err)
		}
		return s.audit(ctx, tx, userID, ActLogin, userID, "")
	})
	return sess, err
}

// Session returns the live session of a cookie token and its user.
func (s *Store) Session(ctx context.Context, token string) (Session, User, error) {
	if len(token) != 64 || strings.Trim(token, "0123456789abcdef") != "" {
		return Session{}, User{}, ErrNotFound
	}
	var sess Session
	var exp int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT user_id, csrf, expires FROM reg_sessions WHERE id_hash = ?`), sha256Hex(token)).Scan(&sess.UserID, &sess.CSRF, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, ErrNotFound
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("registry: session: %w", err)
	}
	sess.Token, sess.Expires = token, fromNanos(exp)
	if !s.now().Before(sess.Expires) {
		return Session{}, User{}, ErrNotFound
	}
	u, err := s.User(ctx, sess.UserID)
	if err != nil {
		return Session{}, User{}, err
	}
	return sess, u, nil
}

// Logout ends one session.
func (s *Store) Logout(ctx context.Context, sess Session) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM reg_sessions WHERE id_hash = ?`), sha256Hex(sess.Token)); err != nil {
			return fmt.Errorf("registry: logout: %w", err)
		}
		return s.audit(ctx, tx, sess.UserID, ActLogout, sess.UserID, "")
	})
}

// LogoutEverywhere ends every session of the user: a lost phone, a shared
// computer.
func (s *Store) LogoutEverywhere(ctx context.Context, userID string) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM reg_sessions WHERE user_id = ?`), userID)
		if err != nil {
			return fmt.Errorf("registry: logout everywhere: %w", err)
		}
		n, _ = res.RowsAffected()
		return s.audit(ctx, tx, userID, ActLogoutAll, userID, fmt.Sprintf("%d sessions", n))
	})
	return n, err
}

// InviteCode prefix: codes are printed on paper by the office and typed
// by families, so they are short, upper case and without 0/O or 1/I.
const inviteAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// CreateInvite makes an invitation code for a family to register with;
// the family's people get cards of issuer. Only its hash is stored.
func (s *Store) CreateInvite(ctx context.Context, by User, issuer string, ttl time.Duration) (string, error) {
	if by.Role != RoleAdmin && !(by.Role == RoleOperator && by.MayIssue(issuer)) {
		return "", fmt.Errorf("%w: may not invite for issuer %q", ErrBadRequest, issuer)
	}
	raw, err := randomHex(10)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 0; i < 12; i++ {
		if i == 4 || i == 8 {
			b.WriteByte('-')
		}
		b.WriteByte(inviteAlphabet[int(raw[i])%len(inviteAlphabet)])
	}
	code := b.String()
	now := s.now()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reg_invites (code_hash, issuer, created_by, created, expires) VALUES (?, ?, ?, ?, ?)`),
			sha256Hex(NormalizeInvite(code)), issuer, by.ID, nanos(now), nanos(now.Add(ttl))); err != nil {
			return fmt.Errorf("registry: invite: %w", err)
		}
		return s.audit(ctx, tx, by.ID, ActInviteCreate, issuer, "")
	})
	return code, err
}

// NormalizeInvite turns what a family typed into the code's canonical
// form: upper case, without spaces or dashes.
func NormalizeInvite(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// Register creates a family account with an invitation code, spending the
// code in the same transaction.
func (s *Store) Register(ctx context.Context, code string, n NewUser) (User, error) {
	n.Role, n.Issuers, n.Venues = RoleFamily, nil, nil
	n.Login = strings.ToLower(strings.TrimSpace(n.Login))
	if err := n.check(); err != nil {
		return User{}, err
	}
	var u User
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		h := sha256Hex(NormalizeInvite(code))
		var issuer string
		var exp int64
		var used string
		err := tx.QueryRowContext(ctx, s.q(`SELECT issuer, expires, used_by FROM reg_invites WHERE code_hash = ?`), h).Scan(&issuer, &exp, &used)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (used != "" || !now.Before(fromNanos(exp)))) {
			return ErrInvite
		}
		if err != nil {
			return fmt.Errorf("registry: invite: %w", err)
		}
		n.Issuer = issuer
		if u, err = s.createUser(ctx, tx, "register", n); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE reg_invites SET used_by = ?, used_at = ? WHERE code_hash = ?`), u.ID, nanos(now), h); err != nil {
			return fmt.Errorf("registry: spend invite: %w", err)
		}
		return s.audit(ctx, tx, u.ID, ActRegister, u.ID, issuer)
	})
	return u, err
}
