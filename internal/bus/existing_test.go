package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/testenv"
)

// A reader connects without creating streams: on a server no collector or
// loader has used, the event stream stays absent.
func TestExistingCreatesNoStream(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: embedded nats-server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := "READONLY_" + time.Now().Format("150405.000000")
	name = name[:len("READONLY_150405")] + name[len("READONLY_150405")+1:]
	c, err := bus.Connect(ctx, bus.Options{URL: testenv.NATS(t), Name: "reader", Stream: name, Existing: true}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.JS.Stream(ctx, name); err == nil {
		t.Errorf("stream %s was created by a reader", name)
	}
}
