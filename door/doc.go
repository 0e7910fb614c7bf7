// Package door is the vocabulary a card travels in from the lens to the
// LED: the camera frame, the decoded code, the decision with its outcome and
// reason, the check-in entry and the ledger it is committed to. Drivers,
// the decoder, the gate, the display, the store's adapter and sync all
// import it; it imports only the standard library, so the decision and
// its feedback can be built (and tested) without any driver, database or
// network.
package door
