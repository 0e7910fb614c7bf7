package collector

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"

	"github.com/scangate/scangate/sync/wire"
)

// PutIssuer trusts an issuer (insert or replace by ID): with its public
// key, or without one a key the collector makes and holds, sealed with
// its key-encryption key. The admin API and the web pages both call it.
func (s *Server) PutIssuer(ctx context.Context, req IssuerRequest) (Issuer, error) {
	if err := checkID("issuer id", req.ID); err != nil {
		return Issuer{}, err
	}
	for _, v := range req.Venues {
		if err := checkID("venue id", v); err != nil {
			return Issuer{}, err
		}
	}
	is := Issuer{ID: req.ID, Name: req.Name, NotBefore: req.NotBefore, NotAfter: req.NotAfter, Venues: req.Venues}
	switch len(req.PublicKey) {
	case 0:
		if s.cfg.KEK == nil {
			return Issuer{}, wire.Errorf(http.StatusConflict, wire.CodeConflict,
				"the collector holds issuer keys only with a key-encryption key (--kek-file or a systemd credential); give the issuer's public_key instead")
		}
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			return Issuer{}, fmt.Errorf("collector: issuer key: %w", err)
		}
		sealed, err := s.cfg.KEK.Seal(is.ID, priv)
		if err != nil {
			return Issuer{}, err
		}
		is.PublicKey, is.SealedKey, is.HoldsKey = pub, sealed, true
	case ed25519.PublicKeySize:
		is.PublicKey = req.PublicKey
	default:
		return Issuer{}, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "public key is %d bytes, want %d", len(req.PublicKey), ed25519.PublicKeySize)
	}
	if !is.NotBefore.IsZero() && !is.NotAfter.IsZero() && !is.NotAfter.After(is.NotBefore) {
		return Issuer{}, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "not_after not after not_before")
	}
	if err := s.cfg.Backend.PutIssuer(ctx, is); err != nil {
		return Issuer{}, err
	}
	s.log.Info("collector: issuer trusted", "issuer", is.ID, "holds_key", is.HoldsKey)
	return is, nil
}

// DeleteIssuer stops trusting an issuer: every card it signed is refused
// once the kiosks have the next trust list.
func (s *Server) DeleteIssuer(ctx context.Context, id string) error {
	if err := s.cfg.Backend.DeleteIssuer(ctx, id); err != nil {
		return err
	}
	s.log.Info("collector: issuer removed", "issuer", id)
	return nil
}
