package config

import (
	"net"
	"net/netip"
	"strings"
)

// Warnings lists what a valid configuration does that an operator should
// know about: today, a metrics endpoint reachable from beyond this machine
// without a bearer token (run.metrics_token_file).
func Warnings(c *Config) []string {
	var out []string
	if addr := c.Run.MetricsAddr; addr != "" && !loopbackAddr(addr) && c.Run.MetricsTokenFile == "" {
		out = append(out, "run.metrics_addr "+addr+": /metrics, /healthz and /readyz are served without authentication to everyone who can reach this address; "+
			"set run.metrics_token_file (a bearer token Prometheus sends), bind it to 127.0.0.1 or put an authenticating proxy in front")
	}
	return out
}

// loopbackAddr reports whether host:port listens on loopback only.
func loopbackAddr(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
