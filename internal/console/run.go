package console

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/cases"
	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/export"
	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/warehouse"
)

// ServeOptions change what Serve does.
type ServeOptions struct {
	// Addr, when set, overrides console.addr.
	Addr    string
	Version string
	// Alerts counts the alerts the watcher raises (counternet_alerts_total);
	// nil: not counted.
	Alerts *prometheus.CounterVec
	// Ready, when set, is told where the console is served and the
	// SHA-256 fingerprint of its certificate.
	Ready func(url, fingerprint string)
	// WatchInterval is the alert watcher's pause between scans
	// (cases.DefaultInterval when 0).
	WatchInterval time.Duration
}

// casesAudit records the console's own steps in internal/cases' audit.
type casesAudit struct{ svc *cases.Service }

func (a casesAudit) Record(ctx context.Context, e AuditEvent) error {
	outcome := cases.AuditOK
	if strings.HasSuffix(e.Action, "_failed") || strings.HasSuffix(e.Action, "_refused") {
		outcome = cases.AuditRefused
	}
	return a.svc.Record(ctx, cases.AuditEntry{User: e.User, Action: e.Action, Object: e.Object, Detail: e.Detail,
		Address: e.Addr, Outcome: outcome})
}

// Exporter builds the exporter `counternet export` uses from the config:
// the signing key (export.signing_key or <data_dir>/keys/signing.key), the
// partner directory, the sending agency, the evidence store and the local
// audit log. What is missing is returned as the error; the console then
// runs without one and says why when an approval cannot be built.
func Exporter(cfg *config.Config, db *warehouse.DB, store *capture.Store, log zerolog.Logger) (*export.Exporter, error) {
	keyFile := cfg.Export.SigningKey
	if keyFile == "" {
		keyFile = filepath.Join(cfg.DataDir, "keys", export.SigningKeyFile)
	}
	key, err := export.LoadSigningKey(keyFile)
	if err != nil {
		return nil, fmt.Errorf("no signing key (counternet keys generate writes one): %w", err)
	}
	if cfg.Partners == "" {
		return nil, errors.New("the config names no partner directory (partners)")
	}
	ref, err := reference.Default()
	if err != nil {
		return nil, err
	}
	partners, err := reference.LoadPartners(cfg.Partners, ref)
	if err != nil {
		return nil, err
	}
	if cfg.Export.Agency == "" || cfg.Export.Country == "" {
		return nil, errors.New("export.agency and export.country name no sending agency")
	}
	return &export.Exporter{DB: db, Ref: ref, Partners: partners, SigningKey: key, Captures: store, Log: log,
		Sender:   export.Sender{Agency: cfg.Export.Agency, Country: cfg.Export.Country, Contact: cfg.Export.Contact},
		AuditLog: filepath.Join(cfg.DataDir, export.AuditLogFile)}, nil
}

// newOIDC connects to the configured identity provider.
func newOIDC(ctx context.Context, o config.OIDC) (*auth.OIDC, error) {
	var secret string
	if o.ClientSecretFile != "" {
		s, err := config.ReadSecretFile(o.ClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("reading console.oidc.client_secret_file: %w", err)
		}
		secret = s
	}
	roles := map[string][]auth.Role{}
	for k, rs := range o.Roles {
		for _, r := range rs {
			roles[k] = append(roles[k], auth.Role(r))
		}
	}
	return auth.NewOIDC(ctx, auth.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret,
		RedirectURL: o.RedirectURL, RolesClaim: o.RolesClaim, Roles: roles}, nil)
}

// Serve serves the console as cfg says over db until ctx ends, and runs the
// alert watcher beside it: `counternet serve`, the console role of
// `counternet run` and `counternet demo --keep`.
func Serve(ctx context.Context, cfg *config.Config, db *warehouse.DB, log zerolog.Logger, o ServeOptions) error {
	users := auth.OpenUsers(auth.UsersFile(cfg.DataDir))
	us, err := users.List()
	if err != nil {
		return err
	}
	if len(us) == 0 && !cfg.Console.OIDC.Enabled() {
		log.Warn().Str("file", users.Path()).Msg("console: no users yet; add one with counternet users add NAME --roles ...")
	}
	store, err := capture.Open(filepath.Join(cfg.DataDir, "captures"))
	if err != nil {
		return err
	}
	defer store.Close()
	svc := &cases.Service{DB: db, ExportDir: cfg.Console.ExportDir, Log: log}
	if svc.ExportDir == "" {
		svc.ExportDir = filepath.Join(cfg.DataDir, "exports")
	}
	if svc.Exporter, err = Exporter(cfg, db, store, log); err != nil {
		log.Warn().Err(err).Msg("console: approved exports cannot be built until this is fixed")
	}
	opts := Options{Conn: db.Conn(), Captures: store, Users: users, Version: o.Version, Log: log, Cases: svc,
		Audit:    casesAudit{svc},
		Sessions: auth.NewSessions(cfg.Console.SessionIdle, cfg.Console.SessionMax),
		Limiter:  auth.NewLimiter(cfg.Console.LoginMaxPerUser, cfg.Console.LoginMaxPerAddr, cfg.Console.LoginWindow)}
	if cfg.Console.OIDC.Enabled() {
		if opts.OIDC, err = newOIDC(ctx, cfg.Console.OIDC); err != nil {
			return err
		}
	}
	srv, err := New(opts)
	if err != nil {
		return err
	}
	addr := cfg.Console.Addr
	if o.Addr != "" {
		addr = o.Addr
	}
	host, _, _ := net.SplitHostPort(addr)
	cert, err := LoadCert(cfg.Console.TLSCert, cfg.Console.TLSKey, filepath.Join(cfg.DataDir, "secrets"), host)
	if err != nil {
		return err
	}
	rn, err := srv.Start(addr, cert)
	if err != nil {
		return err
	}
	log.Info().Str("url", rn.URL).Str("certificate_sha256", Fingerprint(cert)).Msg("console served")
	if o.Ready != nil {
		o.Ready(rn.URL, Fingerprint(cert))
	}
	w := &cases.Watcher{DB: db, Log: log, Alerts: o.Alerts, Interval: o.WatchInterval}
	wctx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		_ = w.Run(wctx)
	}()
	<-ctx.Done()
	stopWatch()
	<-watched
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rn.Close(sctx); err != nil {
		return fmt.Errorf("stopping the console: %w", err)
	}
	return nil
}
