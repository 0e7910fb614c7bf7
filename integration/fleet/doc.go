// Package fleet runs scangate's collector as a fleet runs it: several
// collector processes on one PostgreSQL behind a load balancer, with real
// kiosk uplinks whose requests alternate between them, and processes
// killed (SIGKILL) and restarted at random. Its test counts every
// check-in exactly once; its benchmark measures ingest with one and with
// two collector processes.
//
// The collectors are this test binary started again as child processes
// (SCANGATE_FLEET_COLLECTOR=1), each serving the real collector.Server
// over its own connection pool, so a kill loses exactly what a crashed
// process would lose.
package fleet
