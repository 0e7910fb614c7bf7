// Package wire holds the versioned types that travel between a scangate
// kiosk (sync/uplink) and the collector (sync/collector), their strict
// decoders, and the signing of device requests and downlink bundles.
//
// Everything here is shared by both sides, so a change to a type is a change
// to the protocol: add fields, never rename or reuse one, and bump Version
// when old peers could misread the new form.
//
// Encoding: JSON everywhere; check-in batches are gzip-compressed
// (Content-Encoding: gzip). Every decoder refuses unknown fields, trailing
// data and bodies over its size cap, compressed and decompressed, so a
// hostile or broken peer cannot make the other side hold more than the cap.
//
// Authentication: each request from a device carries an Ed25519 signature
// (see SignRequest) over the method, the request URI, a timestamp, a random
// nonce and the SHA-256 of the body, made with the key the device created
// at enrollment. The collector signs each bundle with its own key, which the
// device pins from its configuration (see SignBundle and OpenBundle).
package wire
