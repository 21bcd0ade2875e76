package warehouse

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestStartLocalWithoutServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	saved := serverPaths
	serverPaths = []string{t.TempDir() + "/clickhouse-server"}
	defer func() { serverPaths = saved }()

	_, err := StartLocal(context.Background(), t.TempDir(), zerolog.Nop())
	if !errors.Is(err, ErrNoClickHouse) {
		t.Fatalf("StartLocal without a server: %v, want ErrNoClickHouse", err)
	}
	if !strings.Contains(err.Error(), "apt-get install clickhouse-server clickhouse-client") {
		t.Errorf("error does not say what to install: %v", err)
	}
}

func TestClampTime(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"zero", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
		{"before epoch", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z"},
		{"in range", "2024-03-04T10:00:00Z", "2024-03-04T10:00:00Z"},
		{"past uint32", "2200-01-01T00:00:00Z", "2106-02-07T06:28:15Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := time.Parse(time.RFC3339, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := clampTime(in).UTC().Format("2006-01-02T15:04:05Z"); got != tt.want {
				t.Errorf("clampTime(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"intel":     "`intel`",
		"a`b":       "`a\\`b`",
		`back\sl`:   "`back\\\\sl`",
		"with-dash": "`with-dash`",
	} {
		if got := quoteIdent(in); got != want {
			t.Errorf("quoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}
