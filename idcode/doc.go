// Package idcode is the identity-code format printed on scangate cards: it
// signs, encodes, parses and verifies card QR texts, and it holds the signed
// trust and revocation lists a device verifies them against.
//
// A card's QR text is "SG1:" followed by the base45 (RFC 9285) encoding of a
// tagged COSE_Sign1 message (RFC 9052, CBOR tag 18) whose payload is a CWT
// claims set (RFC 8392). The protected header carries alg EdDSA (-8, Ed25519)
// and kid, the first 8 bytes of SHA-256 over the raw 32-byte public key.
// docs/idcode.md describes the bytes in full with a worked example.
//
// COSE framing and signing use github.com/veraison/go-cose, which keeps the
// protected header exactly as received (Headers.RawProtected), so signatures
// are always checked over the original protected bytes, never a re-encoding.
// The claims are decoded with github.com/fxamacker/cbor/v2 in a strict mode:
// duplicate map keys, indefinite lengths and tags are refused, and nesting,
// array and map sizes are bounded. Before anything is decoded, QR text longer
// than MaxTextLen is refused, which bounds every allocation in Parse.
//
// base45 is implemented here (base45.go) rather than imported: it is forty
// lines, the RFC's test vectors pin it, and no maintained module in the Go
// proxy is already a dependency of this product.
//
// Parse makes no trust decision; Verify does, offline, against a Trust built
// from a TrustList and a RevocationList. Both lists travel in a signed JSON
// envelope and are only returned by OpenTrustList/OpenRevocations after the
// signature has been checked against a pinned list key.
//
// Private keys are stored as PKCS#8 PEM files, encrypted (PBES2) when a
// passphrase is given (github.com/youmark/pkcs8).
//
// The package does no I/O except in the key-file functions and needs nothing
// from the operating system or hardware.
package idcode
