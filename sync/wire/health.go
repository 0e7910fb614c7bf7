package wire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Health is a device's report of its own state, sent with each batch
// (CheckinBatch.Health) and each bundle request (HealthParam). It is
// optional: a device from before health reports sends none, and the
// collector then knows only when it last saw the device. It never holds
// personal data.
type Health struct {
	Software string `json:"software,omitempty"` // the device's software version
	Slot     string `json:"slot,omitempty"`     // booted root slot ("A", "B"; rauc.slot=), "" when not an A/B image
	// OutboxDepth counts check-ins not yet acknowledged; OutboxOldest is
	// the age of the oldest of them (0 when none).
	OutboxDepth  int64    `json:"outbox_depth"`
	OutboxOldest Duration `json:"outbox_oldest"`
	// TrustAge is the age of the trust data in force; TrustKnown is false
	// when the device holds none (every card is refused).
	TrustKnown bool     `json:"trust_known"`
	TrustAge   Duration `json:"trust_age"`
	// RefuseFrom is when the device will start refusing cards for stale
	// trust data (idcode.Trust.StaleFrom); nil when it will not, or holds
	// none.
	RefuseFrom *time.Time `json:"refuse_from,omitempty"`
	// ClockOffsetMS is the device's wall clock minus the collector's, as the
	// device measured it from the last answer; ClockMeasured is false
	// before any answer.
	ClockOffsetMS int64 `json:"clock_offset_ms"`
	ClockMeasured bool  `json:"clock_measured"`
	// LastError is the device's last error as short text ("" when none).
	LastError string `json:"last_error,omitempty"`
}

// Limits of a Health report.
const (
	MaxHealthError = 200 // bytes of LastError
	MaxSlotLen     = 16  // bytes of Slot (version.SlotOf's bound)
	// MaxHealthParam bounds HealthParam's encoded value.
	MaxHealthParam = 2048
	// maxHealthOffsetMS bounds ClockOffsetMS: a century either way.
	maxHealthOffsetMS = 100 * 366 * 24 * 3600 * 1000
)

// HealthParam is the query parameter of GET /v1/devices/{id}/bundle that
// carries a Health as base64url (no padding) of its JSON. The request
// signature covers the query, so it is as authentic as a batch's body; a
// collector that does not know it ignores it.
const HealthParam = "health"

// Check reports the first problem with h.
func (h *Health) Check() error {
	switch {
	case h.OutboxDepth < 0 || h.OutboxDepth > maxSeq:
		return fmt.Errorf("outbox_depth %d out of range", h.OutboxDepth)
	case h.ClockOffsetMS > maxHealthOffsetMS || h.ClockOffsetMS < -maxHealthOffsetMS:
		return fmt.Errorf("clock_offset_ms %d out of range", h.ClockOffsetMS)
	case h.RefuseFrom != nil && (h.RefuseFrom.Year() < 1970 || h.RefuseFrom.Year() > 9999):
		return fmt.Errorf("refuse_from %v out of range", h.RefuseFrom)
	case len(h.Slot) > MaxSlotLen:
		return fmt.Errorf("slot longer than %d bytes", MaxSlotLen)
	case !h.TrustKnown && (h.TrustAge != 0 || h.RefuseFrom != nil):
		return fmt.Errorf("trust age or refuse_from without trust data")
	}
	if err := checkText("slot", h.Slot, MaxSlotLen, false); err != nil {
		return err
	}
	if err := checkText("software", h.Software, MaxIDLen, false); err != nil {
		return err
	}
	return checkText("last_error", h.LastError, MaxHealthError, false)
}

// EncodeHealthParam returns the value of HealthParam for h.
func EncodeHealthParam(h Health) (string, error) {
	if err := h.Check(); err != nil {
		return "", fmt.Errorf("wire: health: %w", err)
	}
	b, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("wire: encode health: %w", err)
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	if len(s) > MaxHealthParam {
		return "", fmt.Errorf("wire: health is %d bytes encoded, limit %d", len(s), MaxHealthParam)
	}
	return s, nil
}

// DecodeHealthParam decodes and checks the value of HealthParam.
func DecodeHealthParam(s string) (Health, error) {
	if len(s) > MaxHealthParam {
		return Health{}, Errorf(http.StatusBadRequest, CodeBadRequest, "health parameter longer than %d bytes", MaxHealthParam)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Health{}, Errorf(http.StatusBadRequest, CodeBadRequest, "health parameter: %v", err)
	}
	var h Health
	if err := decodeStrict(b, &h, "health"); err != nil {
		return Health{}, err
	}
	if err := h.Check(); err != nil {
		return Health{}, badRequest("health", err)
	}
	return h, nil
}

// ShortError cuts an error's text to what a Health report carries, at a
// rune boundary.
func ShortError(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= MaxHealthError {
		return s
	}
	cut := MaxHealthError
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut]
}
