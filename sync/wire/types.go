package wire

import (
	"encoding/json"
	"fmt"
	"time"
)

// Version is the protocol version carried by batches, bundles and
// enrollment. A receiver refuses any other value.
const Version = 1

// Limits shared by both sides. A device builds batches within them; the
// collector refuses anything larger before reading it all.
const (
	MaxBatchRecords = 500
	// MaxBatchBytes bounds a batch's JSON before compression.
	MaxBatchBytes = 256 << 10
	// MaxCompressedBatchBytes bounds the gzip body; gzip of incompressible
	// JSON is a little larger than the JSON itself.
	MaxCompressedBatchBytes = MaxBatchBytes + 4<<10
	// MaxSmallBody bounds every other request body (enrollment, admin).
	MaxSmallBody = 64 << 10
	// MaxBundleBytes bounds a signed bundle a device accepts.
	MaxBundleBytes = 8 << 20
	// MaxIDLen bounds device, venue, boot and card ids and other short strings.
	MaxIDLen = 128
	// MaxTextLen bounds names, reasons, sources and hardware descriptions.
	MaxTextLen = 256
	// MaxCapacity bounds a venue's capacity (people inside at once).
	MaxCapacity = 1_000_000
)

// Decisions a record may carry; they are door.Outcome's strings.
const (
	DecisionPass      = "pass"
	DecisionAlreadyIn = "already"
	DecisionFail      = "fail"
	DecisionFault     = "fault"
	// DecisionNotEntered marks an earlier admission of the same card whose
	// holder did not pass the door (a relay's sensor saw nobody); the
	// admission's record is kept, and this one carries its reason.
	DecisionNotEntered = "not_entered"
	// DecisionUndo takes back an earlier check-in at a staff desk; its
	// reason is "undo <device>/<ledger>/<seq>: <why>".
	DecisionUndo = "undo"
	// DecisionExit records someone leaving through a kiosk's exit source;
	// its reason is "exit", "already_exited" (not counted again) or the
	// card's trouble, kept as a flag (the person left all the same).
	DecisionExit = "exit"
	// DecisionFull is an entry refused because the venue was at its
	// capacity (reason venue_full): not the card's fault, nor the device's.
	DecisionFull = "full"
)

// Policy modes.
const (
	ModeVerify  = "verify"   // cards are verified against the trust list
	ModeLogOnly = "log-only" // any code is recorded and admitted
)

// Duration is a time.Duration that travels as Go duration text ("30s",
// "10m0s"), readable in a bundle dump.
type Duration time.Duration

// MarshalJSON encodes d as its duration text.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON decodes duration text; negative durations are refused.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("wire: duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("wire: duration: %w", err)
	}
	if v < 0 {
		return fmt.Errorf("wire: duration %q is negative", s)
	}
	*d = Duration(v)
	return nil
}

// Record is one check-in as the device stored it. Seq is the device's
// durable, gap-free sequence; (device, ledger, Seq) identifies the record at
// the collector, so a replay is harmless.
type Record struct {
	Seq uint64    `json:"seq"`
	At  time.Time `json:"at"` // device wall clock when the code was seen
	// CorrectedAt is set when the device later learned the true time for a
	// record made before its clock was trustworthy. At is kept as it was.
	CorrectedAt *time.Time `json:"corrected_at,omitempty"`
	BootID      string     `json:"boot_id"`      // /proc/sys/kernel/random/boot_id
	MonoNS      int64      `json:"mono_ns"`      // monotonic time since boot
	ClockSynced bool       `json:"clock_synced"` // wall clock was trustworthy at At
	Source      string     `json:"source"`       // camera, serial, hid, ...
	Decision    string     `json:"decision"`     // DecisionPass, ...
	Reason      string     `json:"reason"`       // door.Reason
	CardID      string     `json:"card_id,omitempty"`
	Holder      string     `json:"holder,omitempty"` // pseudonymous holder id (sub)
	Category    string     `json:"category,omitempty"`
	Group       int64      `json:"group,omitempty"` // companion group, 0 = none
	Name        string     `json:"name,omitempty"`  // masked display name
}

// CheckinBatch is the body of POST /v1/checkins, gzip-compressed.
//
// BootID and MonoNS describe the moment the device sent the batch; the
// collector anchors that boot to its own clock with them, so records from
// the same boot made before the device clock was set get a corrected time.
//
// Ledger names the incarnation of the device's database the records come
// from. A new database file (a corrupt one recovered, an SD card replaced
// or reflashed with the same identity) starts a new ledger, so its seqs can
// never collide with what the collector already holds. Every record of a
// batch belongs to its Ledger; "" is the ledger of a device from before
// ledgers existed.
//
// Floor is the device's promise that it holds nothing of this ledger at or
// below Floor that it has not sent before: everything below its oldest
// queued record was acknowledged, or was lost with a corrupt file. The
// collector counts the ack from Floor when it holds less, so a salvaged
// ledger with a hole still drains.
//
// Recoveries reports what the device's database lost when it was
// recovered, sent with every batch so the collector can show it.
//
// Purged lists seq ranges of the ledger, at or below Floor, that the
// device deleted by its retention before uploading them: the collector
// counts the gap they leave as purged, not lost. A range may also span
// seqs the collector already acknowledged; those count as neither.
type CheckinBatch struct {
	Version    int        `json:"version"`
	Device     string     `json:"device"`
	Ledger     string     `json:"ledger,omitempty"`
	Floor      uint64     `json:"floor,omitempty"`
	BootID     string     `json:"boot_id,omitempty"`
	MonoNS     int64      `json:"mono_ns,omitempty"`
	Records    []Record   `json:"records"`
	Recoveries []Recovery `json:"recoveries,omitempty"`
	Purged     []SeqRange `json:"purged,omitempty"`
	Health     *Health    `json:"health,omitempty"` // the device's state as it sends; nil from older devices
}

// MaxPurgedRanges bounds CheckinBatch.Purged.
const MaxPurgedRanges = 64

// SeqRange is the inclusive range of seqs Lo..Hi.
type SeqRange struct {
	Lo uint64 `json:"lo"`
	Hi uint64 `json:"hi"`
}

// MaxRecoveries bounds CheckinBatch.Recoveries.
const MaxRecoveries = 16

// Recovery is one recovery of a corrupt device database: when, the ledger
// that was damaged, how many queued check-ins were salvaged into the new
// file and how many were lost (-1: the damaged file no longer tells).
type Recovery struct {
	At       time.Time `json:"at"`
	Ledger   string    `json:"ledger"`
	Salvaged int64     `json:"salvaged"`
	Lost     int64     `json:"lost"`
}

// BatchAck answers a batch. AckSeq is the highest seq such that the
// collector holds every record of the batch's ledger from 1 (or the
// batch's Floor) to AckSeq; the device may delete its outbox of that ledger
// up to it and must resend anything after it.
//
// Conflicts counts records of the batch whose (ledger, seq) the collector
// already held with different content. The collector keeps them aside
// (never drops them) and raises an alarm; the device reports them in its
// status.
type BatchAck struct {
	Device     string    `json:"device"`
	Ledger     string    `json:"ledger,omitempty"`
	AckSeq     uint64    `json:"ack_seq"`
	Conflicts  uint64    `json:"conflicts,omitempty"`
	ServerTime time.Time `json:"server_time"`
}

// Policy is a venue's admission policy, carried in the bundle.
type Policy struct {
	Mode            string   `json:"mode"`             // ModeVerify or ModeLogOnly
	DuplicateWindow Duration `json:"duplicate_window"` // same card again within it: already checked in
	MaxTrustAge     Duration `json:"max_trust_age"`    // older trust data: refuse (or fail open)
	Categories      []string `json:"categories"`       // categories admitted; empty admits none
	CompanionWindow Duration `json:"companion_window"` // a companion card must follow its elder/child within it
	FailOpen        bool     `json:"fail_open"`        // admit when trust data is stale
	// Capacity refuses entries while people in now (since the venue's
	// midnight) is at least this; 0: no limit. Omitted when 0, so a venue
	// without one still opens on kiosks from before it (their decoders are
	// strict).
	Capacity int `json:"capacity,omitempty"`
}

// DefaultPolicy is the policy a new venue starts with.
func DefaultPolicy() Policy {
	return Policy{
		Mode:            ModeVerify,
		DuplicateWindow: Duration(10 * time.Minute),
		MaxTrustAge:     Duration(7 * 24 * time.Hour),
		Categories:      []string{"elder", "child", "companion", "staff"},
		CompanionWindow: Duration(2 * time.Minute),
	}
}

// Check reports the first problem with p.
func (p Policy) Check() error {
	if p.Mode != ModeVerify && p.Mode != ModeLogOnly {
		return fmt.Errorf("wire: policy mode %q, want %q or %q", p.Mode, ModeVerify, ModeLogOnly)
	}
	if p.Capacity < 0 || p.Capacity > MaxCapacity {
		return fmt.Errorf("wire: policy capacity %d, want 0..%d", p.Capacity, MaxCapacity)
	}
	if len(p.Categories) > 16 {
		return fmt.Errorf("wire: policy has %d categories, limit 16", len(p.Categories))
	}
	for _, c := range p.Categories {
		if c == "" || len(c) > MaxIDLen {
			return fmt.Errorf("wire: policy category %q invalid", c)
		}
	}
	return nil
}

// Bundle is everything a device needs to decide offline. TrustList and
// Revocations are the signed envelopes made by idcode (SignTrustList,
// SignRevocations); the device opens them with the collector key too. The
// whole bundle is signed again by SignBundle so policy and time are
// authentic.
type Bundle struct {
	Version     int       `json:"version"`
	Device      string    `json:"device"`
	Venue       string    `json:"venue"`
	Revision    string    `json:"revision"` // equals the ETag without quotes
	TrustList   []byte    `json:"trust_list"`
	Revocations []byte    `json:"revocations"`
	Policy      Policy    `json:"policy"`
	ServerTime  time.Time `json:"server_time"`
}

// Enroll is the body of POST /v1/enroll. The request is signed with the key
// whose public half it carries, proving the device holds it.
type Enroll struct {
	Version   int    `json:"version"`
	Token     string `json:"token"`      // one-time enrollment token
	PublicKey []byte `json:"public_key"` // Ed25519, 32 bytes
	Hardware  string `json:"hardware,omitempty"`
}

// EnrollResp answers a successful enrollment.
type EnrollResp struct {
	DeviceID     string    `json:"device_id"`
	Venue        string    `json:"venue"`
	VenueName    string    `json:"venue_name"`
	CollectorKey []byte    `json:"collector_key"` // Ed25519 public key that signs bundles
	ServerTime   time.Time `json:"server_time"`
}

// Error is the body of every 4xx and 5xx answer. Status is the HTTP status
// and is not sent in the body.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes.
const (
	CodeBadRequest   = "bad_request"
	CodeTooLarge     = "too_large"
	CodeVersion      = "unsupported_version"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeNotFound     = "not_found"
	CodeConflict     = "conflict"
	CodeInternal     = "internal"
)

func (e *Error) Error() string {
	return fmt.Sprintf("wire: %s (%d): %s", e.Code, e.Status, e.Message)
}

// Errorf returns an *Error with the given status and code.
func Errorf(status int, code, format string, a ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

// ServerTimeHeader carries the collector's clock on every answer, 304s
// included, so a device can anchor its clock from any exchange.
const ServerTimeHeader = "X-Scangate-Server-Time"
