package collector

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/scangate/scangate/sync/wire"
)

// Backend errors; implementations wrap or return them so the HTTP layer
// can answer with the right status.
var (
	ErrNotFound   = errors.New("collector: not found")
	ErrExists     = errors.New("collector: already exists")
	ErrTokenUsed  = errors.New("collector: enrollment token already used")
	ErrExpired    = errors.New("collector: enrollment token expired")
	ErrRevoked    = errors.New("collector: device revoked")
	ErrKeyInUse   = errors.New("collector: public key already enrolled")
	ErrBadRequest = errors.New("collector: invalid value")
	// ErrReplay: a request nonce already used within its signature window.
	ErrReplay = errors.New("collector: replayed request nonce")
	// ErrSchemaNewer: the database was migrated by a newer collector.
	ErrSchemaNewer = errors.New("collector: database schema is newer than this collector")
)

// Venue is a place with kiosks, one admission policy and its records
// settings.
type Venue struct {
	ID     string      `json:"id"`
	Name   string      `json:"name"`
	Policy wire.Policy `json:"policy"`
	VenueSettings
}

// VenueSettings is how the collector keeps and shows a venue's records.
// They stay on the collector: kiosks keep their own retention.
type VenueSettings struct {
	// RetentionDays: check-ins of the venue older than this (by their best
	// known time) are deleted by PurgeExpired. 0 keeps them.
	RetentionDays int `json:"retention_days"`
	// TimeZone is the IANA zone (Asia/Shanghai) plain dates in queries
	// and CSV times mean for the venue; "" is UTC.
	TimeZone string `json:"time_zone,omitempty"`
}

// Check reports the first problem with vs.
func (vs VenueSettings) Check() error {
	if vs.RetentionDays < 0 || vs.RetentionDays > 100*366 {
		return fmt.Errorf("%w: retention_days %d, want 0 (keep) to 36600", ErrBadRequest, vs.RetentionDays)
	}
	if _, err := LoadZone(vs.TimeZone); err != nil {
		return err
	}
	return nil
}

// EnrollToken is a one-time enrollment token. Only its SHA-256 is stored.
type EnrollToken struct {
	Hash      string // hex SHA-256 of the token text
	Venue     string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Device is an enrolled kiosk.
type Device struct {
	ID         string
	Venue      string
	PublicKey  ed25519.PublicKey
	Hardware   string
	EnrolledAt time.Time
	RevokedAt  time.Time // zero while the device may write
	// AckSeq is the highest contiguous seq held of the device's "" ledger
	// (a device from before ledgers); see Ledgers for the others.
	AckSeq uint64
}

// Batch is what InsertBatch stores for one device: the records of one
// ledger, the device's floor for it and its recovery reports.
type Batch struct {
	Ledger     string
	Floor      uint64 // the device holds nothing unsent of Ledger at or below it
	Records    []Checkin
	Recoveries []wire.Recovery
	// Purged are ranges at or below Floor the device deleted by its
	// retention before uploading: their gap is purged, not lost.
	Purged []wire.SeqRange
	// Nonce, when set, is the request nonce (NonceKey) recorded in the same
	// transaction: a replayed request stores nothing and gets ErrReplay.
	Nonce        string
	NonceExpires time.Time
	Now          time.Time // server time the nonce's expiry is judged by
}

// IngestResult is what InsertBatch did.
type IngestResult struct {
	AckSeq uint64 // highest contiguous seq held of the ledger, from its floor
	// Conflicts are the seqs of the batch the collector already held with
	// different content (ContentEqual); each is kept in the conflicts
	// table, never dropped. NewConflicts counts those not kept before.
	Conflicts    []uint64
	NewConflicts int
	// Lost counts the seqs this batch's floor skipped that were never
	// received: declared lost by the device.
	Lost uint64
	// Purged counts the seqs the floor skipped, never received, that the
	// batch's purged ranges cover: deleted by the device's retention.
	Purged uint64
}

// Ledger is the collector's state of one ledger of a device.
type Ledger struct {
	Ledger    string    `json:"ledger"`
	AckSeq    uint64    `json:"ack_seq"`
	Lost      uint64    `json:"lost"`      // seqs skipped by floors, never received
	Purged    uint64    `json:"purged"`    // of the skipped, those the device's retention deleted unsent
	Conflicts uint64    `json:"conflicts"` // distinct conflicting records kept aside
	FirstSeen time.Time `json:"first_seen"`
}

// StoredRecovery is a recovery a device reported, as the collector keeps it.
type StoredRecovery struct {
	wire.Recovery
	ReportedAt time.Time `json:"reported_at"` // first batch that carried it
}

// Conflict is a record that arrived for a (device, ledger, seq) the
// collector already held with different content.
type Conflict struct {
	Device   string      `json:"device"`
	Ledger   string      `json:"ledger"`
	Received time.Time   `json:"received"`
	Record   wire.Record `json:"record"`
}

// Checkin is one stored check-in: the device's record plus where it belongs.
type Checkin struct {
	Device   string
	Venue    string
	Received time.Time
	wire.Record
}

// Time is the check-in's best known time: corrected when known.
func (c *Checkin) Time() time.Time {
	if c.CorrectedAt != nil {
		return *c.CorrectedAt
	}
	return c.At
}

// Issuer is a trusted card issuer. SealedKey is set when the collector
// itself issues cards for it: the private key sealed with the collector's
// key-encryption key (KEK.Seal), never in clear. A database from before
// sealing may hold a clear 64-byte key there until SealIssuerKeys runs.
type Issuer struct {
	ID        string            `json:"id"`
	Name      string            `json:"name,omitempty"`
	PublicKey ed25519.PublicKey `json:"public_key"`
	SealedKey []byte            `json:"-"`
	HoldsKey  bool              `json:"holds_key,omitempty"` // set in admin answers
	NotBefore time.Time         `json:"not_before,omitzero"`
	NotAfter  time.Time         `json:"not_after,omitzero"`
	Venues    []string          `json:"venues,omitempty"` // empty: every venue
}

// Card is the registry entry of a card the collector issued. The holder's
// full name is never stored, only the masked one printed on the card.
type Card struct {
	ID       string    `json:"card_id"` // hex cti
	Issuer   string    `json:"issuer"`
	Holder   string    `json:"holder"`
	Name     string    `json:"name"`
	Category string    `json:"category"`
	IssuedAt time.Time `json:"issued_at"`
	Expires  time.Time `json:"expires"`
}

// Visit is one row of an answer to the two questions.
type Visit struct {
	Time        time.Time  `json:"time"` // corrected time when known, else device time
	At          time.Time  `json:"at"`
	CorrectedAt *time.Time `json:"corrected_at,omitempty"`
	ClockSynced bool       `json:"clock_synced"`
	Venue       string     `json:"venue"`
	Device      string     `json:"device"`
	Ledger      string     `json:"ledger,omitempty"`
	Seq         uint64     `json:"seq"`
	CardID      string     `json:"card_id"`
	Holder      string     `json:"holder"`
	Name        string     `json:"name"`
	Category    string     `json:"category"`
	Group       int64      `json:"group"`
	Decision    string     `json:"decision"`
	Reason      string     `json:"reason"`
	// Source is where the device read the code (camera, serial, ...;
	// "manual:<staff>" for a check-in staff registered by hand).
	Source string `json:"source"`
	// Erased marks a check-in whose holder was erased (Erase): what
	// identified the person is gone, that someone came is kept.
	Erased bool `json:"erased,omitempty"`
}

// Backend is where a collector keeps all its state. Every method is safe
// for concurrent use, and several collector processes may share one
// backend (PostgreSQL). collectortest.RunBackendSuite states the semantics.
type Backend interface {
	CreateVenue(ctx context.Context, v Venue) error // ErrExists
	Venue(ctx context.Context, id string) (Venue, error)
	SetVenuePolicy(ctx context.Context, id string, p wire.Policy) error
	// SetVenueSettings replaces the venue's records settings; ErrNotFound.
	SetVenueSettings(ctx context.Context, id string, vs VenueSettings) error

	CreateEnrollToken(ctx context.Context, t EnrollToken) error
	// Enroll consumes the token with hash tokenHash and registers d (its
	// Venue is taken from the token) in one transaction. It returns the
	// device as stored, or ErrNotFound, ErrTokenUsed, ErrExpired, ErrKeyInUse.
	// A used token presented again with the public key it enrolled returns
	// that device unchanged (a device that lost the answer retries), even
	// after the token's expiry; ErrRevoked if that device was revoked.
	Enroll(ctx context.Context, tokenHash string, d Device, now time.Time) (Device, error)
	Device(ctx context.Context, id string) (Device, error)
	RevokeDevice(ctx context.Context, id string, at time.Time) error

	// InsertBatch stores the records of device d idempotently on (device,
	// ledger, seq): a record already held is left as it was; one held with
	// different content is kept in the conflicts table and reported. The
	// ack starts at max(the ledger's ack, Floor) and walks the held seqs
	// above it. Recoveries are kept once each. With a Nonce, a replayed
	// request stores nothing (ErrReplay).
	InsertBatch(ctx context.Context, d Device, b Batch) (IngestResult, error)
	// Ledgers returns the device's ledgers, oldest first.
	Ledgers(ctx context.Context, device string) ([]Ledger, error)
	// Recoveries returns the recoveries the device reported, oldest first.
	Recoveries(ctx context.Context, device string) ([]StoredRecovery, error)
	// Conflicts returns up to limit conflicting records of the device,
	// oldest first.
	Conflicts(ctx context.Context, device string, limit int) ([]Conflict, error)

	// UseNonce records a request nonce until expires; ErrReplay when it is
	// held and has not expired at now. Shared by every collector process
	// on the backend, and kept across restarts.
	UseNonce(ctx context.Context, key string, expires, now time.Time) error
	// SweepNonces deletes the nonces expired at now and counts them.
	SweepNonces(ctx context.Context, now time.Time) (int64, error)
	// BootAnchor returns the wall time at which boot bootID of the device
	// started, as anchored to server time, if known.
	BootAnchor(ctx context.Context, device, bootID string) (time.Time, bool, error)
	// SaveBootAnchor records bootWall for the boot unless one is known.
	SaveBootAnchor(ctx context.Context, device, bootID string, bootWall time.Time) error

	PutIssuer(ctx context.Context, is Issuer) error // insert or replace by ID
	// SetIssuerKey replaces the stored (sealed) private key of an issuer
	// without changing the revision: the lists do not carry it.
	SetIssuerKey(ctx context.Context, id string, sealed []byte) error
	DeleteIssuer(ctx context.Context, id string) error
	Issuers(ctx context.Context) ([]Issuer, error) // ordered by ID
	RecordCard(ctx context.Context, c Card) error
	// RevokeCard adds a card id (hex) to the revocation list; idempotent.
	RevokeCard(ctx context.Context, cardID string, at time.Time) error
	Revocations(ctx context.Context) ([]string, error) // ordered

	// Revision changes whenever the trust list, the revocations or any
	// venue policy changes; bundles are cached and tagged by it. It only
	// grows and follows the wall clock (revisionSeed), so a database
	// rebuilt from nothing still publishes lists newer than the ones
	// devices hold.
	Revision(ctx context.Context) (int64, error)

	VisitsAtVenue(ctx context.Context, venue string, from, to time.Time) ([]Visit, error)
	VisitsOfCard(ctx context.Context, cardID string, from, to time.Time) ([]Visit, error)
	// VisitsOfCardNumber answers for the number printed on a card: the
	// first 8 hex digits of its id (lower case), which more than one card
	// may share.
	VisitsOfCardNumber(ctx context.Context, number string, from, to time.Time) ([]Visit, error)
	// CardsByNumber lists the card ids the collector knows (issued here or
	// seen in a check-in) whose printed number is number, ordered.
	CardsByNumber(ctx context.Context, number string) ([]string, error)

	// PurgeExpired deletes, for every venue with a retention, the
	// check-ins and conflicting records older than its retention at now.
	// Only seqs at or below their ledger's ack go: the ack walk needs the
	// rows above it, and their devices still hold them.
	PurgeExpired(ctx context.Context, now time.Time) ([]VenuePurge, error)
	// Erase removes every record of one card or one holder and keeps an
	// audit entry (who, when, what count; the subject only as a hash). A
	// check-in row keeps its (device, ledger, seq) identity, anonymised,
	// so a device's replay is recognised and not stored again; records of
	// the subject made before the erasure that arrive later are stored
	// anonymised too.
	Erase(ctx context.Context, e Erasure) (ErasureReport, error)
	// Erasures returns the audit of erasures, newest first.
	Erasures(ctx context.Context, limit int) ([]ErasureReport, error)

	Close() error
}

// heldThrough returns the highest n >= ack such that every seq in ack+1..n
// is in recs: once recs are stored, all of those are held, so the ack walk
// over the database can start there instead of at ack.
func heldThrough(ack uint64, recs []Checkin) uint64 {
	in := make(map[uint64]struct{}, len(recs))
	for i := range recs {
		in[recs[i].Seq] = struct{}{}
	}
	for {
		if _, ok := in[ack+1]; !ok {
			return ack
		}
		ack++
	}
}

// revisionSeed is the least revision a change made now may get: the wall
// clock in microseconds. A new database starts there and every change
// takes max(previous + 1, revisionSeed()), so revisions (and the list
// versions made from them) keep growing across a rebuilt or restored
// database: devices refuse a list older than the one they hold, and would
// otherwise keep a stale revocation list until the counter caught up. It
// stays ahead of the clock only under more than a million changes a second.
func revisionSeed() int64 { return time.Now().UnixMicro() }
