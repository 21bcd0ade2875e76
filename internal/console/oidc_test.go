package console_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/console"
)

// provider is an OpenID Connect provider on loopback: discovery and keys
// from oidctest, and a token endpoint that checks the PKCE verifier and
// answers with an ID token of the claims the test set for the code.
type provider struct {
	ts   *httptest.Server
	key  *rsa.PrivateKey
	mu   sync.Mutex
	code map[string]codeGrant
}

type codeGrant struct {
	challenge, nonce, user string
	groups                 []string
}

func newProvider(t *testing.T) *provider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{key: key, code: map[string]codeGrant{}}
	disc := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "k1", Algorithm: "RS256"}}}
	mux := http.NewServeMux()
	mux.Handle("/", disc)
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		p.mu.Lock()
		g, ok := p.code[r.PostForm.Get("code")]
		delete(p.code, r.PostForm.Get("code"))
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		groups, _ := json.Marshal(g.groups)
		claims := fmt.Sprintf(`{"iss":%q,"aud":"console","sub":"s-%s","exp":%d,"iat":%d,"nonce":%q,"preferred_username":%q,"groups":%s}`,
			p.ts.URL, g.user, time.Now().Add(time.Hour).Unix(), time.Now().Unix(), g.nonce, g.user, groups)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
			"id_token": oidctest.SignIDToken(key, "k1", "RS256", claims)})
	})
	p.ts = httptest.NewServer(mux)
	disc.SetIssuer(p.ts.URL)
	t.Cleanup(p.ts.Close)
	return p
}

// authorize plays the provider's sign-in page for user: it reads the
// authorization URL the console sent the browser to and returns the
// callback URL with a fresh code.
func (p *provider) authorize(t *testing.T, authURL, user string, groups ...string) string {
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Fatalf("authorization URL without PKCE, nonce or state: %s", authURL)
	}
	code := fmt.Sprintf("code-%s-%d", user, time.Now().UnixNano())
	p.mu.Lock()
	p.code[code] = codeGrant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), user: user, groups: groups}
	p.mu.Unlock()
	return q.Get("redirect_uri") + "?" + url.Values{"state": {q.Get("state")}, "code": {code}}.Encode()
}

// TestOIDCSignIn signs in through an identity provider: the claim's
// groups map to roles, a user of no mapped group is refused, a callback
// whose state is not the browser's is refused.
func TestOIDCSignIn(t *testing.T) {
	if testing.Short() {
		t.Skip("needs ClickHouse")
	}
	p := newProvider(t)
	o, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{Issuer: p.ts.URL, ClientID: "console", ClientSecret: "s",
		RedirectURL: "https://console.invalid/auth/oidc/callback", RolesClaim: "groups",
		Roles: map[string][]auth.Role{"drugs-unit": {auth.Analyst, auth.Investigator}}}, p.ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	tc := newTestConsole(t, console.Options{OIDC: o})
	signIn := func(c *client, user string, groups ...string) (*http.Response, string) {
		resp, _ := c.do("GET", "/auth/oidc/login?next=/routes", nil)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("oidc login: %d", resp.StatusCode)
		}
		cb := p.authorize(t, resp.Header.Get("Location"), user, groups...)
		return c.do("GET", strings.TrimPrefix(cb, "https://console.invalid"), nil)
	}
	c := tc.client(t)
	resp, body := signIn(c, "Dana", "drugs-unit", "staff")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="/routes"`) {
		t.Fatalf("callback: %d\n%s", resp.StatusCode, body)
	}
	if _, page := c.do("GET", "/", nil); !strings.Contains(page, `<span id="whoami">dana</span>`) || !strings.Contains(page, `href="/cases"`) {
		t.Errorf("signed in through the provider, the start page says:\n%s", page)
	}
	if !tc.audit.has("dana", "login", "") {
		t.Error("oidc sign-in not audited")
	}
	if resp, _ := c.do("GET", "/admin/users", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("oidc analyst on /admin/users: %d", resp.StatusCode)
	}
	if resp, _ := signIn(tc.client(t), "erin", "staff"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("user of no mapped group: %d, want 403", resp.StatusCode)
	}
	// A callback carried to another browser (no state cookie) is refused.
	c2 := tc.client(t)
	resp, _ = c2.do("GET", "/auth/oidc/login", nil)
	cb := p.authorize(t, resp.Header.Get("Location"), "dana", "drugs-unit")
	if resp, _ := tc.client(t).do("GET", strings.TrimPrefix(cb, "https://console.invalid"), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("callback in another browser: %d, want 403", resp.StatusCode)
	}
}
