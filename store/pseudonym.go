package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
)

const pseudonymKeyName = "pseudonym"

// loadKey reads the device's pseudonym key, making it on first use. It
// lives in the database so a moved-aside file's salvage keeps it.
func (s *Store) loadKey(ctx context.Context) error {
	err := s.r.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, pseudonymKeyName).Scan(&s.key)
	if err == nil && len(s.key) == 32 {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return classify("load pseudonym key", err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	if s.w == nil {
		// Read-only media: pseudonyms from this run cannot be stored anyway.
		s.key = key
		return nil
	}
	if _, err := s.w.ExecContext(ctx, `INSERT OR REPLACE INTO secrets (name, value) VALUES (?, ?)`, pseudonymKeyName, key); err != nil {
		return classify("store pseudonym key", err)
	}
	s.key = key
	return nil
}

// Pseudonym is the device-keyed HMAC-SHA256 of text, hex. Log-only venues
// store it instead of the QR text: equal texts give equal pseudonyms on
// this device, and without the key the text cannot be guessed back from it.
func (s *Store) Pseudonym(text string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(text))
	return hex.EncodeToString(m.Sum(nil))
}
