package collector_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

// logBuffer collects a collector's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func (l *logBuffer) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: level}))
}

// TestConflictsOverHTTP: a device whose database was recovered without a
// ledger (old firmware) sends seqs the collector holds with other
// content: the ack says so, the records are kept aside, the error log
// names device and seqs but no card id or name, the counter and the admin
// device view count them, and the ack still moves on (the device is not
// stuck resending).
func TestConflictsOverHTTP(t *testing.T) {
	var logs logBuffer
	c := collectortest.Start(t, collectortest.Options{Logger: logs.logger(slog.LevelInfo)})
	c.CreateVenue(t, "v1")
	d := mustEnroll(t, c, "v1")
	if st, ack, b := d.post(t, gz(t, d.batch(records(1, 2, 3)))); st != http.StatusOK || ack != 3 {
		t.Fatalf("first post: %d %d %s", st, ack, b)
	}
	// The recovered database numbers from 1 again.
	again := records(1, 2, 3, 4)
	again[0].Name = "赵*六"
	st, _, body := d.post(t, gz(t, d.batch(again)))
	ack, err := wire.DecodeAck(body)
	if st != http.StatusOK || err != nil || ack.AckSeq != 4 || ack.Conflicts != 3 || ack.Ledger != "" {
		t.Fatalf("conflicting post: %d %+v %v; want ack 4 with 3 conflicts", st, ack, err)
	}
	log := logs.String()
	if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "conflict") || !strings.Contains(log, d.id) {
		t.Fatalf("no error log naming the device: %s", log)
	}
	for _, r := range again {
		if strings.Contains(log, r.CardID) || strings.Contains(log, "赵") {
			t.Fatalf("personal data in the log above debug: %s", log)
		}
	}
	if m := c.Server.Metrics(); m.Conflicts != 3 || m.Batches != 2 || m.Records != 7 {
		t.Fatalf("metrics %+v", m)
	}
	var m collector.MetricsSnapshot
	if st := c.Admin(t, "GET", "/v1/admin/metrics", nil, &m); st != http.StatusOK || m.Conflicts != 3 {
		t.Fatalf("GET metrics: %d %+v", st, m)
	}
	var v collector.DeviceView
	if st := c.Admin(t, "GET", "/v1/admin/devices/"+d.id, nil, &v); st != http.StatusOK || v.Conflicts != 3 || len(v.Ledgers) != 1 || v.Ledgers[0].AckSeq != 4 {
		t.Fatalf("device view: %d %+v", st, v)
	}
	var cs []collector.Conflict
	if st := c.Admin(t, "GET", "/v1/admin/devices/"+d.id+"/conflicts", nil, &cs); st != http.StatusOK || len(cs) != 3 {
		t.Fatalf("device conflicts: %d %+v", st, cs)
	}
	found := false
	for _, cf := range cs {
		found = found || cf.Record.Name == "赵*六"
	}
	if !found {
		t.Fatalf("the conflicting record is not kept whole: %+v", cs)
	}
	// Same content again: idempotent, no new conflict counted.
	if st, _, body := d.post(t, gz(t, d.batch(again))); st != http.StatusOK {
		t.Fatalf("resend: %d %s", st, body)
	}
	if m := c.Server.Metrics(); m.Conflicts != 3 {
		t.Fatalf("a resent conflict counted again: %+v", m)
	}
}

// TestLedgersOverHTTP: a device that recovered its database sends a new
// ledger from seq 1 with its recovery report, and the salvaged rest of the
// old ledger with a floor over its hole: everything is acked per ledger,
// and the device view shows the ledgers, the recovery and the loss.
func TestLedgersOverHTTP(t *testing.T) {
	var logs logBuffer
	c := collectortest.Start(t, collectortest.Options{Logger: logs.logger(slog.LevelInfo)})
	c.CreateVenue(t, "v1")
	d := mustEnroll(t, c, "v1")
	old := d.batch(records(1, 2, 3))
	old.Ledger = "L1"
	if st, ack, b := d.post(t, gz(t, old)); st != http.StatusOK || ack != 3 {
		t.Fatalf("old ledger: %d %d %s", st, ack, b)
	}
	rec := wire.Recovery{At: time.Now().UTC().Add(-time.Minute).Truncate(time.Microsecond), Ledger: "L1", Salvaged: 2, Lost: 3}
	// Salvaged 7, 8 of L1; 4..6 were lost.
	salvaged := d.batch(records(7, 8))
	salvaged.Ledger, salvaged.Floor, salvaged.Recoveries = "L1", 6, []wire.Recovery{rec}
	st, _, body := d.post(t, gz(t, salvaged))
	a, _ := wire.DecodeAck(body)
	if st != http.StatusOK || a.Ledger != "L1" || a.AckSeq != 8 || a.Conflicts != 0 {
		t.Fatalf("salvaged rows over a hole: %d %s", st, body)
	}
	fresh := d.batch(records(1, 2))
	fresh.Ledger, fresh.Recoveries = "L2", []wire.Recovery{rec}
	st, _, body = d.post(t, gz(t, fresh))
	a, _ = wire.DecodeAck(body)
	if st != http.StatusOK || a.Ledger != "L2" || a.AckSeq != 2 || a.Conflicts != 0 {
		t.Fatalf("new ledger from 1: %d %s", st, body)
	}
	var v collector.DeviceView
	if st := c.Admin(t, "GET", "/v1/admin/devices/"+d.id, nil, &v); st != http.StatusOK {
		t.Fatalf("device view: %d", st)
	}
	if len(v.Ledgers) != 2 || v.Lost != 3 || v.Conflicts != 0 || len(v.Recoveries) != 1 ||
		v.Recoveries[0].Salvaged != 2 || v.Recoveries[0].Lost != 3 || !v.Recoveries[0].At.Equal(rec.At) {
		t.Fatalf("device view %+v", v)
	}
	if !strings.Contains(logs.String(), "declared check-ins lost") {
		t.Fatalf("a declared loss is not logged: %s", logs.String())
	}
	if m := c.Server.Metrics(); m.DeclaredLost != 3 {
		t.Fatalf("metrics %+v", m)
	}
	if st := c.Admin(t, "GET", "/v1/admin/devices/dev-nope", nil, nil); st != http.StatusNotFound {
		t.Fatalf("unknown device view: %d", st)
	}
	vs, err := c.Backend.VisitsAtVenue(t.Context(), "v1", time.Now().Add(-24*time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(vs) != 7 {
		t.Fatalf("visits %d, %v; want 7 (L1: 1-3, 7, 8; L2: 1, 2)", len(vs), err)
	}
}

// TestClientResetIsNotABadRequest: a device whose connection resets in
// the middle of a batch body (finding 6: logged as bad_request 400) is a
// client disconnect: nothing at info level or above says bad request, a
// debug line says the client went away, and it is counted.
func TestClientResetIsNotABadRequest(t *testing.T) {
	var logs logBuffer
	c := collectortest.Start(t, collectortest.Options{Logger: logs.logger(slog.LevelDebug)})
	c.CreateVenue(t, "v1")
	d := mustEnroll(t, c, "v1")
	body := gz(t, d.batch(records(1, 2, 3)))
	req := gzReq(t, d, body, time.Now())
	for _, cut := range []string{"close", "reset"} {
		conn, err := net.Dial("tcp", c.HTTP.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		var head bytes.Buffer
		fmt.Fprintf(&head, "POST /v1/checkins HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n", len(body))
		for k, vs := range req.Header {
			for _, v := range vs {
				fmt.Fprintf(&head, "%s: %s\r\n", k, v)
			}
		}
		head.WriteString("\r\n")
		head.Write(body[:len(body)/2])
		if _, err := conn.Write(head.Bytes()); err != nil {
			t.Fatal(err)
		}
		if cut == "reset" {
			conn.(*net.TCPConn).SetLinger(0) // RST instead of FIN
		}
		conn.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Server.Metrics().ClientGone < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("client disconnects not counted: %+v\n%s", c.Server.Metrics(), logs.String())
		}
		time.Sleep(10 * time.Millisecond) // the server notices the cut on its own goroutine
	}
	log := logs.String()
	for _, line := range strings.Split(log, "\n") {
		if (strings.Contains(line, "level=INFO") || strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR")) &&
			(strings.Contains(line, "400") || strings.Contains(line, "bad_request")) {
			t.Fatalf("a client disconnect logged as a bad request: %s", line)
		}
	}
	if !strings.Contains(log, "level=DEBUG") || !strings.Contains(log, "client went away") {
		t.Fatalf("no debug line for the disconnect: %s", log)
	}
	if d, _ := c.Backend.Device(t.Context(), d.id); d.AckSeq != 0 {
		t.Fatalf("a cut batch was stored: ack %d", d.AckSeq)
	}
}
