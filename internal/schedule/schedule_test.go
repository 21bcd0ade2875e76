package schedule

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeClock moves only when the test advances it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	waiting chan struct{}
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock {
	return &fakeClock{now: t, waiting: make(chan struct{}, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	c.waiting <- struct{}{}
	return ch
}

// advanceTo waits until the scheduler sleeps, then moves the clock to t.
func (c *fakeClock) advanceTo(tb testing.TB, t time.Time) {
	tb.Helper()
	select {
	case <-c.waiting:
	case <-time.After(10 * time.Second):
		tb.Fatal("scheduler never went to sleep")
	}
	c.mu.Lock()
	c.now = t
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
	c.mu.Unlock()
}

var t0 = time.Date(2026, 11, 24, 0, 0, 30, 0, time.UTC)

func TestFiresAsConfigured(t *testing.T) {
	clock := newFakeClock(t0)
	s := New(clock, 1, zerolog.Nop())
	fired := make(chan time.Time, 10)
	if err := s.Add(Job{Name: "nebula", Spec: "*/10 * * * *", Run: func(context.Context, time.Time) error {
		fired <- clock.Now()
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx, time.Second) }()
	var got []string
	for _, at := range []time.Time{t0.Add(9*time.Minute + 30*time.Second), t0.Add(19*time.Minute + 30*time.Second), t0.Add(29*time.Minute + 30*time.Second)} {
		clock.advanceTo(t, at)
		got = append(got, (<-fired).Format("15:04"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "00:10 00:20 00:30" {
		t.Errorf("fired at %v, want 00:10 00:20 00:30", got)
	}
	if st := s.Status()[0]; st.Runs != 3 || st.Skipped != 0 || !st.Next.Equal(t0.Add(39*time.Minute+30*time.Second)) {
		t.Errorf("status %+v", st)
	}
}

func TestNoOverlap(t *testing.T) {
	clock := newFakeClock(t0)
	s := New(clock, 1, zerolog.Nop())
	started, release := make(chan struct{}, 10), make(chan struct{})
	_ = s.Add(Job{Name: "slow", Spec: "@every 1m", Run: func(context.Context, time.Time) error {
		started <- struct{}{}
		<-release
		return nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx, 5*time.Second) }()
	clock.advanceTo(t, t0.Add(time.Minute))
	<-started
	clock.advanceTo(t, t0.Add(2*time.Minute)) // fires while the first run is still going
	clock.advanceTo(t, t0.Add(3*time.Minute))
	<-clock.waiting // the 3m firing is handled once the scheduler sleeps again
	close(release)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := s.Status()[0]
	if st.Runs != 1 || st.Skipped != 2 {
		t.Errorf("runs %d skipped %d, want 1 run and 2 skipped firings", st.Runs, st.Skipped)
	}
	if len(started) != 0 {
		t.Errorf("%d overlapping runs started", len(started))
	}
}

func TestRunDeadlineAndErrors(t *testing.T) {
	clock := newFakeClock(t0)
	s := New(clock, 1, zerolog.Nop())
	finished := make(chan error, 1)
	_ = s.Add(Job{Name: "stuck", Spec: "@every 1m", Timeout: 20 * time.Millisecond, Run: func(ctx context.Context, _ time.Time) error {
		<-ctx.Done()
		finished <- ctx.Err()
		return ctx.Err()
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx, time.Second) }()
	clock.advanceTo(t, t0.Add(time.Minute))
	if err := <-finished; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("job ctx ended with %v, want its deadline", err)
	}
	cancel()
	<-done
	if st := s.Status()[0]; !strings.Contains(st.LastErr, "deadline") || st.Running {
		t.Errorf("status %+v", st)
	}
}

func TestJitterAndValidation(t *testing.T) {
	clock := newFakeClock(t0)
	s := New(clock, 7, zerolog.Nop())
	if err := s.Add(Job{Name: "j", Spec: "0 * * * *", Jitter: 5 * time.Minute, Run: func(context.Context, time.Time) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	next := s.Status()[0].Next
	base := time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC)
	if next.Before(base) || !next.Before(base.Add(5*time.Minute)) {
		t.Errorf("next %s outside [%s, +5m)", next, base)
	}
	for _, bad := range []Job{
		{Name: "x", Spec: "61 * * * *", Run: func(context.Context, time.Time) error { return nil }},
		{Name: "", Spec: "@hourly", Run: func(context.Context, time.Time) error { return nil }},
		{Name: "j", Spec: "@hourly", Run: func(context.Context, time.Time) error { return nil }},
	} {
		if err := s.Add(bad); err == nil {
			t.Errorf("Add(%+v) accepted", bad.Spec)
		}
	}
}
