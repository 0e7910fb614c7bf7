package collector

import "sync/atomic"

// Metrics counts what one collector process did since it started, for
// GET /v1/admin/metrics and the Prometheus /metrics (prom.go). The durable,
// fleet-wide figures (conflicts and losses per device ledger) are in the
// database and in the device view.
type Metrics struct {
	Batches        atomic.Uint64 // batches ingested
	Records        atomic.Uint64 // records in them, replays included
	Conflicts      atomic.Uint64 // distinct conflicting records kept aside
	DeclaredLost   atomic.Uint64 // seqs skipped by device floors, never received
	DeclaredPurged atomic.Uint64 // of those, deleted by the device's retention before upload
	ReplaysRefused atomic.Uint64 // signed requests refused for a used nonce
	ClientGone     atomic.Uint64 // requests whose client hung up before the answer
	DBErrors       atomic.Uint64 // backend errors: 500 answers, failed metrics queries
}

// MetricsSnapshot is Metrics read at one moment.
type MetricsSnapshot struct {
	Batches        uint64 `json:"batches"`
	Records        uint64 `json:"records"`
	Conflicts      uint64 `json:"conflicts"`
	DeclaredLost   uint64 `json:"declared_lost"`
	DeclaredPurged uint64 `json:"declared_purged"`
	ReplaysRefused uint64 `json:"replays_refused"`
	ClientGone     uint64 `json:"client_gone"`
	DBErrors       uint64 `json:"database_errors"`
}

// Snapshot reads every counter.
func (m *Metrics) Snapshot() MetricsSnapshot {
	return MetricsSnapshot{
		Batches: m.Batches.Load(), Records: m.Records.Load(), Conflicts: m.Conflicts.Load(),
		DeclaredLost: m.DeclaredLost.Load(), DeclaredPurged: m.DeclaredPurged.Load(), ReplaysRefused: m.ReplaysRefused.Load(), ClientGone: m.ClientGone.Load(),
		DBErrors: m.DBErrors.Load(),
	}
}

// Metrics returns the server's counters.
func (s *Server) Metrics() MetricsSnapshot { return s.metrics.Snapshot() }
