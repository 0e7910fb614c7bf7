// Package integration holds the tests that run the device side and the
// server side of scangate together: real kiosks and uplinks against real
// collectors on loopback. They live here, not in either side's packages,
// because the two sides share only the wire types (internal/deptest
// enforces it, tests included).
package integration
