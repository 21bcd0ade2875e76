package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/testenv"
)

// TestDeadLettersCommand lists and shows a dead letter stored the way the
// loader stores one.
func TestDeadLettersCommand(t *testing.T) {
	url := testenv.NATS(t)
	t.Setenv("COUNTERNET_NATS_URL", url)
	t.Setenv("COUNTERNET_DATA_DIR", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := bus.Connect(ctx, bus.Options{URL: url, Stream: "INTEL"}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dl := bus.Message{Subject: bus.DeadLetterPrefix + ".intel.v1.listing.m", ID: "dead-INTEL-7",
		Data: []byte(`{"schema":"counternet.listing.v2","event_id":"e1"}`),
		Header: map[string]string{bus.HeaderReason: `unknown schema "counternet.listing.v2"`, bus.HeaderSubject: "intel.v1.listing.m",
			load.HeaderStream: "INTEL", load.HeaderStreamSeq: "7", load.HeaderReceived: "2026-11-01T10:00:00Z", load.HeaderBytes: "51"}}
	if err := c.Publisher(8, 1, 10*time.Second).Publish(ctx, []bus.Message{dl}); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	if err := runDeadLetters(ctx, nil, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"intel.v1.listing.m", `unknown schema "counternet.listing.v2"`, "2026-11-01 10:00:00", "1 dead letters shown"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := runDeadLetters(ctx, []string{"--show", "1"}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"INTEL sequence 7", "event_id:    e1", string(dl.Data)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show output lacks %q:\n%s", want, out.String())
		}
	}
	if err := runDeadLetters(ctx, []string{"--show", "2"}, &out, &errOut); err == nil {
		t.Error("--show of a sequence that holds nothing succeeded")
	}
}
