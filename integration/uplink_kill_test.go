package integration_test

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/faultproxy"
	"github.com/scangate/scangate/sync/uplink"
)

// TestUploadChild is the kiosk process that TestKill9 starts and kills: it
// records check-ins up to a total while uploading, then drains and exits.
// It does nothing in a normal test run.
func TestUploadChild(t *testing.T) {
	dir := os.Getenv("UPLINK_CHILD_DIR")
	if dir == "" {
		t.Skip("run by TestKill9")
	}
	total, _ := strconv.Atoi(os.Getenv("UPLINK_CHILD_TOTAL"))
	pub, _ := base64.StdEncoding.DecodeString(os.Getenv("UPLINK_CHILD_KEY"))
	st := openStore(t, filepath.Join(dir, "kiosk.db"))
	opts := fastOptions(os.Getenv("UPLINK_CHILD_URL"), pub, os.Getenv("UPLINK_CHILD_TOKEN"), dir, st)
	opts.RequestTimeout = 2 * time.Second
	up, err := uplink.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- up.Run(ctx) }()
	for {
		s, err := st.OutboxStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.LastSeq >= int64(total) {
			break
		}
		record(t, st, 1, nil)
	}
	for up.Status().OutboxDepth != 0 || !up.Status().Enrolled {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

// TestKill9 kills a kiosk process with SIGKILL while it records and
// uploads, several times, restarts it on the same data directory, and
// checks that every check-in arrived exactly once.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	const total, kills = 4000, 3
	tc := startCollector(t, nil)
	px := newProxy(t, tc.addr())
	// Every upload's answer takes a while, so a kill lands mid-upload.
	px.SetPlan(func(_ int64, head []byte) faultproxy.Fault {
		if isCheckins(head) {
			return faultproxy.Fault{Delay: 15 * time.Millisecond}
		}
		return faultproxy.Fault{}
	})
	dir := t.TempDir()
	env := append(os.Environ(),
		"UPLINK_CHILD_DIR="+dir, "UPLINK_CHILD_URL="+px.URL(),
		"UPLINK_CHILD_KEY="+base64.StdEncoding.EncodeToString(tc.pub()),
		"UPLINK_CHILD_TOKEN="+tc.C().EnrollToken(t, venue),
		"UPLINK_CHILD_TOTAL="+strconv.Itoa(total))
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUploadChild$", "-test.count=1")
		cmd.Env = env
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	held := func() int { return len(tc.visits(t)) }
	for k := 1; k <= kills; k++ {
		cmd := start()
		target := k * total / (kills + 2)
		deadline := time.Now().Add(30 * time.Second)
		for held() < target {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("kill %d: collector holds %d, waited for %d", k, held(), target)
			}
			time.Sleep(5 * time.Millisecond)
		}
		before := px.Stats().Requests
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("kill %d: child ended with %v, not by SIGKILL", k, err)
		}
		t.Logf("kill %d: collector held %d when the child was killed (%d requests so far)", k, held(), before)
	}
	cmd := start()
	waitc := make(chan error, 1)
	go func() { waitc <- cmd.Wait() }()
	select {
	case err := <-waitc:
		if err != nil {
			t.Fatalf("final run: %v", err)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("final run did not finish")
	}
	st := openStore(t, filepath.Join(dir, "kiosk.db"))
	checkExactlyOnce(t, tc, st, total)
}
