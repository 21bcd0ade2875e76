package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Session is one signed-in user. Sessions live in the server's memory
// only: a restart signs everyone out.
type Session struct {
	User    string
	Roles   []Role
	Local   bool   // a local account (re-checked against the users file on every request)
	CSRF    string // token every POST of this session must carry
	Created time.Time
	Seen    time.Time
}

// Has reports whether the session's user holds role r.
func (s *Session) Has(r Role) bool { return slices.Contains(s.Roles, r) }

// CookieName is the session cookie's name. The __Host- prefix makes the
// browser refuse it unless Secure, Path=/ and without Domain.
const CookieName = "__Host-counternet_session"

// ErrNoSession reports a request without a live session.
var ErrNoSession = errors.New("not signed in")

// Sessions are the live sessions.
type Sessions struct {
	// Idle ends a session not used for this long; Absolute ends any
	// session this long after sign-in.
	Idle, Absolute time.Duration
	// Max bounds the live sessions; past it the oldest is ended.
	Max int
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu sync.Mutex
	m  map[string]*Session // by the SHA-256 of the id: the id itself is never kept
}

// NewSessions makes a session store.
func NewSessions(idle, absolute time.Duration) *Sessions {
	return &Sessions{Idle: idle, Absolute: absolute, Max: 10000, m: map[string]*Session{}}
}

func (s *Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func key(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

func random32() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Create starts a session for a user and returns its id (for the cookie).
func (s *Sessions) Create(user string, roles []Role, local bool) (string, *Session, error) {
	id, err := random32()
	if err != nil {
		return "", nil, err
	}
	csrf, err := random32()
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	sess := &Session{User: user, Roles: slices.Clone(roles), Local: local, CSRF: csrf, Created: now, Seen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	if s.Max > 0 && len(s.m) >= s.Max {
		var oldest string
		for k, v := range s.m {
			if oldest == "" || v.Seen.Before(s.m[oldest].Seen) {
				oldest = k
			}
		}
		delete(s.m, oldest)
	}
	s.m[key(id)] = sess
	return id, sess, nil
}

// live reports whether sess has not expired at now.
func (s *Sessions) live(sess *Session, now time.Time) bool {
	return now.Sub(sess.Seen) < s.Idle && now.Sub(sess.Created) < s.Absolute
}

// sweep removes expired sessions. s.mu is held.
func (s *Sessions) sweep(now time.Time) {
	for k, v := range s.m {
		if !s.live(v, now) {
			delete(s.m, k)
		}
	}
}

// Get returns the live session of id and marks it used; an unknown or
// expired id gives ErrNoSession (and an expired one is removed).
func (s *Sessions) Get(id string) (*Session, error) {
	if id == "" {
		return nil, ErrNoSession
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(id)
	sess, ok := s.m[k]
	if !ok {
		return nil, ErrNoSession
	}
	if !s.live(sess, now) {
		delete(s.m, k)
		return nil, ErrNoSession
	}
	sess.Seen = now
	cp := *sess
	return &cp, nil
}

// Delete ends the session of id.
func (s *Sessions) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key(id))
}

// DeleteUser ends every session of a user.
func (s *Sessions) DeleteUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m {
		if v.User == user {
			delete(s.m, k)
		}
	}
}

// Len is the number of sessions held (live or not yet swept).
func (s *Sessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Cookie is the session cookie for id: Secure, HttpOnly, SameSite=Strict,
// Path=/, ending with the absolute lifetime.
func (s *Sessions) Cookie(id string) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: id, Path: "/", MaxAge: int(s.Absolute / time.Second),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
}

// ClearCookie removes the session cookie.
func ClearCookie() *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
}

// CheckCSRF reports whether token is the session's CSRF token, comparing in
// constant time.
func (sess *Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) == 1
}
