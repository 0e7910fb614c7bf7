// Package downlink names the signed data the collector sends down to a
// kiosk (trust list, revocations, the policy bundle) as the device keeps
// it. The store persists it and trust reads it; this package holds only
// the shared shape, so trust builds without the store's cgo SQLite.
package downlink

import "time"

// Kinds of downlink data.
const (
	KindTrustList   = "trust"
	KindRevocations = "revocations"
	KindPolicy      = "policy"
)

// Blob is downlink data as the collector signed it.
type Blob struct {
	Kind      string
	Version   int64
	Data      []byte // signed bytes; the reader verifies before use
	ETag      string
	FetchedAt time.Time // last time the collector confirmed this version (200 or 304)
	StoredAt  time.Time // when this version was written
}
