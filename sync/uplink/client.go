package uplink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/scangate/scangate/sync/wire"
)

// httpError is a non-success answer from the collector.
type httpError struct {
	status     int
	code       string
	message    string
	retryAfter time.Duration
}

func (e *httpError) Error() string {
	if e.code != "" {
		return fmt.Sprintf("uplink: collector answered %d %s: %s", e.status, e.code, e.message)
	}
	return fmt.Sprintf("uplink: collector answered %d", e.status)
}

// refusal reports whether retrying soon cannot help: the collector refuses
// this device or this request itself, not for lack of capacity.
func (e *httpError) refusal() bool {
	return e.status >= 400 && e.status < 500 && e.status != http.StatusRequestTimeout && e.status != http.StatusTooManyRequests
}

// refusedDevice reports whether the collector refuses the device as such.
func (e *httpError) refusedDevice() bool {
	return e.status == http.StatusUnauthorized || e.status == http.StatusForbidden
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, time.Hour)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), time.Hour)
	}
	return 0
}

// collectorNow is the device's estimate of the collector's clock: the
// local clock plus the offset learnt from the last answer.
func (u *Uplink) collectorNow() time.Time {
	u.mu.Lock()
	off := u.offset
	u.mu.Unlock()
	return u.opts.Clock.Now().Add(off)
}

// learnOffset updates the clock offset from an answer's server time
// header; sent and rtt are the local wall time at sending and the round
// trip. It returns how much the offset moved.
func (u *Uplink) learnOffset(h http.Header, sent time.Time, rtt time.Duration) time.Duration {
	st, err := time.Parse(time.RFC3339Nano, h.Get(wire.ServerTimeHeader))
	if err != nil {
		return 0
	}
	off := st.Sub(sent.Add(rtt / 2))
	u.mu.Lock()
	defer u.mu.Unlock()
	moved := off - u.offset
	u.offset, u.haveOffset = off, true
	return moved
}

// response is a read answer.
type response struct {
	status int
	header http.Header
	body   []byte
	rtt    time.Duration
}

// do sends one signed request and reads the answer (at most limit bytes).
// A 2xx or 304 answer returns a response; anything else an *httpError or a
// transport error. A request refused only because the device clock was
// far off is signed again with the learnt offset and sent once more.
func (u *Uplink) do(ctx context.Context, method, path string, body []byte, hdr http.Header, limit int64) (*response, error) {
	resp, err := u.doOnce(ctx, method, path, body, hdr, limit)
	var he *httpError
	if errors.As(err, &he) && he.status == http.StatusUnauthorized && resp != nil &&
		absDur(resp.moved) > wire.SignatureWindow/2 {
		u.log.Info("uplink: device clock far from the collector's; signing again with its time", "offset", u.offsetNow())
		resp, err = u.doOnce(ctx, method, path, body, hdr, limit)
	}
	if err != nil {
		return nil, err
	}
	return &resp.response, nil
}

func (u *Uplink) offsetNow() time.Duration {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.offset
}

type sent struct {
	response
	moved time.Duration
}

func (u *Uplink) doOnce(ctx context.Context, method, path string, body []byte, hdr http.Header, limit int64) (*sent, error) {
	ctx, cancel := context.WithTimeout(ctx, u.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.opts.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("uplink: %s %s: %w", method, path, err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := wire.SignRequest(req, u.ident(), u.key, body, u.collectorNow()); err != nil {
		return nil, err
	}
	start := time.Now()
	wall := u.opts.Clock.Now()
	hr, err := u.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("uplink: %s %s: %w", method, path, err)
	}
	defer hr.Body.Close()
	data, rerr := wire.ReadBody(hr.Body, limit, "answer")
	s := &sent{response: response{status: hr.StatusCode, header: hr.Header, body: data, rtt: time.Since(start)}}
	s.moved = u.learnOffset(hr.Header, wall, s.rtt)
	if hr.StatusCode/100 == 2 || hr.StatusCode == http.StatusNotModified {
		if rerr != nil {
			return nil, fmt.Errorf("uplink: %s %s: read answer: %w", method, path, rerr)
		}
		return s, nil
	}
	he := &httpError{status: hr.StatusCode, retryAfter: parseRetryAfter(hr.Header.Get("Retry-After"), u.opts.Clock.Now())}
	if rerr == nil {
		if we, err := wire.DecodeError(data); err == nil {
			he.code, he.message = we.Code, we.Message
		}
	}
	return s, he
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// retryPolicy turns failures into delays: exponential with jitter for
// transient ones, RefusedBackoff for refusals, never less than the
// collector's Retry-After.
type retryPolicy struct {
	bo      *backoff.ExponentialBackOff
	refused time.Duration
}

func (u *Uplink) newRetryPolicy() *retryPolicy {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = u.opts.MinBackoff
	bo.MaxInterval = u.opts.MaxBackoff
	bo.Multiplier = 2
	bo.RandomizationFactor = 0.5
	bo.Reset()
	return &retryPolicy{bo: bo, refused: u.opts.RefusedBackoff}
}

func (p *retryPolicy) reset() { p.bo.Reset() }

func (p *retryPolicy) next(err error) time.Duration {
	d := p.bo.NextBackOff()
	var he *httpError
	if errors.As(err, &he) {
		if he.refusal() {
			d = max(d, p.refused)
		}
		d = max(d, he.retryAfter)
	}
	return d
}
