package tornet_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/fetch"
	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/socksd"
	"github.com/counternet/counternet/internal/tor"
	"github.com/counternet/counternet/internal/tornet"
)

// BenchmarkOnionFetch fetches a fixture market page through the private
// tor network's onion service, one request at a time on a warm circuit, and
// reports it as a ratio to the same fetch through the local SOCKS5 stand-in
// (internal/socksd), measured in the same run: x_socksd is how many times
// slower a real onion round trip is than the stand-in's.
func BenchmarkOnionFetch(b *testing.B) {
	if err := tornet.Available(); err != nil {
		b.Skipf("tor cannot run on this machine: %v", err)
	}
	log := zerolog.New(zerolog.NewTestWriter(b)).Level(zerolog.WarnLevel)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	world := fixture.Generate(1)
	markets := fixture.NewServer(world, log)
	routes := map[string]string{}
	// routes is filled before the proxy starts and only read afterwards.
	proxy := socksd.New(log, func(h string) (string, bool) { a, ok := routes[h]; return a, ok })
	var servicePID atomic.Int64
	markets.Allow = func(remoteAddr string) bool {
		pid := servicePID.Load()
		return proxy.IsOutbound(remoteAddr) || (pid != 0 && socketOwnedBy(int(pid), remoteAddr))
	}
	if err := markets.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = markets.Close() }()
	host := fixture.HostFor(fixture.Nebula)
	routes[host] = markets.Addr()
	if err := proxy.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = proxy.Close() }()

	tn, err := tornet.Start(ctx, b.TempDir(), tornet.Options{Services: []tornet.Service{{
		Name: fixture.Nebula, Target: markets.Addr(), Key: fixture.KeyFor(fixture.Nebula),
	}}}, log)
	if err != nil {
		b.Fatal(err)
	}
	defer tn.Close()
	for _, p := range tn.Processes() {
		if p.Role == "service" {
			servicePID.Store(int64(p.PID))
		}
	}
	if err := tn.WaitReachable(ctx, fixture.Nebula); err != nil {
		b.Fatal(err)
	}

	url := "http://" + host + "/listings?page=1"
	client := func(socks string) *fetch.Client {
		return fetch.New(tor.NewDialer(socks).ForIdentity("bench", "s").DialContext, fetch.Options{Concurrency: 1}, log)
	}
	viaTor, viaStandIn := client(tn.SocksAddr()), client(proxy.Addr())
	defer viaTor.Close()
	defer viaStandIn.Close()
	get := func(c *fetch.Client) {
		p, err := c.Get(ctx, url)
		if err != nil || p.Status != 200 {
			b.Fatalf("fetching %s: %v", url, err)
		}
	}
	get(viaTor) // builds the rendezvous circuit for this identity
	get(viaStandIn)

	// b.Loop runs this function once, so the network starts once.
	for b.Loop() {
		get(viaTor)
	}
	perTor := b.Elapsed() / time.Duration(b.N)

	began := time.Now()
	for range b.N {
		get(viaStandIn)
	}
	perStandIn := time.Since(began) / time.Duration(b.N)
	b.ReportMetric(float64(perTor)/float64(max(perStandIn, 1)), "x_socksd")
	b.ReportMetric(float64(perTor.Microseconds())/1000, "ms_tor/op")
	b.ReportMetric(float64(perStandIn.Microseconds())/1000, "ms_socksd/op")
}
