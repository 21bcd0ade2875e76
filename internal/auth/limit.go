package auth

import (
	"sync"
	"time"
)

// Limiter limits failed sign-ins per user name and per client address: a
// key with Max failures within Window is refused until the oldest of them
// is older than Window. A success clears the user's failures (not the
// address's: one address guessing many users stays limited).
type Limiter struct {
	MaxPerUser, MaxPerAddr int
	Window                 time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu    sync.Mutex
	fails map[string][]time.Time
}

// maxKeys bounds the keys a limiter tracks; past it the stalest go.
const maxKeys = 50000

// NewLimiter makes a limiter.
func NewLimiter(perUser, perAddr int, window time.Duration) *Limiter {
	return &Limiter{MaxPerUser: perUser, MaxPerAddr: perAddr, Window: window, fails: map[string][]time.Time{}}
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// recent trims k's failures to the window and returns them. l.mu is held.
func (l *Limiter) recent(k string, now time.Time) []time.Time {
	ts := l.fails[k]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.Window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, k)
	} else {
		l.fails[k] = ts
	}
	return ts
}

// Allow reports whether a sign-in of user from addr may be tried now, and
// if not, how long until it may.
func (l *Limiter) Allow(user, addr string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, c := range []struct {
		k   string
		max int
	}{{"u:" + user, l.MaxPerUser}, {"a:" + addr, l.MaxPerAddr}} {
		ts := l.recent(c.k, now)
		if c.max > 0 && len(ts) >= c.max {
			wait = max(wait, l.Window-now.Sub(ts[len(ts)-c.max]))
		}
	}
	return wait == 0, wait
}

// Fail records a failed sign-in.
func (l *Limiter) Fail(user, addr string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) >= maxKeys {
		for k := range l.fails {
			l.recent(k, now)
		}
		for k := range l.fails { // still full: drop any, map order is random
			if len(l.fails) < maxKeys {
				break
			}
			delete(l.fails, k)
		}
	}
	for _, k := range []string{"u:" + user, "a:" + addr} {
		ts := append(l.fails[k], now)
		if len(ts) > 1000 {
			ts = ts[len(ts)-1000:]
		}
		l.fails[k] = ts
	}
}

// Succeed clears the user's failures.
func (l *Limiter) Succeed(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, "u:"+user)
}
