package bus_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/counternet/counternet/internal/bus"
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
	purge := func() {
		st, err := c.JS.Stream(ctx, "INTEL")
		if err == nil {
			err = st.Purge(ctx)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
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
