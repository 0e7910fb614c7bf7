// Package collector is the server side of scangate's sync: it enrolls
// kiosks, ingests their check-ins idempotently, publishes each kiosk's
// downlink bundle (trust list, revocations, venue policy, server time)
// signed with the collector key, and answers an administrator's questions
// (who was at venue V, where was card C) as JSON or CSV.
//
// All state lives in a Backend: SQLite (the embedded default, one process)
// or PostgreSQL (a fleet: many stateless collector instances behind a load
// balancer). The only per-instance state is the nonce replay cache and a
// cache of the signed lists, keyed by the database revision; see
// docs/collector.md for why that is safe.
//
// Devices authenticate every request with an Ed25519 signature made with
// the key they registered at enrollment (wire.SignRequest); the admin API
// takes a bearer token compared in constant time.
package collector
