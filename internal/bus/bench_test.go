package bus_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/loadtest"
	"github.com/counternet/counternet/internal/testenv"
)

// BenchmarkPublish publishes 100k events of 900 bytes through the
// collector's Publisher (dedup ids, every ack awaited, failures reported)
// and, as the baseline in the same run, the same messages with a raw
// JetStream async publish (no ids, nothing checked but that every ack came:
// PublishAsyncComplete), each into a fresh stream. It reports both rates and their ratio.
func BenchmarkPublish(b *testing.B) {
	const n, window = 100_000, 1024
	c := connect(b, testenv.NATS(b))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	pad := strings.Repeat("x", 860)
	msgs := make([]bus.Message, n)
	for i := range msgs {
		msgs[i] = bus.Message{Subject: "intel.v1.listing.bench", ID: fmt.Sprintf("evt-%08d", i),
			Data: []byte(fmt.Sprintf(`{"n":%d,"pad":%q}`, i, pad))}
	}
	purge := func() { purgeStream(ctx, b, c) }
	var pubSecs, rawSecs float64
	for b.Loop() {
		purge()
		start := time.Now()
		if err := c.Publisher(window, 3, time.Minute).Publish(ctx, msgs); err != nil {
			b.Fatal(err)
		}
		pubSecs += time.Since(start).Seconds()

		purge()
		start = time.Now()
		for _, m := range msgs {
			if _, err := c.JS.PublishAsync(m.Subject, m.Data, jetstream.WithStallWait(time.Minute)); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-c.JS.PublishAsyncComplete():
		case <-ctx.Done():
			b.Fatal(ctx.Err())
		}
		rawSecs += time.Since(start).Seconds()
	}
	rounds := float64(b.N)
	b.ReportMetric(n*rounds/pubSecs, "events/s")
	b.ReportMetric(n*rounds/rawSecs, "raw_msgs/s")
	b.ReportMetric(rawSecs/pubSecs, "ratio")
}

// BenchmarkPublishEnvelopes is the collector's publish rate: 100k listing
// events (about 1.2 KB each) published as collectors publish them, the
// events of a 50-listing page in one envelope, through the collector's
// Publisher (envelope id as Nats-Msg-Id, every ack awaited), and, in the
// same run, the same events one message each as before envelopes. It
// reports events/s of both and their ratio (envelopes over single).
func BenchmarkPublishEnvelopes(b *testing.B) {
	const n, per, window = 100_000, 50, 1024
	c := connect(b, testenv.NATS(b))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ls := loadtest.Listings(n, 5)
	single, err := loadtest.Messages(ls)
	if err != nil {
		b.Fatal(err)
	}
	bySource := map[string][]event.Encoded{}
	for _, m := range single {
		s := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
		bySource[s] = append(bySource[s], event.Encoded{ID: m.ID, Data: m.Data})
	}
	var envs []bus.Message
	for s, evs := range bySource {
		for start := 0; start < len(evs); start += per {
			packed, err := event.Pack(s, "", s+"@3", evs[start:min(start+per, len(evs))])
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range packed {
				envs = append(envs, bus.Message{Subject: e.Subject, ID: e.Header.EnvelopeID, Data: e.Data})
			}
		}
	}
	purge := func() { purgeStream(ctx, b, c) }
	var envSecs, singleSecs float64
	for b.Loop() {
		purge()
		start := time.Now()
		if err := c.Publisher(window, 3, time.Minute).Publish(ctx, envs); err != nil {
			b.Fatal(err)
		}
		envSecs += time.Since(start).Seconds()

		purge()
		start = time.Now()
		if err := c.Publisher(window, 3, time.Minute).Publish(ctx, single); err != nil {
			b.Fatal(err)
		}
		singleSecs += time.Since(start).Seconds()
	}
	rounds := float64(b.N)
	b.ReportMetric(n*rounds/envSecs, "events/s")
	b.ReportMetric(float64(len(envs))*rounds/envSecs, "envelopes/s")
	b.ReportMetric(n*rounds/singleSecs, "single_events/s")
	b.ReportMetric(singleSecs/envSecs, "ratio_to_single")
}

// purgeStream empties the event stream between benchmark rounds.
func purgeStream(ctx context.Context, b *testing.B, c *bus.Conn) {
	b.Helper()
	st, err := c.JS.Stream(ctx, "INTEL")
	if err == nil {
		err = st.Purge(ctx)
	}
	if err != nil {
		b.Fatal(err)
	}
}
