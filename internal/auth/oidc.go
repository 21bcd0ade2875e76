package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig says how to sign users in through an OpenID Connect
// identity provider.
type OIDCConfig struct {
	Issuer, ClientID, ClientSecret, RedirectURL string
	// RolesClaim names the ID token claim (a string or a list of strings)
	// whose values Roles maps to console roles.
	RolesClaim string
	Roles      map[string][]Role
}

// ErrNoRole reports an identity-provider user whose claim maps to no role.
var ErrNoRole = errors.New("no console role for this user")

// OIDC signs users in through an identity provider: the authorization
// code flow with PKCE, a nonce bound to the ID token, the state kept on the
// server for ten minutes.
type OIDC struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client

	mu      sync.Mutex
	pending map[string]pendingAuth // by state
}

type pendingAuth struct {
	nonce, verifier, next string
	expires               time.Time
}

// maxPending bounds the sign-ins in progress held.
const maxPending = 10000

// NewOIDC discovers the provider at cfg.Issuer (through client, or
// http.DefaultClient when nil).
func NewOIDC(ctx context.Context, cfg OIDCConfig, client *http.Client) (*OIDC, error) {
	if client == nil {
		client = http.DefaultClient
	}
	ctx = oidc.ClientContext(ctx, client)
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discovering the identity provider %s: %w", cfg.Issuer, err)
	}
	return &OIDC{
		cfg: cfg,
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"}},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		client:   client,
		pending:  map[string]pendingAuth{},
	}, nil
}

// Begin starts a sign-in: it returns the state (for the browser to carry
// back in a cookie) and the provider's URL to send the browser to.
func (o *OIDC) Begin(next string) (state, authURL string, err error) {
	if state, err = random32(); err != nil {
		return "", "", err
	}
	nonce, err := random32()
	if err != nil {
		return "", "", err
	}
	verifier := oauth2.GenerateVerifier()
	now := time.Now()
	o.mu.Lock()
	for k, p := range o.pending {
		if now.After(p.expires) {
			delete(o.pending, k)
		}
	}
	if len(o.pending) >= maxPending {
		o.mu.Unlock()
		return "", "", errors.New("too many sign-ins in progress")
	}
	o.pending[state] = pendingAuth{nonce: nonce, verifier: verifier, next: next, expires: now.Add(10 * time.Minute)}
	o.mu.Unlock()
	return state, o.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// Finish completes a sign-in: state must be one Begin made (and not used
// before), code the provider's answer. It returns the user (the ID token's
// preferred_username, else email, else subject), the roles its claim maps
// to, and where to send the browser.
func (o *OIDC) Finish(ctx context.Context, state, code string) (user string, roles []Role, next string, err error) {
	o.mu.Lock()
	p, ok := o.pending[state]
	delete(o.pending, state)
	o.mu.Unlock()
	if !ok || time.Now().After(p.expires) {
		return "", nil, "", errors.New("no sign-in in progress with this state (expired or used)")
	}
	ctx = oidc.ClientContext(ctx, o.client)
	tok, err := o.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.verifier))
	if err != nil {
		return "", nil, "", fmt.Errorf("exchanging the code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return "", nil, "", errors.New("the provider returned no ID token")
	}
	idt, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return "", nil, "", fmt.Errorf("verifying the ID token: %w", err)
	}
	if idt.Nonce == "" || sha256.Sum256([]byte(idt.Nonce)) != sha256.Sum256([]byte(p.nonce)) {
		return "", nil, "", errors.New("the ID token's nonce does not match the sign-in")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", nil, "", fmt.Errorf("reading the ID token's claims: %w", err)
	}
	for _, k := range []string{"preferred_username", "email", "sub"} {
		if v, ok := claims[k].(string); ok && strings.TrimSpace(v) != "" {
			user = strings.ToLower(strings.TrimSpace(v))
			break
		}
	}
	if user == "" || len(user) > 256 {
		return "", nil, "", errors.New("the ID token names no user")
	}
	roles = o.mapRoles(claims[o.cfg.RolesClaim])
	if len(roles) == 0 {
		return "", nil, "", fmt.Errorf("%w: %s (claim %s: %v)", ErrNoRole, user, o.cfg.RolesClaim, claims[o.cfg.RolesClaim])
	}
	return user, roles, p.next, nil
}

// mapRoles maps the claim's values (a string or a list) to roles.
func (o *OIDC) mapRoles(claim any) []Role {
	var values []string
	switch v := claim.(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	seen := map[Role]bool{}
	for _, v := range values {
		for _, r := range o.cfg.Roles[v] {
			seen[r] = true
		}
	}
	var out []Role
	for _, r := range Roles {
		if seen[r] {
			out = append(out, r)
		}
	}
	return slices.Clip(out)
}

// StateCookie is the cookie carrying a sign-in's state from Begin to the
// callback. It is SameSite=Lax: the provider's redirect back is a
// cross-site navigation, on which a Strict cookie would not be sent.
const StateCookie = "__Host-counternet_oidc"

// StateCookieFor is the state cookie for state.
func StateCookieFor(state string) *http.Cookie {
	return &http.Cookie{Name: StateCookie, Value: state, Path: "/", MaxAge: 600, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}
