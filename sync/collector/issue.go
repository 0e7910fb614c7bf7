package collector

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/sync/wire"
)

// IssueCard signs a card with an issuer key the collector holds and
// records it: the one issuing path of the admin API and the web pages.
// Only the masked name goes on the card's QR or into the registry.
func (s *Server) IssueCard(ctx context.Context, req CardRequest) (CardResponse, error) {
	issuers, err := s.cfg.Backend.Issuers(ctx)
	if err != nil {
		return CardResponse{}, err
	}
	var sealed []byte
	for _, is := range issuers {
		if is.ID == req.Issuer {
			sealed = is.SealedKey
		}
	}
	if sealed == nil {
		return CardResponse{}, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "issuer %q unknown or its key is not held by the collector", req.Issuer)
	}
	if s.cfg.KEK == nil {
		return CardResponse{}, fmt.Errorf("%w: issuer %q", ErrNoKEK, req.Issuer)
	}
	key, err := s.cfg.KEK.Open(req.Issuer, sealed)
	if err != nil {
		return CardResponse{}, err
	}
	valid := time.Duration(req.Valid)
	if valid == 0 {
		valid = 365 * 24 * time.Hour
	}
	// New cards print SG2: a smaller QR with larger modules in the same box.
	cti, err := idcode.NewCompactCardID()
	if err != nil {
		return CardResponse{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	c := idcode.Claims{Issuer: req.Issuer, Subject: req.Holder, IssuedAt: now, Expires: now.Add(valid), CardID: cti,
		Name: idcode.MaskName(req.Name), Category: req.Category}
	qr, err := idcode.SignCompact(c, key)
	if err != nil {
		return CardResponse{}, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "%v", err)
	}
	// SG2 carries whole days: record the dates the card itself carries.
	c.IssuedAt, c.Expires = now.Truncate(24*time.Hour), c.Expires.Truncate(24*time.Hour)
	card := Card{ID: hex.EncodeToString(cti), Issuer: req.Issuer, Holder: req.Holder, Name: c.Name, Category: c.Category, IssuedAt: c.IssuedAt, Expires: c.Expires}
	if err := s.cfg.Backend.RecordCard(ctx, card); err != nil {
		return CardResponse{}, err
	}
	s.log.Info("collector: card issued", "issuer", req.Issuer, "category", c.Category)
	return CardResponse{CardID: card.ID, QR: qr, Name: c.Name, Expires: c.Expires}, nil
}

// RevokeCard puts a card id (hex) on the revocation list of every bundle;
// idempotent. It returns the new revision.
func (s *Server) RevokeCard(ctx context.Context, cardID string) (int64, error) {
	if _, err := idcode.ParseCardID(cardID); err != nil {
		return 0, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "%v", err)
	}
	if err := s.cfg.Backend.RevokeCard(ctx, cardID, s.now().UTC()); err != nil {
		return 0, err
	}
	return s.cfg.Backend.Revision(ctx)
}
