package registry

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// KDFParams are argon2id's costs.
type KDFParams struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultKDF follows OWASP's argon2id minimum (19 MiB, 2 passes, 1
// thread): 29 ms a check on the 2-core development VM under load 5
// (BenchmarkPasswordDefaultKDF), and a
// sign-in storm is bounded by the rate limit before it is by memory.
var DefaultKDF = KDFParams{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// TestKDF is cheap, for tests only.
var TestKDF = KDFParams{MemoryKiB: 64, Time: 1, Threads: 1}

// MinPassword is the shortest password accepted.
const MinPassword = 10

// HashPassword returns the PHC string of password under p.
func HashPassword(password string, p KDFParams) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("registry: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the PHC string hash.
// The costs come from the hash, so raising DefaultKDF keeps old hashes
// valid.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("registry: password hash is not argon2id")
	}
	var v int
	var p KDFParams
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, fmt.Errorf("registry: password hash version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("registry: password hash costs %q: %w", parts[3], err)
	}
	if p.MemoryKiB > 1<<22 || p.Time > 64 || p.Threads == 0 {
		return false, fmt.Errorf("registry: password hash costs %q out of range", parts[3])
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("registry: password hash salt: %w", err)
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false, fmt.Errorf("registry: password hash key")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
