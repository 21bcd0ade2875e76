package load_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/warehouse"
)

// serverCPU measures the CPU time of the ClickHouse server this test
// process started (its child), which a machine busy with other work
// inflates far less than the wall time of an insert.
type serverCPU struct{ pid int }

// findServerCPU finds the clickhouse-server child of this process.
func findServerCPU() (serverCPU, error) {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		comm, fields, ok := statFields(string(data))
		if !ok || !strings.HasPrefix(comm, "clickhouse") || len(fields) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(fields[1]); err == nil && ppid == os.Getpid() {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return serverCPU{pid: pid}, nil
		}
	}
	return serverCPU{}, errors.New("no clickhouse-server child of this process (an external server?)")
}

// statFields splits /proc/<pid>/stat into the command name and the fields
// after it (state first).
func statFields(stat string) (comm string, fields []string, ok bool) {
	open, end := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || end < open {
		return "", nil, false
	}
	return stat[open+1 : end], strings.Fields(stat[end+1:]), true
}

// seconds is the server's user and system CPU time so far.
func (s serverCPU) seconds() (float64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/stat")
	if err != nil {
		return 0, err
	}
	_, f, ok := statFields(string(data))
	if !ok || len(f) < 13 {
		return 0, errors.New("reading server cpu: short /proc stat")
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (utime + stime) / 100, nil // USER_HZ, 100 on Linux
}

// settle waits, at most a minute, until the server merges nothing, so that
// the merges an insert leaves behind count with it.
func settle(ctx context.Context, db *warehouse.DB) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var n uint64
		if err := db.Conn().QueryRow(ctx, "SELECT count() FROM system.merges").Scan(&n); err != nil || n == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}
