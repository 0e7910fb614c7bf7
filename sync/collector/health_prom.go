package collector

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var deviceHealthDesc = prometheus.NewDesc("scangate_collector_device_health",
	"Devices by fleet state (green, amber, red, revoked), judged as the fleet page does; staff desks count green.", []string{"state"}, nil)

// healthCollector counts the fleet by state at each scrape, from the same
// Server.Fleet the fleet page shows, so the two agree.
type healthCollector struct{ s *Server }

func (c *healthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- deviceHealthDesc }

func (c *healthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fleet, err := c.s.Fleet(ctx)
	if err != nil {
		c.s.metrics.DBErrors.Add(1)
		c.s.log.Warn("collector: metrics: fleet", "err", err)
		return
	}
	n := map[string]int{}
	for _, d := range fleet {
		n[d.State]++
	}
	for _, st := range FleetStates {
		ch <- prometheus.MustNewConstMetric(deviceHealthDesc, prometheus.GaugeValue, float64(n[st]), st)
	}
}
