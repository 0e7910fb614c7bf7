package config

import "golang.org/x/crypto/bcrypt"

// check: the page shows the camera's live picture, faces included, so it
// is never served without a password.
func (s Status) check(bad func(key, format string, a ...any)) {
	switch {
	case s.Listen != "" && s.PasswordHash == "":
		bad("status.password_hash", "required when status.listen is set (the preview shows faces): make one with `scangate hash-password`")
	case s.PasswordHash != "":
		if _, err := bcrypt.Cost([]byte(s.PasswordHash)); err != nil {
			bad("status.password_hash", "is not a bcrypt hash (make one with `scangate hash-password`): %v", err)
		}
	}
}
