package config

import (
	"net"
	"strconv"
)

// Metrics is the kiosk's Prometheus endpoint: counts, histograms and ages
// only, never a card id or a name. Off unless listen is set.
type Metrics struct {
	Listen string `toml:"listen"` // e.g. ":9100"; empty disables /metrics
}

func (m Metrics) check(status string, bad func(key, format string, a ...any)) {
	if m.Listen == "" {
		return
	}
	_, port, err := net.SplitHostPort(m.Listen)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		bad("metrics.listen", "must be [host]:port, e.g. \":9100\", got %q", m.Listen)
		return
	}
	if m.Listen == status {
		bad("metrics.listen", "must differ from status.listen (%q): the metrics have their own address", status)
	}
}
