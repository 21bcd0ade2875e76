package config

import (
	"strings"
	"testing"
)

func TestWarnings(t *testing.T) {
	for addr, warn := range map[string]bool{"127.0.0.1:9464": false, "localhost:9464": false, "[::1]:9464": false, "0.0.0.0:9464": true, ":9464": true, "10.0.0.5:9464": true} {
		c := &Config{}
		c.Run.MetricsAddr = addr
		got := Warnings(c)
		if (len(got) > 0) != warn || (warn && !strings.Contains(got[0], "without authentication")) {
			t.Errorf("Warnings(%s) = %q", addr, got)
		}
		// With a bearer token, /metrics asks for it: no warning.
		c.Run.MetricsTokenFile = "/etc/counternet/metrics.token"
		if got := Warnings(c); len(got) > 0 {
			t.Errorf("Warnings(%s with a token) = %q, want none", addr, got)
		}
	}
}

// A token file for an endpoint that is off is a mistake.
func TestMetricsTokenWithoutAddr(t *testing.T) {
	_, err := Parse("m.yaml", []byte("run:\n  metrics_addr: \"\"\n  metrics_token_file: /etc/counternet/metrics.token\n"))
	if err == nil || !strings.Contains(err.Error(), "run.metrics_token_file") {
		t.Errorf("error %v, want one naming run.metrics_token_file", err)
	}
}

// A value an alias brings in is reported at the line it was written on,
// not as "(default)".
func TestAliasErrorHasItsLine(t *testing.T) {
	_, err := Parse("alias.yaml", []byte("fx:\n  usd_per: &rates\n    EUR: 1.08\nrun:\n  schedules: *rates\n"))
	if err == nil || !strings.Contains(err.Error(), "alias.yaml:3: run.schedules.EUR") {
		t.Errorf("error %v, want it at alias.yaml:3", err)
	}
}
