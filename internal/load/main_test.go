package load_test

import (
	"testing"

	"github.com/counternet/counternet/internal/loadtest"
	"github.com/counternet/counternet/internal/testenv"
)

// TestMain lets the fault tests and the benchmark re-execute this test
// binary as a loader process (loadtest.StartLoader), then runs the tests and
// stops the servers testenv started.
func TestMain(m *testing.M) {
	loadtest.RunChildIfAsked()
	testenv.Main(m)
}
