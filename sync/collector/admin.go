package collector

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/scangate/scangate/fonts"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/sync/wire"
)

// Admin API request and response bodies.
type (
	// VenueRequest creates a venue; a nil Policy means wire.DefaultPolicy.
	VenueRequest struct {
		ID     string       `json:"id"`
		Name   string       `json:"name"`
		Policy *wire.Policy `json:"policy,omitempty"`
		VenueSettings
	}
	// TokenRequest asks for a one-time enrollment token; TTL 0 means 7 days.
	TokenRequest struct {
		TTL wire.Duration `json:"ttl,omitempty"`
	}
	// TokenResponse carries the token text, shown once and stored hashed.
	TokenResponse struct {
		Token     string    `json:"token"`
		Venue     string    `json:"venue"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	// IssuerRequest adds or replaces a trusted issuer. Without PublicKey
	// the collector makes a key pair and holds the private key, so it can
	// issue cards for this issuer.
	IssuerRequest struct {
		ID        string    `json:"id"`
		Name      string    `json:"name,omitempty"`
		PublicKey []byte    `json:"public_key,omitempty"`
		NotBefore time.Time `json:"not_before,omitzero"`
		NotAfter  time.Time `json:"not_after,omitzero"`
		Venues    []string  `json:"venues,omitempty"`
	}
	// CardRequest issues a card. Name is the holder's full name; only its
	// masked form (idcode.MaskName) is put on the card or stored.
	CardRequest struct {
		Issuer   string        `json:"issuer"`
		Holder   string        `json:"holder"`
		Name     string        `json:"name"`
		Category string        `json:"category"`
		Valid    wire.Duration `json:"valid,omitempty"` // 0 means one year
	}
	// CardResponse carries the QR text to print.
	CardResponse struct {
		CardID  string    `json:"card_id"`
		QR      string    `json:"qr"`
		Name    string    `json:"name"`
		Expires time.Time `json:"expires"`
	}
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func checkID(what, id string) error {
	if !idPattern.MatchString(id) {
		return wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "%s %q: want 1-64 of A-Z a-z 0-9 . _ -", what, id)
	}
	return nil
}

func (s *Server) readAdmin(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := s.readBody(w, r, wire.MaxSmallBody, "request body")
	if err != nil {
		return err
	}
	return wire.ReadJSON(bytes.NewReader(b), wire.MaxSmallBody, v, "request body")
}

func (s *Server) handleCreateVenue(w http.ResponseWriter, r *http.Request) {
	var req VenueRequest
	if err := s.readAdmin(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkID("venue id", req.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	v := Venue{ID: req.ID, Name: req.Name, Policy: wire.DefaultPolicy(), VenueSettings: req.VenueSettings}
	if req.Policy != nil {
		v.Policy = *req.Policy
	}
	if err := v.VenueSettings.Check(); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := v.Policy.Check(); err != nil {
		s.writeError(w, r, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "%v", err))
		return
	}
	if err := s.cfg.Backend.CreateVenue(r.Context(), v); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("collector: venue created", "venue", v.ID)
	s.writeJSON(w, http.StatusCreated, v)
}

func (s *Server) handleGetVenue(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Backend.Venue(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleSetPolicy(w http.ResponseWriter, r *http.Request) {
	var p wire.Policy
	if err := s.readAdmin(w, r, &p); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := p.Check(); err != nil {
		s.writeError(w, r, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "%v", err))
		return
	}
	if err := s.cfg.Backend.SetVenuePolicy(r.Context(), r.PathValue("id"), p); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("collector: venue policy set", "venue", r.PathValue("id"), "mode", p.Mode)
	s.writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	var req TokenRequest
	if err := s.readAdmin(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	ttl := time.Duration(req.TTL)
	if ttl == 0 {
		ttl = 7 * 24 * time.Hour
	}
	tok, err := randomID("sget-", 16)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now().UTC()
	venue := r.PathValue("id")
	sum := sha256Hex(tok)
	if err := s.cfg.Backend.CreateEnrollToken(r.Context(), EnrollToken{Hash: sum, Venue: venue, CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("collector: enrollment token created", "venue", venue, "expires", now.Add(ttl))
	s.writeJSON(w, http.StatusCreated, TokenResponse{Token: tok, Venue: venue, ExpiresAt: now.Add(ttl)})
}

func (s *Server) handleRevokeDevice(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.cfg.Backend.RevokeDevice(r.Context(), id, s.now().UTC()); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("collector: device revoked", "device", id)
	s.writeJSON(w, http.StatusOK, map[string]string{"device": id, "status": "revoked"})
}

// DeviceView is the admin API's view of one device: its registration, the
// collector's state of each of its ledgers, the recoveries it reported and
// how many conflicting records are kept aside. No personal data.
type DeviceView struct {
	ID         string           `json:"id"`
	Venue      string           `json:"venue"`
	Hardware   string           `json:"hardware"`
	EnrolledAt time.Time        `json:"enrolled_at"`
	RevokedAt  time.Time        `json:"revoked_at,omitzero"`
	Ledgers    []Ledger         `json:"ledgers"`
	Recoveries []StoredRecovery `json:"recoveries"`
	Conflicts  uint64           `json:"conflicts"` // over all ledgers
	Lost       uint64           `json:"lost"`      // declared lost, over all ledgers
	Purged     uint64           `json:"purged"`    // deleted by the device's retention before upload, over all ledgers
}

func (s *Server) handleGetDevice(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := s.cfg.Backend.Device(ctx, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ls, err := s.cfg.Backend.Ledgers(ctx, d.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rs, err := s.cfg.Backend.Recoveries(ctx, d.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := DeviceView{ID: d.ID, Venue: d.Venue, Hardware: d.Hardware, EnrolledAt: d.EnrolledAt, RevokedAt: d.RevokedAt, Ledgers: ls, Recoveries: rs}
	for _, l := range ls {
		v.Conflicts += l.Conflicts
		v.Lost += l.Lost
		v.Purged += l.Purged
	}
	s.writeJSON(w, http.StatusOK, v)
}

// handleDeviceConflicts lists the records kept aside as conflicts: they
// carry card ids and names, like the visit queries.
func (s *Server) handleDeviceConflicts(w http.ResponseWriter, r *http.Request) {
	limit, ok := s.queryLimit(w, r, 1000)
	if !ok {
		return
	}
	cs, err := s.cfg.Backend.Conflicts(r.Context(), r.PathValue("id"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("collector: query device conflicts", "device", r.PathValue("id"), "rows", len(cs))
	s.writeJSON(w, http.StatusOK, cs)
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, http.StatusOK, s.Metrics())
}

func (s *Server) handleListIssuers(w http.ResponseWriter, r *http.Request) {
	is, err := s.cfg.Backend.Issuers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if is == nil {
		is = []Issuer{}
	}
	s.writeJSON(w, http.StatusOK, is)
}

func (s *Server) handlePutIssuer(w http.ResponseWriter, r *http.Request) {
	var req IssuerRequest
	if err := s.readAdmin(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	is, err := s.PutIssuer(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, is)
}

func (s *Server) handleDeleteIssuer(w http.ResponseWriter, r *http.Request) {
	if err := s.DeleteIssuer(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleIssueCard(w http.ResponseWriter, r *http.Request) {
	var req CardRequest
	if err := s.readAdmin(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	// The name is printed on the card and its masked form shown at the
	// door: a character no font has would be an empty box on both. Refuse
	// before a card id is spent.
	if err := fonts.CheckText(req.Name); err != nil {
		s.writeError(w, r, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "name: %v", err))
		return
	}
	resp, err := s.IssueCard(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) handleRevokeCard(w http.ResponseWriter, r *http.Request) {
	id := strings.ToLower(r.PathValue("id"))
	if _, err := idcode.ParseCardID(id); err != nil {
		s.writeError(w, r, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "%v", err))
		return
	}
	if err := s.cfg.Backend.RevokeCard(r.Context(), id, s.now().UTC()); err != nil {
		s.writeError(w, r, err)
		return
	}
	rev, err := s.cfg.Backend.Revision(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("collector: card revoked", "revision", rev)
	s.log.Debug("collector: card revoked detail", "card", id)
	s.writeJSON(w, http.StatusOK, map[string]string{"card_id": id, "status": "revoked", "etag": s.etag(rev, s.epoch(s.now()))})
}

func sha256Hex(s string) string {
	sum := sha256Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// queryLimit reads the optional limit query parameter (1..100000, def when
// absent); a bad one is answered 400 and ok is false.
func (s *Server) queryLimit(w http.ResponseWriter, r *http.Request, def int) (limit int, ok bool) {
	l := r.URL.Query().Get("limit")
	if l == "" {
		return def, true
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > 100000 {
		s.writeError(w, r, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "limit: want 1..100000"))
		return 0, false
	}
	return n, true
}
