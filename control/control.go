// Package control is the kiosk's local control socket: HTTP over a unix
// socket in the data directory (DIR/control.sock, mode 0600, so root only).
// `scangate status` reads the kiosk's health through it, and in simulation
// `scangate present` shows an image to the simulated camera or types into
// the simulated scanner and waits for the decision.
//
// HTTP keeps the protocol debuggable with curl --unix-socket and lets the
// status page serve the same JSON on TCP.
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// SocketName is the socket's file name inside the data directory.
const SocketName = "control.sock"

// MaxRequest bounds a request body (a presented PNG included).
const MaxRequest = 16 << 20

// Status is the kiosk's state for technicians. It holds no personal data:
// names are masked, card ids are absent.
type Status struct {
	Version string `json:"version"`
	Slot    string `json:"slot,omitempty"` // booted root slot (A, B); "" off an image
	Device  string `json:"device"`
	// Addresses are the kiosk's IP addresses on the venue's network, so a
	// technician at the screen knows where the status page is.
	Addresses []string       `json:"addresses,omitempty"`
	Mode      string         `json:"mode"`
	Sim       bool           `json:"sim"`
	StartedAt time.Time      `json:"started_at"`
	Ready     bool           `json:"ready"`
	Sources   []SourceStatus `json:"sources"`
	Last      []DecisionInfo `json:"last_decisions"`
	Store     StoreStatus    `json:"store"`
	Trust     TrustStatus    `json:"trust"`
	Clock     ClockStatus    `json:"clock"`
	Uplink    *UplinkStatus  `json:"uplink,omitempty"`
	// Occupancy is there when the kiosk has exits or a capacity.
	Occupancy *OccupancyStatus `json:"occupancy,omitempty"`
}

// OccupancyStatus is who is inside, counted from this kiosk's records
// since the venue's midnight.
type OccupancyStatus struct {
	PeopleIn int      `json:"people_in"`
	Capacity int      `json:"capacity,omitempty"` // 0: no limit
	Exits    []string `json:"exits,omitempty"`    // the sources that are exits
	Error    string   `json:"error,omitempty"`
}

// SourceStatus is one input: camera, serial or HID scanner.
type SourceStatus struct {
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	State     string    `json:"state"` // streaming, open, disconnected, ...
	Frames    uint64    `json:"frames,omitempty"`
	Decoded   uint64    `json:"decoded,omitempty"` // frames (lines) in which a code was read
	Dropped   uint64    `json:"dropped,omitempty"`
	Codes     uint64    `json:"codes"`
	LastInput time.Time `json:"last_input,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// DecisionInfo is one recent decision, masked.
type DecisionInfo struct {
	At        time.Time `json:"at"`
	Outcome   string    `json:"decision"`
	Reason    string    `json:"reason"`
	Name      string    `json:"name,omitempty"` // already masked (王*英)
	Category  string    `json:"category,omitempty"`
	Source    string    `json:"source"`
	LatencyMS float64   `json:"latency_ms"`
}

// StoreStatus is the database and its outbox.
type StoreStatus struct {
	Health      string  `json:"health"`
	LastError   string  `json:"last_error,omitempty"`
	Checkins    int64   `json:"checkins"`
	OutboxDepth int     `json:"outbox_depth"`
	OldestAgeS  float64 `json:"outbox_oldest_age_s"`
	// PurgedUnsent counts check-ins retention deleted before they were
	// uploaded, ever; the collector records their gap as purged.
	PurgedUnsent int64 `json:"purged_unsent,omitempty"`
	// Recoveries of a corrupt database: queued check-ins salvaged and lost
	// (-1: unknown), oldest first.
	Recoveries []Recovery `json:"recoveries,omitempty"`
}

// Recovery is one recovery of a corrupt database file.
type Recovery struct {
	At       time.Time `json:"at"`
	Salvaged int64     `json:"salvaged"`
	Lost     int64     `json:"lost"`
}

// TrustStatus is the trust data in force.
type TrustStatus struct {
	ListVersion       int64   `json:"list_version"`
	RevocationVersion int64   `json:"revocation_version"`
	AgeS              float64 `json:"age_s"`
	Stale             bool    `json:"stale"`
	Issuers           int     `json:"issuers"`
	Pins              []Pin   `json:"pins"` // list keys in force
	// RefusedFrom is when every card will be refused unless new lists
	// arrive (their expiry, or max_trust_age after they were issued or
	// last confirmed); zero when there is no usable data.
	RefusedFrom time.Time `json:"refused_from,omitzero"`
	// Warn is set from trust.warn_days before RefusedFrom.
	Warn bool `json:"warn,omitempty"`
	// Refusing is the reason every card is refused now (trust_data_stale,
	// clock_not_trustworthy, configuration, storage_fault), "" when none.
	Refusing string `json:"refusing,omitempty"`
	// LastInstall is the newest look at trust files that found any.
	LastInstall *TrustInstall `json:"last_install,omitempty"`
}

// TrustInstall is one look at trust files (at start, or a changed file in
// trust.watch_dirs) and what became of each.
type TrustInstall struct {
	At    time.Time   `json:"at"`
	Files []TrustFile `json:"files"`
}

// TrustFile is one list file: installed, unchanged (already in force),
// older (a copy a renewal superseded) or refused, with the reason.
type TrustFile struct {
	Path    string `json:"path"`
	Kind    string `json:"kind"` // trust, revocations
	Result  string `json:"result"`
	Version int64  `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Pin is a list-signing key the kiosk trusts and where it came from
// ("config", "collector", "first-use").
type Pin struct {
	KID    string `json:"kid"`
	Origin string `json:"origin"`
}

// ClockStatus is the wall clock's trustworthiness.
type ClockStatus struct {
	Now        time.Time `json:"now"`      // in TimeZone
	TimeZone   string    `json:"timezone"` // device.timezone, e.g. Asia/Shanghai
	Synced     bool      `json:"synced"`
	SinceSyncS float64   `json:"since_sync_s,omitempty"`
	BootID     string    `json:"boot_id"`
}

// UplinkStatus is the collector connection.
type UplinkStatus struct {
	URL         string    `json:"url"`
	Enrolled    bool      `json:"enrolled"`
	DeviceID    string    `json:"device_id,omitempty"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	BundleETag  string    `json:"bundle_etag,omitempty"`
}

// PresentRequest shows something to a simulated source (sim mode only).
type PresentRequest struct {
	Image []byte        `json:"image,omitempty"` // PNG/JPEG/PGM bytes for the simulated camera
	Text  string        `json:"text,omitempty"`  // typed into the simulated serial scanner
	Hold  time.Duration `json:"hold,omitempty"`  // how long the image stays in view
	Wait  time.Duration `json:"wait,omitempty"`  // how long to wait for a decision
}

// PresentResult is the decision that followed.
type PresentResult struct {
	Decision  string  `json:"decision"` // pass, already, fail, fault
	Reason    string  `json:"reason"`
	Name      string  `json:"name,omitempty"`
	LatencyMS float64 `json:"latency_ms"`
}

// ErrorBody is every non-2xx answer.
type ErrorBody struct {
	Error string `json:"error"`
}

// Listen opens the socket at path, replacing a stale one, mode 0600.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("control: %s: another kiosk is running on this data directory", path)
	}
	_ = os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control: listen %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("control: chmod %s: %w", path, err)
	}
	return l, nil
}

// WriteJSON answers v with status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers an ErrorBody.
func WriteError(w http.ResponseWriter, code int, format string, a ...any) {
	WriteJSON(w, code, ErrorBody{Error: fmt.Sprintf(format, a...)})
}

// DecodeRequest reads a bounded, strict JSON body into v.
func DecodeRequest(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, MaxRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad request body: %w", err)
	}
	if dec.More() {
		return errors.New("bad request body: trailing data")
	}
	return nil
}

// Client talks to a kiosk's control socket.
type Client struct {
	path string
	http *http.Client
}

// NewClient returns a client for the socket at path.
func NewClient(path string) *Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}
	return &Client{path: path, http: &http.Client{Transport: tr}}
}

// Status fetches the kiosk's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, &s)
	return s, err
}

// Present shows an image or types a text and returns the decision.
func (c *Client) Present(ctx context.Context, req PresentRequest) (PresentResult, error) {
	var res PresentResult
	err := c.do(ctx, http.MethodPost, "/v1/present", req, &res)
	return res, err
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("control: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://kiosk"+path, rd)
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("control: is scangated running? %s: %w", c.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxRequest))
	if err != nil {
		return fmt.Errorf("control: read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e ErrorBody
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("control: %s", e.Error)
		}
		return fmt.Errorf("control: %s: %s", resp.Status, bytes.TrimSpace(data))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("control: decode answer: %w", err)
	}
	return nil
}
