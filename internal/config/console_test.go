package config_test

import (
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/config"
)

func TestConsoleSection(t *testing.T) {
	cfg, err := config.Parse("", nil, config.WithLookupEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Console.Addr != "127.0.0.1:8443" || cfg.Console.OIDC.Enabled() {
		t.Errorf("defaults: %+v", cfg.Console)
	}
	_, err = config.Parse("c.yaml", []byte(`run:
  roles: [console, bogus]
console:
  addr: "nowhere"
  tls_cert: /etc/c.pem
  session_idle: 2h
  session_max: 1h
  login_max_per_user: 0
  oidc:
    issuer: http://idp.example
    roles: {unit: [analyst, root]}
`), config.WithLookupEnv(nil))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`c.yaml:2: run.roles[1]: unknown role "bogus", want collect, load or console`,
		"c.yaml:4: console.addr:",
		"c.yaml:5: console.tls_cert: tls_cert and tls_key go together",
		"c.yaml:6: console.session_idle: must not exceed session_max",
		"c.yaml:8: console.login_max_per_user: must be 1 or more",
		"console.oidc.issuer: want an https:// URL",
		"console.oidc.client_id: must be set",
		"console.oidc.redirect_url:",
		`console.oidc.roles.unit: unknown role "root"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}
