// Package schedule runs jobs on cron schedules: each job fires at the next
// time its expression names plus a random jitter, never overlaps itself (a
// firing while the previous run is still going is skipped and counted), and
// runs under a deadline of its own. The clock is injected so schedules can be
// tested without waiting.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// Clock is the time source of a Scheduler.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns the current time.
func (RealClock) Now() time.Time { return time.Now() }

// After waits for d on the wall clock.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// parser accepts standard 5-field expressions and descriptors such as
// @hourly and @every 30m.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse checks a cron expression. "@every d" schedules are aligned to
// multiples of d since the zero time (not to when the process started), so
// every process with the same schedule names the same slots.
func Parse(spec string) (cron.Schedule, error) {
	s, err := parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("parsing schedule %q: %w", spec, err)
	}
	if every, ok := s.(cron.ConstantDelaySchedule); ok {
		return alignedEvery{every.Delay}, nil
	}
	return s, nil
}

// alignedEvery fires at every multiple of d.
type alignedEvery struct{ d time.Duration }

// Next returns the first multiple of d after t.
func (a alignedEvery) Next(t time.Time) time.Time { return t.Truncate(a.d).Add(a.d) }

// Job is one scheduled piece of work.
type Job struct {
	Name string
	Spec string // cron expression, e.g. "*/30 * * * *" or "@every 2h"
	// Jitter is the most a firing is delayed at random, so that many
	// collectors do not hit Tor and the sites at the same instant.
	Jitter time.Duration
	// Timeout bounds one run; 0 means none.
	Timeout time.Duration
	// Run does the work; ctx ends at the timeout or at shutdown. slot is
	// the time the schedule named for this firing, before jitter: every
	// process with the same schedule sees the same slot, so it can name the
	// firing (e.g. to deduplicate work shared through a queue).
	Run func(ctx context.Context, slot time.Time) error
}

// Status is what a scheduler knows about one job.
type Status struct {
	Name      string
	Spec      string
	Next      time.Time
	Running   bool
	Runs      int
	Skipped   int // firings dropped because the previous run was still going
	LastStart time.Time
	LastEnd   time.Time
	LastErr   string
}

type entry struct {
	job   Job
	sched cron.Schedule
	slot  time.Time // next firing as scheduled
	next  time.Time // slot plus jitter: when it fires
	st    Status
}

// Scheduler fires jobs on their schedules.
type Scheduler struct {
	clock Clock
	log   zerolog.Logger
	rnd   *rand.Rand

	mu      sync.Mutex
	entries []*entry
	wg      sync.WaitGroup
	wake    chan struct{} // jobs were added or removed: recompute the next firing
}

// New returns a scheduler on clock; seed makes the jitter reproducible.
func New(clock Clock, seed uint64, log zerolog.Logger) *Scheduler {
	return &Scheduler{clock: clock, log: log, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		wake: make(chan struct{}, 1)}
}

// Add registers a job. Adding two jobs with one name is an error.
func (s *Scheduler) Add(j Job) error {
	if j.Name == "" || j.Run == nil {
		return errors.New("adding job: name and run are required")
	}
	sched, err := Parse(j.Spec)
	if err != nil {
		return fmt.Errorf("adding job %s: %w", j.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.job.Name == j.Name {
			return fmt.Errorf("adding job %s: a job of that name exists", j.Name)
		}
	}
	e := &entry{job: j, sched: sched, st: Status{Name: j.Name, Spec: j.Spec}}
	s.plan(e, s.clock.Now())
	s.entries = append(s.entries, e)
	s.poke()
	return nil
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Remove unregisters the job called name; a run in progress finishes.
// It reports whether there was such a job.
func (s *Scheduler) Remove(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.entries {
		if e.job.Name == name {
			s.entries = append(s.entries[:i], s.entries[i+1:]...)
			s.poke()
			return true
		}
	}
	return false
}

// Has reports whether a job called name is registered.
func (s *Scheduler) Has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.job.Name == name {
			return true
		}
	}
	return false
}

// plan sets the entry's next slot after a given time, and its firing time
// with jitter.
func (s *Scheduler) plan(e *entry, after time.Time) {
	e.slot = e.sched.Next(after)
	e.next = e.slot
	if e.job.Jitter > 0 {
		e.next = e.slot.Add(time.Duration(s.rnd.Int64N(int64(e.job.Jitter))))
	}
	e.st.Next = e.next
}

// Run fires jobs until ctx ends, then waits for running jobs to finish,
// at most grace (their contexts are cancelled when ctx ends).
func (s *Scheduler) Run(ctx context.Context, grace time.Duration) error {
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	select { // jobs added before Run are seen by the first pass
	case <-s.wake:
	default:
	}
	for {
		s.mu.Lock()
		var earliest time.Time
		for _, e := range s.entries {
			if earliest.IsZero() || e.next.Before(earliest) {
				earliest = e.next
			}
		}
		s.mu.Unlock()
		if earliest.IsZero() {
			select {
			case <-ctx.Done():
				return s.drain(cancelRuns, grace)
			case <-s.wake:
				continue
			}
		}
		wait := earliest.Sub(s.clock.Now())
		if wait > 0 {
			select {
			case <-ctx.Done():
				return s.drain(cancelRuns, grace)
			case <-s.wake:
				continue
			case <-s.clock.After(wait):
			}
		}
		s.fireDue(runCtx)
	}
}

// fireDue starts every job whose time has come.
func (s *Scheduler) fireDue(ctx context.Context) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.next.After(now) {
			continue
		}
		slot := e.slot
		s.plan(e, maxTime(now, slot))
		if e.st.Running {
			e.st.Skipped++
			s.log.Warn().Str("job", e.job.Name).Msg("previous run still going; firing skipped")
			continue
		}
		e.st.Running = true
		e.st.Runs++
		e.st.LastStart = now
		s.wg.Add(1)
		go s.runJob(ctx, e, slot)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (s *Scheduler) runJob(ctx context.Context, e *entry, slot time.Time) {
	defer s.wg.Done()
	jctx := ctx
	if e.job.Timeout > 0 {
		var cancel context.CancelFunc
		jctx, cancel = context.WithTimeout(ctx, e.job.Timeout)
		defer cancel()
	}
	err := e.job.Run(jctx, slot)
	s.mu.Lock()
	e.st.Running = false
	e.st.LastEnd = s.clock.Now()
	e.st.LastErr = ""
	if err != nil {
		e.st.LastErr = err.Error()
	}
	s.mu.Unlock()
	if err != nil {
		s.log.Error().Err(err).Str("job", e.job.Name).Msg("scheduled run failed")
	}
}

func (s *Scheduler) drain(cancel context.CancelFunc, grace time.Duration) error {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(grace):
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-time.After(grace):
		return fmt.Errorf("stopping scheduler: runs still going %s after cancel", grace)
	}
}

// Status reports every job, sorted by name.
func (s *Scheduler) Status() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e.st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
