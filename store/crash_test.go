package store

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

const crashChildEnv = "SCANGATE_STORE_CRASH_CHILD"

// crashChild is the storm the parent kills: four writers record check-ins
// and print each seq only after RecordCheckin returned, while an uplink
// acks behind them. It never returns.
func crashChild(path string) {
	s, err := Open(path, Options{Logger: quietLogger()})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	for w := 0; w < 4; w++ {
		go func() {
			for i := 0; ; i++ {
				seq, err := s.RecordCheckin(ctx, sample(i))
				if err != nil {
					fmt.Println("record:", err)
					os.Exit(3)
				}
				mu.Lock()
				os.Stdout.WriteString("seq " + strconv.FormatInt(seq, 10) + "\n")
				mu.Unlock()
				if seq%50 == 0 {
					s.Ack(ctx, seq-20)
				}
			}
		}()
	}
	select {}
}

// TestCrashDuringStorm kills (SIGKILL) a process in the middle of a
// check-in storm, three times over the same file, and checks that every
// seq the process reported as committed is on disk and that no seq was
// skipped or reused. A kill keeps the page cache, so this proves the
// transaction and counter logic; power cuts are what synchronous=FULL is for.
func TestCrashDuringStorm(t *testing.T) {
	if p := os.Getenv(crashChildEnv); p != "" {
		crashChild(p)
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "scangate.db")
	reported := map[int64]bool{}
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringStorm$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		seen := 0
		for sc.Scan() {
			line := sc.Text()
			n, ok := strings.CutPrefix(line, "seq ")
			if !ok {
				t.Errorf("child: %s", line)
				continue
			}
			seq, err := strconv.ParseInt(n, 10, 64)
			if err != nil || reported[seq] {
				t.Fatalf("child reported %q twice or garbled", line)
			}
			reported[seq] = true
			if seen++; seen == 150+round*50 {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		cmd.Wait()
		if seen < 150 {
			t.Fatalf("round %d: child reported only %d check-ins", round, seen)
		}

		db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		last := assertConsistent(t, db)
		var n int64
		db.QueryRow(`SELECT count(*) FROM checkins`).Scan(&n)
		db.Close()
		if n != last {
			t.Errorf("round %d: %d check-ins for last seq %d", round, n, last)
		}
		for seq := range reported {
			if seq > last {
				t.Fatalf("round %d: seq %d reported committed but the database ends at %d", round, seq, last)
			}
		}
		t.Logf("round %d: %d reported, database at seq %d", round, len(reported), last)
	}
}
