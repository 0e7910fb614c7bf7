// Package uplink is the kiosk's side of scangate's sync: it enrolls the
// device with the collector once, drains the store's outbox to the
// collector in batches, and applies the collector's signed downlink bundle
// (trust list, revocations, venue policy, server time). Each batch and
// bundle request carries the kiosk's health report (Options.Health and the
// outbox, clock offset and last error the uplink knows), which a collector
// from before reports refuses in a batch and then gets without it.
//
// Never lose, never count twice: each batch is of one ledger (the database
// file's incarnation, store.Ledger) and the outbox of that ledger is
// deleted only up to the collector's ack, the highest seq up to which the
// collector holds every record of it (counted from the batch's floor). A
// batch whose answer is lost (a cut, a timeout, a crash) is sent again;
// the collector stores (device, ledger, seq) once, so the replay is
// harmless, and a new database file can never collide with an old one. Nothing here decides what is in the outbox; the store
// commits a check-in and its outbox row in one transaction.
//
// Authentication is the signed request of sync/wire (Ed25519 over method,
// URI, time, nonce and body hash), not mTLS: the device key never leaves
// the data partition, no certificate expires on a kiosk that was off for a
// year, and the collector can sit behind any TLS-terminating proxy. The
// device key is a PKCS#8 PEM file (mode 0600) on the data partition,
// DATA/uplink.key, written before the first enrollment request.
//
// Time: the device's clock may be wrong (a Raspberry Pi has no RTC). Every
// answer carries the collector's time in a header; the uplink signs its
// requests with its estimate of the collector's clock, so a device booted
// in 1970 still authenticates. Only the signed server time of a bundle
// confirms the clock (clock.Sync.MarkSynced) and anchors this boot's
// monotonic clock for store.CorrectClock; the uplink asks for a full bundle
// (no If-None-Match) at least every TimeRefresh to get one.
//
// Network assumptions: HTTP(S) to one collector URL; any request may hang,
// be cut, or be answered twice. Every request has a timeout, and failures
// back off exponentially with jitter, honouring Retry-After.
package uplink
