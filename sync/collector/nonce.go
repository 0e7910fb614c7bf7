package collector

import (
	"net/http"
	"sync"
	"time"

	"github.com/scangate/scangate/sync/wire"
)

// nonceCache remembers the nonces of signed requests until their timestamp
// falls out of the signature window, after which the window alone refuses
// a replay. It is per instance: see docs/collector.md for why a replay to
// another instance does no harm.
type nonceCache struct {
	mu        sync.Mutex
	seen      map[string]time.Time // nonce key → when it may be forgotten
	max       int
	lastSweep time.Time
}

func newNonceCache(max int) *nonceCache {
	return &nonceCache{seen: make(map[string]time.Time), max: max}
}

// add records key until expires; it refuses a key already held, and
// refuses (503) when the cache is full of unexpired nonces.
func (c *nonceCache) add(key string, expires, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if exp, ok := c.seen[key]; ok && now.Before(exp) {
		return wire.Errorf(http.StatusUnauthorized, wire.CodeUnauthorized, "replayed request nonce")
	}
	if len(c.seen) >= c.max || now.Sub(c.lastSweep) > time.Minute {
		for k, exp := range c.seen {
			if !now.Before(exp) {
				delete(c.seen, k)
			}
		}
		c.lastSweep = now
		if len(c.seen) >= c.max {
			return wire.Errorf(http.StatusServiceUnavailable, wire.CodeInternal, "replay cache full; retry later")
		}
	}
	c.seen[key] = expires
	return nil
}
