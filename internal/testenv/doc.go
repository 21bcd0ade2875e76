// Package testenv gives tests the real servers counternet runs on, shared by
// the tests of a test binary where that is cheaper: a managed
// clickhouse-server started on first use (ClickHouse, ClickHouseAddr) and an
// embedded NATS JetStream server (NATS), and a headless Chromium
// (NewBrowser) that records every request it makes. Tests that need an external program
// skip under -short when it is missing and fail otherwise, naming what to
// install.
//
// A package using it stops the servers at the end with
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// Without that, a managed clickhouse-server still dies with the test binary
// (parent-death signal on Linux) but its temporary directory is left behind.
package testenv

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"
)

// stopTimeout bounds how long Main waits for the servers to stop.
const stopTimeout = 30 * time.Second

var (
	stopMu sync.Mutex
	stops  []func(context.Context)
)

// atStop registers fn to run when Main stops the servers; functions run in
// reverse order of registration.
func atStop(fn func(context.Context)) {
	stopMu.Lock()
	defer stopMu.Unlock()
	stops = append(stops, fn)
}

// Main runs the package's tests, then stops every server testenv started and
// removes their temporary directories, then exits with the tests' code. Call
// it from TestMain.
func Main(m *testing.M) {
	if runClusterNode() {
		return
	}
	code := m.Run()
	stopAll()
	os.Exit(code)
}

func stopAll() {
	stopMu.Lock()
	fns := stops
	stops = nil
	stopMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i](ctx)
	}
}
