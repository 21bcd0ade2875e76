package console_test

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/console"
	"github.com/counternet/counternet/internal/demo"
	"github.com/counternet/counternet/internal/export"
	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/query"
	"github.com/counternet/counternet/internal/testenv"
)

var screenshots = flag.Bool("screenshots", false, "write the browser test's screenshots to docs/ (README and docs/console.md show them)")

// operatorPair is two vendors of their own, one on Nebula and one on
// Harbor, under different handles, whose profiles show one Bitcoin
// address: one operator behind two names (fixture.sharedOperators).
func operatorPair(t *testing.T, w *fixture.World) (a, b fixture.Vendor) {
	for _, va := range w.Market(fixture.Nebula).Vendors {
		if _, ok := w.Market(fixture.Harbor).Vendor(va.Handle); ok {
			continue
		}
		for _, vb := range w.Market(fixture.Harbor).Vendors {
			if strings.EqualFold(va.Handle, vb.Handle) {
				continue
			}
			for _, ca := range va.Crypto {
				for _, cb := range vb.Crypto {
					if ca.Chain == fixture.ChainBTC && ca.Address == cb.Address {
						return va, vb
					}
				}
			}
		}
	}
	t.Fatal("no two vendors of Nebula and Harbor share a Bitcoin address under different handles")
	return
}

// serveConsole serves the console as `counternet serve` does (console.Serve,
// the alert watcher scanning every half second) with two users, ivy
// (investigator) and abe (approver), and the demo partner for exports.
func serveConsole(t *testing.T, e *demo.Env, cfg *config.Config, files *demo.ExportFiles) string {
	c := *cfg
	c.Partners = files.Partners
	c.Export.Agency, c.Export.Country, c.Export.Contact = demo.DemoSender.Agency, demo.DemoSender.Country, demo.DemoSender.Contact
	users := auth.OpenUsers(auth.UsersFile(c.DataDir))
	users.SetParams(auth.Params{Memory: 64, Time: 1, Threads: 1})
	for name, roles := range map[string][]auth.Role{"ivy": {auth.Investigator, auth.Analyst}, "abe": {auth.Approver, auth.Analyst}} {
		if err := users.Add(name, roles, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- console.Serve(ctx, &c, e.Stack.DB, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
			console.ServeOptions{Addr: "127.0.0.1:0", Version: "test", WatchInterval: 300 * time.Millisecond,
				Ready: func(u, _ string) { ready <- u }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("console: %v", err)
		}
	})
	select {
	case u := <-ready:
		return strings.TrimSuffix(u, "/")
	case err := <-done:
		t.Fatalf("console: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("console not served within a minute")
	}
	return ""
}

// shot writes a screenshot into docs/ under -screenshots, else into the
// test's temporary directory.
func shot(t *testing.T, b *testenv.Browser, name string) {
	dir := t.TempDir()
	if *screenshots {
		dir = filepath.Join("..", "..", "docs")
	}
	b.Screenshot(filepath.Join(dir, "console-"+name+".png"))
}

func signIn(b *testenv.Browser, base, user string) {
	b.Navigate(base + "/login")
	b.Fill("#user", user)
	b.Fill("#password", testPassword)
	b.ClickAndWait("#signin")
}

// TestBrowserWorkflow drives the console in headless Chromium through an
// investigator's work: sign in, search a vendor, open its profile and a
// captured page, open a case and watch the vendor; a market where the
// operator appears under another handle is collected and the alert shows;
// the investigator requests an export, a second user approves it, and the
// package downloaded from the console verifies with the partner's keys.
// The DOM is checked at each step, and no request left the console.
func TestBrowserWorkflow(t *testing.T) {
	e, cfg := demoEnv(t)
	b := testenv.NewBrowser(t)
	collect(t, e, fixture.Nebula)
	files, _, err := demo.ExportDemo(context.Background(), e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	base := serveConsole(t, e, cfg, files)
	b.Allow(base)
	a, other := operatorPair(t, e.World)

	signIn(b, base, "ivy")
	if got := b.Text("#whoami"); got != "ivy" {
		t.Fatalf("signed in as %q", got)
	}
	shot(t, b, "home")
	b.Fill("#q", a.Handle)
	b.ClickAndWait("form.search button")
	if n := b.Count(`a.vendor[href="/vendor/nebula/` + a.Handle + `"]`); n != 1 {
		t.Fatalf("search %s: %d links to its profile\n%s", a.Handle, n, b.HTML("main"))
	}
	shot(t, b, "search")
	b.ClickAndWait(`a.vendor[href="/vendor/nebula/` + a.Handle + `"]`)
	if !strings.Contains(b.Text("#accounts"), a.PGPFingerprint) {
		t.Errorf("profile accounts lack the PGP key:\n%s", b.Text("#accounts"))
	}
	if n := b.Count("#vendor-listings tbody tr"); n != len(listingsOf(e.World.Market(fixture.Nebula), a.Handle)) {
		t.Errorf("profile lists %d listings", n)
	}
	shot(t, b, "vendor")
	b.ClickAndWait("#accounts a.capture")
	if got := b.Text("#verified"); !strings.Contains(got, "verified now") {
		t.Errorf("evidence: %q", got)
	}
	shot(t, b, "evidence")

	// A case, and the vendor on its watchlist.
	b.Navigate(base + "/cases")
	b.Fill("#case-title", "Operation Nebula")
	b.Fill("#case-purpose", "Identify the operator behind "+a.Handle)
	b.Fill("#case-legal", "StPO §100a; Budapest Convention Art. 29")
	b.ClickAndWait("#case-create")
	caseID := b.Text("#case-id")
	if caseID == "" {
		t.Fatalf("no case page:\n%s", b.HTML("main"))
	}
	b.Navigate(base + "/vendor/nebula/" + a.Handle)
	b.ClickAndWait("#watch")
	if got := b.Text("#watches"); !strings.Contains(got, strings.ToLower(a.Handle)) {
		t.Fatalf("watchlist: %q", got)
	}

	// Harbor shows the operator's address under another handle.
	collect(t, e, fixture.Harbor)
	deadline := time.Now().Add(time.Minute)
	for {
		b.Navigate(base + "/alerts")
		if b.Count("tr.alert-new_handle") > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new_handle alert within a minute:\n%s", b.HTML("main"))
		}
		time.Sleep(500 * time.Millisecond)
	}
	if got := b.Text("tr.alert-new_handle a.alert-handle"); !strings.EqualFold(got, other.Handle) {
		t.Errorf("alert names handle %q, want %s", got, other.Handle)
	}
	shot(t, b, "alerts")
	b.Navigate(base + "/")
	if n := b.Count("#new-alerts"); n != 1 {
		t.Errorf("the start page says nothing of the new alert")
	}
	// The profile now links the two names by their address.
	b.Navigate(base + "/vendor/nebula/" + a.Handle)
	if got := b.Text("#pairs"); !strings.Contains(got, other.Handle) {
		t.Errorf("profile links no %s:\n%s", other.Handle, got)
	}
	shot(t, b, "vendor-linked")

	// The export request, approved by a second user.
	b.Navigate(base + "/cases/" + caseID)
	b.Fill("#export-vendors", "nebula:"+a.Handle+", harbor:"+other.Handle)
	b.ClickAndWait("#export-request")
	if got := b.Text("#export-status"); got != "pending" {
		t.Fatalf("export request: status %q\n%s", got, b.HTML("main"))
	}
	exportURL := b.Location()
	if n := b.Count("#approve"); n != 0 {
		t.Error("the requester is offered the approval")
	}
	b.ClickAndWait("form.signout button")
	signIn(b, base, "abe")
	b.Navigate(exportURL)
	if got := b.Text("#requested-by"); got != "ivy" {
		t.Errorf("requested by %q", got)
	}
	if !strings.Contains(b.Text("#export-counts"), "listings") {
		t.Errorf("review shows no counts:\n%s", b.HTML("main"))
	}
	shot(t, b, "review")
	b.ClickAndWait("#approve")
	if got := b.Text("#export-status"); got != "exported" {
		t.Fatalf("after approval: %q\n%s", got, b.HTML("main"))
	}
	sha := b.Text("#package-sha256")

	// The package, downloaded from the console as the approver, verifies
	// with the partner's keys.
	pkg := download(t, base, "abe", exportURL+"/download")
	pub, err := export.LoadPublicKey(filepath.Join(files.SenderKeys, export.SigningPubFile))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := export.LoadIdentities(filepath.Join(files.PartnerDir, export.AgeIdentityFile))
	if err != nil {
		t.Fatal(err)
	}
	res, err := export.VerifyFile(pkg, export.VerifyOptions{Key: pub, Identities: ids})
	if err != nil {
		t.Fatalf("the downloaded package does not verify: %v", err)
	}
	if res.Manifest.Counts["listings"] == 0 {
		t.Errorf("package holds no listing: %v", res.Manifest.Counts)
	}
	t.Logf("package %s (sha256 %s): %d files verified, counts %v", pkg, sha, res.Files, res.Manifest.Counts)

	b.Navigate(base + "/routes?from=" + a.ShipsFrom + "&days=3650")
	shot(t, b, "routes")
	b.AssertNoRequestOutside()

	// The audit holds every step with its user (and the other user of the
	// four-eyes steps).
	trail, err := query.Fetch(context.Background(), e.Stack.DB.Conn(), 0,
		"SELECT user, action, other FROM console_audit WHERE outcome = 'ok' ORDER BY at")
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, row := range trail.Rows {
		steps = append(steps, fmt.Sprint(row[0], " ", row[1], " ", row[2]))
	}
	for _, want := range []string{"ivy login ", "ivy view_vendor ", "ivy view_evidence ", "ivy case_create ", "ivy view_case ",
		"ivy watch_add ", "ivy export_request ", "ivy logout ", "abe login ", "abe export_review ivy", "abe export_approve ivy",
		"abe export_build ivy", "abe export_download "} {
		if !slices.ContainsFunc(steps, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("audit lacks %q:\n%s", want, strings.Join(steps, "\n"))
		}
	}
}

func listingsOf(m *fixture.Market, handle string) []fixture.Listing {
	var out []fixture.Listing
	for _, l := range m.Listings {
		if strings.EqualFold(l.Vendor, handle) {
			out = append(out, l)
		}
	}
	return out
}

// download signs in as user with a client of its own and saves url.
func download(t *testing.T, base, user, u string) string {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := hc.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := reToken.FindStringSubmatch(string(page))
	if m == nil {
		t.Fatal("no login token")
	}
	resp, err = hc.PostForm(base+"/login", url.Values{"token": {m[1]}, "user": {user}, "password": {testPassword}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("download: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	path := filepath.Join(t.TempDir(), "package.cnpkg")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, io.LimitReader(resp.Body, 1<<30)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
