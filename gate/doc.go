// Package gate owns the decision at the door: a scanned code goes in, a
// Decision comes out, and when the decision admits someone the check-in is
// already durable in the ledger (the store) before Decide returns.
//
// The gate never waits on the network: the trust list, the revocations and
// the venue policy it needs are read from the store by the daemon and
// handed in as an idcode.Trust. Every time rule (duplicate window, companion
// window, card validity, clock plausibility) reads the injected clock, so
// each has a deterministic test.
//
// Order of the checks, and why:
//   - log-only mode admits any text, recorded only as a keyed hash;
//   - parse (malformed) and idcode.Verify (trust data stale, unknown key,
//     bad signature, issuer not trusted here, revoked, not yet valid,
//     expired);
//   - the clock: a verdict that depends on the time is only as good as the
//     clock, so a clock earlier than the card's signed issue time, or
//     earlier than the trust list's own date, or unconfirmed for longer
//     than policy allows, turns time-dependent verdicts into
//     clock_not_trustworthy;
//   - category admitted at this venue;
//   - already checked in (same card within the duplicate window: admitted,
//     recorded, not counted twice);
//   - capacity: a new pass while people in now (door.Occupancy, counted
//     from the ledger since the venue's midnight in Options.Location) is
//     at Policy.Capacity is refused as Full, venue_full; someone already
//     in is not refused;
//   - companion grouping (cards following a companion card within the
//     companion window share its group id).
//
// At an exit source (Options.Exit) a card records an Exit after the
// verification: unreadable codes, unknown issuers and bad signatures are
// a Fail (nothing of ours), every other verdict, device ones included,
// still lets the person out and is kept as the exit's reason, a flag for
// staff. Neither the duplicate window nor the categories apply; a second
// exit of the same card with no pass between within the duplicate window
// is already_exited and is not counted. A card back in after its exit is
// a new pass. The count sees only this kiosk's ledger: exits made at
// another kiosk reach it only through the collector, so a venue whose
// exits are elsewhere should set its capacity on the kiosk that has both,
// or none (see docs/technician.md).
//
// Whatever is the device's fault, never the card's, is outcome Fault with
// the precise reason (door.Reason.Device): trust data stale, the clock not
// trustworthy, no list key pinned (configuration), a ledger failure (disk
// full, read-only media: storage_fault) or a verdict this build cannot
// name. The door then says "see staff", never "invalid card"; only a
// ledger failure may still admit, unrecorded, when the venue chose
// fail-open. Refusing tells the kiosk when every card would be a Fault,
// so the idle screen can say so before anyone is turned away.
package gate
