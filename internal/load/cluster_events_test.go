package load_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/loadtest"
)

// clusterEvents are the events of the cluster test: listings shaped like a
// market's (loadtest.Listings) with a crypto address shared by a few
// vendors, the profiles of some of those vendors (PGP keys, some shared),
// forum threads and posts mentioning them, crawl runs and their captures.
// Each is published twice (a collector's retry after the duplicate window), so that the loaded tables
// hold duplicates that must collapse.
type clusterEvents struct {
	msgs   []bus.Message
	counts map[string]int // distinct events by type
}

func makeClusterEvents(t *testing.T, listings int, seed uint64) clusterEvents {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 99))
	ev := clusterEvents{counts: map[string]int{}}
	var again []bus.Message
	add := func(typ, source, id string, v any) {
		m, err := bus.Encode(event.Subject(typ, source), id, v)
		if err != nil {
			t.Fatal(err)
		}
		ev.msgs = append(ev.msgs, m)
		ev.counts[typ]++
		// The copy has another message id (published after JetStream's
		// duplicate window), so it reaches the loader.
		if m, err = bus.Encode(event.Subject(typ, source), id+"-again", v); err != nil {
			t.Fatal(err)
		}
		again = append(again, m)
	}
	addr := func(k int) string { return fmt.Sprintf("bc1q%038d", k) }
	fpr := func(k int) string { return fmt.Sprintf("%040X", 0xC0FFEE0000+k) }
	ls := loadtest.Listings(listings, seed)
	type vend struct{ source, handle string }
	seen := map[vend]bool{}
	var vendors []vend
	for i := range ls {
		l := &ls[i]
		k, _ := strconv.Atoi(l.Vendor[len("vendor"):])
		l.Crypto = []event.CryptoAddress{{Chain: "btc", Address: addr(k % 400)}}
		l.Finalize()
		add(event.TypeListing, l.Source, l.EventID, l)
		if v := (vend{l.Source, l.Vendor}); !seen[v] {
			seen[v] = true
			vendors = append(vendors, v)
		}
	}
	for i, v := range vendors {
		if i%3 != 0 {
			continue
		}
		for week := range 2 {
			p := event.Vendor{
				Provenance: event.Provenance{Source: v.source, Mirror: v.source + "xyz.onion",
					URL:           "http://" + v.source + "xyz.onion/vendor/" + v.handle,
					ObservedAt:    loadtest.Base.Add(time.Duration(week*7*24+i%24) * time.Hour),
					CaptureSHA256: fmt.Sprintf("%064x", r.Uint64()), Pipeline: v.source + "@3", RunID: "run-" + v.source + "-v"},
				Handle: v.handle, PGPFingerprints: []string{fpr(i % 500)}, ShipsFrom: "NL",
				Rating: float64(r.IntN(50)) / 10, Sales: int64(r.IntN(5000)),
				Crypto: []event.CryptoAddress{{Chain: "btc", Address: addr(i % 700)}},
			}
			p.Finalize()
			add(event.TypeVendor, p.Source, p.EventID, &p)
		}
	}
	for i := range 300 {
		forum := []string{"dread", "thehub"}[i%2]
		at := loadtest.Base.Add(time.Duration(i) * time.Minute)
		v := vendors[r.IntN(len(vendors))]
		thread := "t" + strconv.Itoa(i%40)
		p := event.Post{
			Provenance: event.Provenance{Source: forum, Mirror: forum + ".onion", URL: "http://" + forum + ".onion/t/" + thread,
				ObservedAt: at, CaptureSHA256: fmt.Sprintf("%064x", r.Uint64()), Pipeline: forum + "@1", RunID: "run-" + forum},
			ThreadID: thread, ThreadTitle: "Review of " + v.handle, PostID: "p" + strconv.Itoa(i), Author: "user" + strconv.Itoa(r.IntN(60)),
			PostedAt: at.Add(-time.Hour), PostedRaw: at.Add(-time.Hour).Format(time.RFC1123), Board: "Market > Reviews",
			Body: v.handle + " on " + v.source + " delivered, paid to " + addr(i%400),
			Mentions: event.Mentions{Markets: []string{v.source}, Vendors: []string{v.handle}, PGP: []string{fpr(i % 500)},
				Crypto: []event.CryptoAddress{{Chain: "btc", Address: addr(i % 400)}}},
		}
		p.Finalize()
		add(event.TypePost, p.Source, p.EventID, &p)
	}
	for i := range 40 {
		forum := []string{"dread", "thehub"}[i%2]
		replies := int64(r.IntN(200))
		th := event.Thread{
			Provenance: event.Provenance{Source: forum, Mirror: forum + ".onion", URL: "http://" + forum + ".onion/t/t" + strconv.Itoa(i),
				ObservedAt: loadtest.Base.Add(time.Duration(i) * time.Hour), CaptureSHA256: fmt.Sprintf("%064x", r.Uint64()),
				Pipeline: forum + "@1", RunID: "run-" + forum},
			ThreadID: "t" + strconv.Itoa(i), Title: "thread " + strconv.Itoa(i), Board: "Market > Reviews", Replies: &replies,
		}
		th.Finalize()
		add(event.TypeThread, th.Source, th.EventID, &th)
	}
	for _, m := range []string{"alphabay", "abacus", "archetyp", "bohemia", "nexus", "kerberos"} {
		for day := range 6 {
			start := loadtest.Base.Add(time.Duration(day*24) * time.Hour)
			outcome := []string{"ok", "ok", "partial", "ok", "failed", "ok"}[day]
			run := event.Run{RunID: fmt.Sprintf("run-%s-%d", m, day), Source: m, Pipeline: m + "@3", StartedAt: start,
				FinishedAt: start.Add(20 * time.Minute), Outcome: outcome, Pages: 100 + day, Failed: day, Listings: 90, Vendors: 10,
				PagesOK: 100, Records: 100, Events: 100, DurationMS: 1_200_000, Mirror: m + "xyz.onion"}
			run.Finalize()
			add(event.TypeRun, run.Source, run.EventID, &run)
			for p := range 3 {
				c := event.Capture{Source: m, URL: fmt.Sprintf("http://%sxyz.onion/listing/%d", m, p), FetchedAt: start.Add(time.Duration(p) * time.Minute),
					Status: 200, Outcome: "ok", Bytes: 20_000, SHA256: fmt.Sprintf("%064x", r.Uint64()), Type: "text/html", PageKind: "listing",
					Records: 1, RunID: run.RunID, DurationMS: 900, Mirror: m + "xyz.onion", Class: "ok"}
				c.Finalize()
				add(event.TypeCapture, c.Source, c.EventID, &c)
			}
		}
	}
	// Every event twice, the second copies after all the first ones.
	ev.msgs = append(ev.msgs, again...)
	return ev
}
