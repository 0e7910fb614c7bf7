package uplink

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/wire"
)

// loadOrCreateKey reads the device key, or makes one and writes it durably
// (temp file, fsync, rename, fsync of the directory) before it is used, so
// a power cut never leaves an enrolled device without its key.
func loadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return parseKey(path, data)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("uplink: read device key: %w", err)
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("uplink: make device key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("uplink: encode device key: %w", err)
	}
	if err := writeFileDurably(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("uplink: write device key: %w", err)
	}
	return key, nil
}

func parseKey(path string, data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("uplink: device key %s: no PRIVATE KEY PEM block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("uplink: device key %s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("uplink: device key %s is %T, want Ed25519", path, k)
	}
	return key, nil
}

func writeFileDurably(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".uplink-key-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// loadEnrollment reads the device id and venue kept by an earlier
// enrollment. An enrollment made with another key (the key file was
// replaced) is dropped: the device must enroll again with a new token.
func (u *Uplink) loadEnrollment(ctx context.Context) error {
	get := func(k string) (string, error) {
		v, err := u.opts.Store.Setting(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			return "", nil
		}
		return v, err
	}
	id, err := get(store.SettingDeviceID)
	if err != nil {
		return fmt.Errorf("uplink: read enrollment: %w", err)
	}
	venue, err := get(store.SettingVenue)
	if err != nil {
		return fmt.Errorf("uplink: read enrollment: %w", err)
	}
	state, err := get(store.SettingEnrollment)
	if err != nil {
		return fmt.Errorf("uplink: read enrollment: %w", err)
	}
	pub, err := get(settingPublicKey)
	if err != nil {
		return fmt.Errorf("uplink: read enrollment: %w", err)
	}
	mine := base64.StdEncoding.EncodeToString(u.key.Public().(ed25519.PublicKey))
	if id == "" {
		// A new database (the old one was lost or recovered without its
		// settings): the enrollment kept beside the key says who we are.
		e, err := readEnrollmentFile(u.enrollmentPath())
		if err != nil {
			u.log.Warn("uplink: enrollment file unreadable", "err", err)
		}
		if e == nil || e.PublicKey != mine {
			return nil
		}
		id, venue, state, pub = e.DeviceID, e.Venue, enrolledState, e.PublicKey
		if err := u.opts.Store.SetSettings(ctx, map[string]string{store.SettingDeviceID: id, store.SettingVenue: venue,
			store.SettingEnrollment: state, store.SettingCollector: e.Collector, settingPublicKey: pub}); err != nil {
			return fmt.Errorf("uplink: restore enrollment: %w", err)
		}
		u.log.Warn("uplink: database had no enrollment; restored it from the enrollment file", "device", id)
	}
	if state != enrolledState && state != revokedState {
		return nil
	}
	if pub != mine {
		u.log.Error("uplink: the device key is not the one enrolled; enroll again with a new token", "device", id)
		return nil
	}
	u.mu.Lock()
	u.deviceID, u.venue, u.enrolled = id, venue, true
	if state == revokedState {
		u.refused = "device revoked at the collector"
	}
	u.mu.Unlock()
	return nil
}

// enrollLoop enrolls until it succeeds or ctx ends. A refused token is
// retried only after RefusedBackoff: a technician has to issue a new one.
func (u *Uplink) enrollLoop(ctx context.Context) error {
	rp := u.newRetryPolicy()
	for {
		u.mu.Lock()
		done := u.enrolled
		u.mu.Unlock()
		if done {
			return nil
		}
		err := u.enroll(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		u.failed("enroll", err)
		var he *httpError
		if errors.As(err, &he) && he.refusal() {
			u.mu.Lock()
			u.refused = "enrollment refused: " + he.message
			u.mu.Unlock()
		}
		if !u.wait(ctx, rp.next(err)) {
			return ctx.Err()
		}
	}
}

func (u *Uplink) enroll(ctx context.Context) error {
	if u.opts.EnrollToken == "" {
		return errors.New("uplink: not enrolled and no enrollment token in the configuration")
	}
	pub := u.key.Public().(ed25519.PublicKey)
	body, err := json.Marshal(wire.Enroll{Version: wire.Version, Token: u.opts.EnrollToken, PublicKey: pub, Hardware: u.opts.Hardware})
	if err != nil {
		return fmt.Errorf("uplink: enroll: %w", err)
	}
	resp, err := u.do(ctx, http.MethodPost, "/v1/enroll", body, nil, wire.MaxSmallBody)
	if err != nil {
		return err
	}
	er, err := wire.DecodeEnrollResp(resp.body)
	if err != nil {
		return fmt.Errorf("uplink: enroll: answer: %w", err)
	}
	// The answer came over a channel the collector key does not sign; a
	// collector presenting another key is not the one configured.
	if !ed25519.PublicKey(er.CollectorKey).Equal(u.opts.CollectorKey) {
		return errors.New("uplink: enroll: the collector's key is not the pinned collector key")
	}
	if err := u.opts.Store.SetSettings(ctx, map[string]string{
		store.SettingDeviceID:   er.DeviceID,
		store.SettingVenue:      er.Venue,
		store.SettingEnrollment: enrolledState,
		store.SettingCollector:  u.opts.URL,
		settingPublicKey:        base64.StdEncoding.EncodeToString(pub),
	}); err != nil {
		return fmt.Errorf("uplink: save enrollment: %w", err)
	}
	if err := writeEnrollmentFile(u.enrollmentPath(), enrollmentFile{DeviceID: er.DeviceID, Venue: er.Venue,
		Collector: u.opts.URL, PublicKey: base64.StdEncoding.EncodeToString(pub)}); err != nil {
		// The database holds the enrollment; the file only helps if it is lost.
		u.log.Warn("uplink: write enrollment file", "err", err)
	}
	u.mu.Lock()
	u.deviceID, u.venue, u.enrolled, u.refused = er.DeviceID, er.Venue, true, ""
	u.mu.Unlock()
	u.log.Info("uplink: enrolled", "device", er.DeviceID, "venue", er.Venue)
	return nil
}

// setRefused records that the collector refuses this device (durably when
// it is revoked, so status says so after a restart too).
func (u *Uplink) setRefused(ctx context.Context, he *httpError) {
	msg := he.message
	if msg == "" {
		msg = http.StatusText(he.status)
	}
	if he.status == http.StatusForbidden && he.message == "device revoked" {
		if err := u.opts.Store.SetSettings(ctx, map[string]string{store.SettingEnrollment: revokedState}); err != nil {
			u.log.Warn("uplink: record revocation", "err", err)
		}
	}
	u.mu.Lock()
	u.refused = msg
	u.mu.Unlock()
}

// clearRefused forgets a refusal once the collector accepts the device.
func (u *Uplink) clearRefused(ctx context.Context) {
	u.mu.Lock()
	was := u.refused
	u.refused = ""
	u.mu.Unlock()
	if was != "" {
		if err := u.opts.Store.SetSettings(ctx, map[string]string{store.SettingEnrollment: enrolledState}); err != nil {
			u.log.Warn("uplink: record enrollment", "err", err)
		}
	}
}

// EnrollmentFileName is the copy of the enrollment kept beside the device
// key, outside the database: with the key it is the device's identity, so
// a lost or recovered database (or a new SD card given both files) carries
// on as the same device. Its check-ins start a new ledger (store.Ledger),
// so they cannot collide with what the collector already holds.
const EnrollmentFileName = "uplink.enrollment"

type enrollmentFile struct {
	DeviceID  string `json:"device_id"`
	Venue     string `json:"venue"`
	Collector string `json:"collector"`
	PublicKey string `json:"public_key"` // base64 of the device key's public half
}

func (u *Uplink) enrollmentPath() string {
	return filepath.Join(filepath.Dir(u.opts.KeyFile), EnrollmentFileName)
}

func writeEnrollmentFile(path string, e enrollmentFile) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("uplink: enrollment file: %w", err)
	}
	if err := writeFileDurably(path, b, 0o600); err != nil {
		return fmt.Errorf("uplink: enrollment file: %w", err)
	}
	return nil
}

// readEnrollmentFile returns nil, nil when there is no file.
func readEnrollmentFile(path string) (*enrollmentFile, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("uplink: enrollment file: %w", err)
	}
	if len(b) > wire.MaxSmallBody {
		return nil, fmt.Errorf("uplink: enrollment file %s: %d bytes", path, len(b))
	}
	var e enrollmentFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("uplink: enrollment file %s: %w", path, err)
	}
	if e.DeviceID == "" || len(e.DeviceID) > wire.MaxIDLen || e.Venue == "" || len(e.Venue) > wire.MaxIDLen || e.PublicKey == "" {
		return nil, fmt.Errorf("uplink: enrollment file %s: device, venue or key missing", path)
	}
	return &e, nil
}
