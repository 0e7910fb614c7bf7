package display

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/door"

	"github.com/scangate/scangate/clock"
)

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

type rig struct {
	t     *testing.T
	clock *clock.Fake
	rec   *Recorder
	d     *Display
}

func newRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	clk := clock.NewFake(t0)
	rec := NewRecorder(clk)
	cfg.Clock = clk
	d, err := New(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	r := &rig{t: t, clock: clk, rec: rec, d: d}
	r.rec.WaitEvents(3, 5*time.Second) // initial idle: lights, buzzer, screen
	return r
}

// waitTimer blocks until the display waits on its step timer, so every
// event up to that moment has been recorded.
func (r *rig) waitTimer() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.clock.BlockUntil(ctx, 1); err != nil {
		r.t.Fatalf("display never waited on a timer: %v", err)
	}
}

// advance moves the fake clk and waits for the next step's timer.
func (r *rig) advance(d time.Duration) {
	r.t.Helper()
	r.clock.Advance(d)
	r.waitTimer()
}

func (r *rig) log(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%v %s\n", e.At.Sub(t0), e)
	}
	return b.String()
}

func (r *rig) expect(n int, want string) {
	r.t.Helper()
	got := r.log(r.rec.WaitEvents(n, 5*time.Second))
	if got != want {
		r.t.Errorf("events:\n%s\nwant:\n%s", got, want)
	}
}

const idleStart = `0s lights green=false red=false amber=false
0s buzzer false
0s screen 请出示身份码 / Show your card
`

func TestPassPatternTiming(t *testing.T) {
	r := newRig(t, Config{})
	r.d.Show(door.Decision{Outcome: door.Pass, Reason: door.ReasonPass, Name: "王*英"})
	r.waitTimer()
	r.advance(80 * time.Millisecond)
	r.clock.Advance(920 * time.Millisecond)
	r.expect(9, idleStart+`0s lights green=true red=false amber=false
0s buzzer true
0s screen 请通行 / Welcome / 王*英
80ms buzzer false
1s lights green=false red=false amber=false
1s screen 请出示身份码 / Show your card
`)
}

func TestAlreadyInTwoBeeps(t *testing.T) {
	r := newRig(t, Config{})
	r.d.Show(door.Decision{Outcome: door.AlreadyIn, Reason: door.ReasonAlreadyIn})
	r.waitTimer()
	for _, d := range []time.Duration{80, 80, 80} {
		r.advance(d * time.Millisecond)
	}
	r.clock.Advance(760 * time.Millisecond)
	r.expect(11, idleStart+`0s lights green=true red=false amber=false
0s buzzer true
0s screen 已签到 / Already in
80ms buzzer false
160ms buzzer true
240ms buzzer false
1s lights green=false red=false amber=false
1s screen 请出示身份码 / Show your card
`)
}

func TestNewerDecisionPreempts(t *testing.T) {
	r := newRig(t, Config{Patterns: map[door.Outcome]Pattern{door.Fail: FailLongBuzz}})
	r.d.Show(door.Decision{Outcome: door.Pass})
	r.waitTimer()
	r.advance(80 * time.Millisecond)
	r.clock.Advance(420 * time.Millisecond) // 500 ms into a 1 s pattern
	r.d.Show(door.Decision{Outcome: door.Fail, Reason: door.ReasonRevoked})
	r.rec.WaitEvents(10, 5*time.Second)
	r.waitTimer()
	r.advance(800 * time.Millisecond)
	r.clock.Advance(1200 * time.Millisecond)
	r.expect(13, idleStart+`0s lights green=true red=false amber=false
0s buzzer true
0s screen 请通行 / Welcome
80ms buzzer false
500ms lights green=false red=true amber=false
500ms buzzer true
500ms screen 无效码 / Invalid / 已注销 / Revoked
1.3s buzzer false
2.5s lights green=false red=false amber=false
2.5s screen 请出示身份码 / Show your card
`)
}

// blockingScreen holds the display goroutine inside ShowText until released.
type blockingScreen struct {
	entered chan string
	release chan struct{}
}

func (b *blockingScreen) ShowText(_ color.Color, lines []string) error {
	b.entered <- lines[0]
	<-b.release
	return nil
}

func TestShowNeverBlocksAndNewestWins(t *testing.T) {
	clk := clock.NewFake(t0)
	bs := &blockingScreen{entered: make(chan string, 10), release: make(chan struct{})}
	d, err := New(Config{Clock: clk}, bs)
	if err != nil {
		t.Fatal(err)
	}
	if got := <-bs.entered; got != "请出示身份码" {
		t.Fatalf("first screen %q", got)
	}
	// The display goroutine is stuck in a slow screen; Show must still return.
	done := make(chan struct{})
	go func() {
		d.Show(door.Decision{Outcome: door.Pass})
		d.Show(door.Decision{Outcome: door.AlreadyIn})
		d.Show(door.Decision{Outcome: door.Fail, Reason: door.ReasonExpired})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Show blocked behind a slow output")
	}
	bs.release <- struct{}{}
	if got := <-bs.entered; got != "无效码" {
		t.Errorf("after release the display showed %q, want the newest decision (无效码)", got)
	}
	close(bs.release)
	d.Close()
}

func TestFaultBlinksThenIdles(t *testing.T) {
	r := newRig(t, Config{})
	r.d.Show(door.Decision{Outcome: door.Fault, Reason: door.ReasonTrustStale})
	r.waitTimer()
	for range 19 {
		r.advance(500 * time.Millisecond)
	}
	r.clock.Advance(500 * time.Millisecond)
	ev := r.rec.WaitEvents(3+1+4*10+1, 5*time.Second)
	var amberOn int
	for _, e := range ev {
		if e.Kind == "lights" && e.Amber {
			amberOn++
		}
		if e.Kind == "lights" && e.Red {
			t.Errorf("a device fault lit the bad card's red: %v", e)
		}
	}
	if amberOn != 10 {
		t.Errorf("amber switched on %d times, want 10:\n%s", amberOn, r.log(ev))
	}
	if s := ev[5]; s.Kind != "screen" || strings.Join(s.Lines, "|") != "设备需维护 请找工作人员|Device needs attention, see staff|信任数据过期|Trust data out of date" {
		t.Errorf("fault screen %v", s)
	}
	last := ev[len(ev)-1]
	if last.Kind != "screen" || last.Lines[0] != "请出示身份码" || last.At.Sub(t0) != 10*time.Second {
		t.Errorf("last event %v at %v, want idle screen at 10s", last, last.At.Sub(t0))
	}
}

// The idle state follows the device: a refusing device shows amber and
// says so; the change is drawn at once when idle, after the pattern
// otherwise, and setting the same state again draws nothing.
func TestSetIdle(t *testing.T) {
	r := newRig(t, Config{})
	r.d.SetIdle(Idle{Message: RefusingMessage(door.ReasonTrustStale), Amber: true})
	r.expect(5, idleStart+`0s lights green=false red=false amber=true
0s screen 设备需维护 请找工作人员 / Device needs attention, see staff / 信任数据过期 / Trust data out of date
`)
	r.d.SetIdle(Idle{Message: RefusingMessage(door.ReasonTrustStale), Amber: true})
	r.d.Show(door.Decision{Outcome: door.Pass})
	r.waitTimer()
	r.d.SetIdle(Idle{Message: IdleMessage()}) // during the pattern
	r.advance(80 * time.Millisecond)
	r.clock.Advance(920 * time.Millisecond)
	r.expect(11, idleStart+`0s lights green=false red=false amber=true
0s screen 设备需维护 请找工作人员 / Device needs attention, see staff / 信任数据过期 / Trust data out of date
0s lights green=true red=false amber=false
0s buzzer true
0s screen 请通行 / Welcome
80ms buzzer false
1s lights green=false red=false amber=false
1s screen 请出示身份码 / Show your card
`)
	if ev := r.rec.WaitEvents(12, 200*time.Millisecond); len(ev) != 11 {
		t.Errorf("extra events:\n%s", r.log(ev[11:]))
	}
}

func TestNoticeThenIdle(t *testing.T) {
	r := newRig(t, Config{})
	r.d.Notice(RenewedMessage(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)), 10*time.Second)
	r.waitTimer()
	r.clock.Advance(10 * time.Second)
	r.expect(5, idleStart+`0s screen 信任数据已更新 / Trust data renewed / 有效至 2027-02-01 / Valid until 2027-02-01
10s screen 请出示身份码 / Show your card
`)
}

func TestRepeatPlaysTheLastDecisionAgain(t *testing.T) {
	r := newRig(t, Config{})
	if r.d.Repeat() {
		t.Fatal("Repeat with nothing shown yet")
	}
	r.d.Show(door.Decision{Outcome: door.Fail, Reason: door.ReasonExpired})
	r.waitTimer()
	r.d.Repeat() // cuts the first play short and starts over
	r.rec.WaitEvents(7, 5*time.Second)
	r.waitTimer()
	ev := r.rec.Events()
	var screens []string
	for _, e := range ev {
		if e.Kind == "screen" {
			screens = append(screens, strings.Join(e.Lines, "|"))
		}
	}
	if len(screens) != 3 || screens[1] != "无效码|Invalid|已过期|Expired" || screens[2] != screens[1] {
		t.Errorf("screens %q", screens)
	}
}

func TestCloseSwitchesOff(t *testing.T) {
	r := newRig(t, Config{})
	r.d.Show(door.Decision{Outcome: door.Fail, Reason: door.ReasonMalformed})
	r.waitTimer()
	if err := r.d.Close(); err != nil {
		t.Fatal(err)
	}
	ev := r.rec.Events()
	if n := len(ev); n != 8 || ev[n-2].String() != "lights green=false red=false amber=false" || ev[n-1].String() != "buzzer false" {
		t.Errorf("after Close:\n%s", r.log(ev))
	}
	r.d.Show(door.Decision{Outcome: door.Pass}) // must not block or panic
}

func TestNewRejectsUselessOutput(t *testing.T) {
	if _, err := New(Config{}, struct{}{}); err == nil {
		t.Error("New accepted an output that is neither Lights, Buzzer nor Screen")
	}
	if _, err := New(Config{Patterns: map[door.Outcome]Pattern{door.Pass: {}}}); err == nil {
		t.Error("New accepted an empty pattern")
	}
}

func TestEveryReasonHasText(t *testing.T) {
	for _, r := range door.Reasons() {
		zh, en := ReasonText(r)
		if zh == "" || en == "" || en == string(r) {
			t.Errorf("reason %q has no text (%q, %q)", r, zh, en)
		}
	}
	if zh, en := ReasonText("brand_new"); zh != "" || en != "brand_new" {
		t.Errorf("unknown reason shown as %q %q", zh, en)
	}
}

func TestMessageFor(t *testing.T) {
	for _, tc := range []struct {
		dec  door.Decision
		want string
		bg   color.Color
	}{
		{door.Decision{Outcome: door.Pass, Name: "王*英"}, "请通行|Welcome|王*英", ColorPass},
		{door.Decision{Outcome: door.AlreadyIn}, "已签到|Already in", ColorPass},
		{door.Decision{Outcome: door.Fail, Reason: door.ReasonExpired, Name: "王*英"}, "无效码|Invalid|已过期|Expired", ColorFail},
		{door.Decision{Outcome: door.Fault}, "设备需维护 请找工作人员|Device needs attention, see staff", ColorFault},
		{door.Decision{Outcome: door.Fault, Reason: door.ReasonClock}, "设备需维护 请找工作人员|Device needs attention, see staff|时间未校准|Clock not set", ColorFault},
		{door.Decision{Outcome: door.Exit, Reason: door.ReasonExit, Name: "王*英"}, "再见|Goodbye|王*英", ColorExit},
		{door.Decision{Outcome: door.Exit, Reason: door.ReasonAlreadyOut}, "再见|Goodbye", ColorExit},
		{door.Decision{Outcome: door.Exit, Reason: door.ReasonRevoked, Name: "王*英"}, "再见|Goodbye|王*英|已注销|Revoked", ColorExit},
		{door.Decision{Outcome: door.Full, Reason: door.ReasonVenueFull, Name: "王*英"}, "场所已满 请稍候|Venue full, please wait", ColorFull},
	} {
		m := MessageFor(tc.dec)
		if got := strings.Join(m.Lines, "|"); got != tc.want || m.Background != tc.bg {
			t.Errorf("%v: %q on %v, want %q on %v", tc.dec.Outcome, got, m.Background, tc.want, tc.bg)
		}
	}
}

func TestTerminal(t *testing.T) {
	var (
		mu sync.Mutex
		b  strings.Builder
	)
	clk := clock.NewFake(t0)
	term := NewTerminal(&lockedWriter{&mu, &b}).WithClock(clk)
	term.Color = false
	term.SetLights(true, false, false)
	term.SetBuzzer(true)
	term.ShowText(ColorPass, []string{"请通行", "Welcome"})
	term.SetBuzzer(false)
	want := `09:00:00.000 LED    ● green  ○ red  ○ amber
09:00:00.000 BUZZER ♪♪♪
09:00:00.000 SCREEN ┃ 请通行 │ Welcome ┃
09:00:00.000 BUZZER ·
`
	if b.String() != want {
		t.Errorf("terminal:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	term.Color = true
	term.SetLights(false, true, false)
	if got := b.String(); !strings.Contains(got, "\x1b[31m●\x1b[0m red") || strings.Contains(got, "\x1b[") && strings.Contains(got, "\x1b[H") {
		t.Errorf("coloured red dot missing or cursor movement: %q", got)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// BenchmarkShow measures what the gate pays per decision: Show only queues.
func BenchmarkShow(b *testing.B) {
	clk := clock.NewFake(t0)
	d, err := New(Config{Clock: clk}, NewRecorder(clk))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	dec := door.Decision{Outcome: door.Pass, Name: "王*英"}
	for b.Loop() {
		d.Show(dec)
	}
}

// Every outcome the gate decides has its own pattern: none falls back to
// the device fault's, and no two look and sound the same.
func TestEveryDecidedOutcomeHasItsPattern(t *testing.T) {
	ps := DefaultPatterns()
	seen := map[string]door.Outcome{}
	for _, o := range []door.Outcome{door.Pass, door.AlreadyIn, door.Fail, door.Fault, door.Exit, door.Full} {
		p, ok := ps[o]
		if !ok || len(p.Steps) == 0 {
			t.Errorf("%v has no pattern", o)
			continue
		}
		if prev, dup := seen[p.String()]; dup {
			t.Errorf("%v and %v share the pattern %s", prev, o, p)
		}
		seen[p.String()] = o
	}
	for _, s := range FullPattern.Steps {
		if s.Red || s.Green {
			t.Errorf("full venue lights red or green: %s", FullPattern)
		}
	}
}
