package wire

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Headers of a signed device request.
const (
	HeaderDevice    = "X-Scangate-Device"    // device id; empty on POST /v1/enroll
	HeaderTime      = "X-Scangate-Time"      // unix milliseconds
	HeaderNonce     = "X-Scangate-Nonce"     // 32 hex digits, random per request
	HeaderSignature = "X-Scangate-Signature" // base64 (std) Ed25519 signature
)

// SignatureWindow is how far a request's timestamp may be from the
// collector's clock. A device anchors its clock from ServerTimeHeader
// before signing, so a device booted in 1970 is only refused once.
const SignatureWindow = 5 * time.Minute

// requestMessage is the byte string a device signs. The fixed prefix keeps
// a request signature from being valid as anything else the key signs.
func requestMessage(method, requestURI, ts, nonce string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return fmt.Appendf(nil, "scangate-request-v1\n%s\n%s\n%s\n%s\n%s", method, requestURI, ts, nonce, hex.EncodeToString(sum[:]))
}

// SignRequest sets the authentication headers on req for a request whose
// body is exactly body (the bytes sent, compressed if compressed). now is
// the device's best estimate of the collector's time. The request URI is
// taken from req.URL, so set the final URL (and query) before signing.
func SignRequest(req *http.Request, deviceID string, key ed25519.PrivateKey, body []byte, now time.Time) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("wire: sign request: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	var n [16]byte
	if _, err := rand.Read(n[:]); err != nil {
		return fmt.Errorf("wire: sign request: nonce: %w", err)
	}
	nonce := hex.EncodeToString(n[:])
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	sig := ed25519.Sign(key, requestMessage(req.Method, req.URL.RequestURI(), ts, nonce, body))
	req.Header.Set(HeaderDevice, deviceID)
	req.Header.Set(HeaderTime, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// RequestAuth is the parsed authentication of one request, not yet verified.
type RequestAuth struct {
	Device    string
	Time      time.Time
	Nonce     string
	Signature []byte

	ts string // as sent, so verification signs the same bytes
}

// ParseRequestAuth reads the authentication headers. It checks their form
// only; Verify checks the signature.
func ParseRequestAuth(h http.Header) (RequestAuth, error) {
	a := RequestAuth{Device: h.Get(HeaderDevice), Nonce: h.Get(HeaderNonce), ts: h.Get(HeaderTime)}
	if len(a.Device) > MaxIDLen {
		return RequestAuth{}, Errorf(http.StatusUnauthorized, CodeUnauthorized, "device id longer than %d bytes", MaxIDLen)
	}
	ms, err := strconv.ParseInt(a.ts, 10, 64)
	if err != nil || ms < 0 || len(a.ts) > 16 {
		return RequestAuth{}, Errorf(http.StatusUnauthorized, CodeUnauthorized, "%s missing or not unix milliseconds", HeaderTime)
	}
	a.Time = time.UnixMilli(ms)
	if n, err := hex.DecodeString(a.Nonce); err != nil || len(n) != 16 {
		return RequestAuth{}, Errorf(http.StatusUnauthorized, CodeUnauthorized, "%s missing or not 32 hex digits", HeaderNonce)
	}
	sig := h.Get(HeaderSignature)
	if len(sig) > 128 {
		return RequestAuth{}, Errorf(http.StatusUnauthorized, CodeUnauthorized, "%s too long", HeaderSignature)
	}
	a.Signature, err = base64.StdEncoding.DecodeString(sig)
	if err != nil || len(a.Signature) != ed25519.SignatureSize {
		return RequestAuth{}, Errorf(http.StatusUnauthorized, CodeUnauthorized, "%s missing or malformed", HeaderSignature)
	}
	return a, nil
}

// Verify reports whether the signature is pub's over this request.
func (a RequestAuth) Verify(method, requestURI string, body []byte, pub ed25519.PublicKey) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(pub, requestMessage(method, requestURI, a.ts, a.Nonce, body), a.Signature)
}

// Fresh reports whether the request time is within SignatureWindow of now.
func (a RequestAuth) Fresh(now time.Time) bool {
	d := now.Sub(a.Time)
	return d <= SignatureWindow && d >= -SignatureWindow
}
