package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// daemon is one run of the real scangated binary.
type daemon struct {
	cmd   *exec.Cmd
	ready chan error
	done  chan error
}

// startDaemon starts scangated and waits for READY=1 on its notify socket.
func startDaemon(config, dataDir, trust string, log *os.File) (*daemon, error) {
	sock := filepath.Join(os.TempDir(), fmt.Sprintf("notify-%d.sock", time.Now().UnixNano()))
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	cmd := exec.Command("/bin/scangated", "--config", config, "--data", dataDir, "--trust", trust)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("start scangated: %w", err)
	}
	d := &daemon{cmd: cmd, ready: make(chan error, 1), done: make(chan error, 1)}
	go func() { d.done <- cmd.Wait(); close(d.done) }()
	go func() {
		defer ln.Close()
		buf := make([]byte, 4096)
		for {
			ln.SetReadDeadline(time.Now().Add(90 * time.Second))
			n, err := ln.Read(buf)
			if err != nil {
				d.ready <- fmt.Errorf("no READY=1: %w", err)
				return
			}
			for _, l := range strings.Split(string(buf[:n]), "\n") {
				if l == "READY=1" {
					d.ready <- nil
					return
				}
			}
		}
	}()
	select {
	case err := <-d.ready:
		if err != nil {
			d.kill()
		}
		return d, err
	case err := <-d.done:
		return nil, fmt.Errorf("scangated exited before ready: %v", err)
	}
}

func (d *daemon) alive() bool {
	return d.cmd.Process.Signal(syscall.Signal(0)) == nil && len(d.done) == 0
}

func (d *daemon) kill() {
	d.cmd.Process.Kill()
	<-d.done
}

func (d *daemon) stop() error {
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		return err
	case <-time.After(20 * time.Second):
		d.kill()
		return fmt.Errorf("scangated did not stop within 20 s of SIGTERM")
	}
}

type status struct {
	Ready   bool `json:"ready"`
	Sources []struct {
		Name, Kind, State string
		LastError         string `json:"last_error"`
	} `json:"sources"`
	Store struct {
		Checkins    int64 `json:"checkins"`
		OutboxDepth int   `json:"outbox_depth"`
	} `json:"store"`
	Uplink *struct {
		Enrolled  bool   `json:"enrolled"`
		LastError string `json:"last_error"`
	} `json:"uplink"`
}

func (s status) source(name string) string {
	for _, src := range s.Sources {
		if src.Name == name {
			return src.State
		}
	}
	return ""
}

// getStatus asks the running kiosk through `scangate status --json`.
func getStatus(dataDir string) (status, error) {
	var s status
	out, err := exec.Command("/bin/scangate", "status", "--data", dataDir, "--json").Output()
	if err != nil {
		return s, fmt.Errorf("scangate status: %w", err)
	}
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&s); err != nil {
		return s, fmt.Errorf("scangate status: %w: %s", err, out)
	}
	return s, nil
}

type checkin struct {
	Seq                            int64
	Decision, Reason, Source, Card string
}

// checkins reads every row of the kiosk's database, oldest first.
func checkins(dataDir string) ([]checkin, error) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dataDir, "scangate.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT seq, decision, reason, source, card_id FROM checkins ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("read checkins: %w", err)
	}
	defer rows.Close()
	var cs []checkin
	for rows.Next() {
		var c checkin
		if err := rows.Scan(&c.Seq, &c.Decision, &c.Reason, &c.Source, &c.Card); err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}
