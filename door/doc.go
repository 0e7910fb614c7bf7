// Package door is the vocabulary a card travels in from the lens to the
// LED: the camera frame, the decoded code, the decision with its outcome and
// reason, the check-in entry and the ledger it is committed to. Drivers,
// the decoder, the gate, the display, the store's adapter and sync all
// import it; it imports only the standard library, so the decision and
// its feedback can be built (and tested) without any driver, database or
// network.
package door

// Exits and capacity. A source configured as an exit records Exit, never
// an admission: the duplicate window does not apply to it, and a genuine
// card with a problem (revoked, expired, not admitted here, or trust data
// the device cannot check) still records its exit with that reason as a
// flag for staff, because a venue never keeps a person in and its count
// must go down. Only what cannot be a card of ours (unreadable, unknown
// issuer, bad signature) is a Fail at an exit, so forged codes cannot
// empty the count. A full venue refuses with its own outcome, Full
// (venue_full), rather than Fail: Fail says the card is bad and Fault
// that the device is, and neither is true; the person is asked to wait.
