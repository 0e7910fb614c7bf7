// Package collector is the server side of scangate's sync: it enrolls
// kiosks, ingests their check-ins idempotently, publishes each kiosk's
// downlink bundle (trust list, revocations, venue policy, server time)
// signed with the collector key, keeps the latest health report of each
// device (Fleet, judged green/amber/red by FleetRules for the fleet page
// and the metrics alike), and answers an administrator's questions (who
// was at venue V, where was card C) as JSON or CSV.
//
// All state lives in a Backend: SQLite (the embedded default, one process)
// or PostgreSQL (a fleet: many stateless collector instances behind a load
// balancer). Request nonces are kept in the backend, so a replay is refused
// across restarts and processes; the only per-instance state is caches (the
// nonces this process saw, the signed lists of a database revision) and
// counters (Metrics). Check-ins are identified by (device, ledger, seq): a
// recovered device database starts a new ledger, and a seq held with
// other content is kept aside as a conflict, never dropped. Issuer private
// keys are sealed with a key-encryption key that is not in the database
// (KEK). See docs/collector.md.
//
// Devices authenticate every request with an Ed25519 signature made with
// the key they registered at enrollment (wire.SignRequest); the admin API
// takes a bearer token compared in constant time.
package collector
