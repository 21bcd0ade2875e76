package fetch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/tor"
)

// ErrCookieFile marks a cookies.txt that cannot be used.
var ErrCookieFile = errors.New("invalid cookies file")

// Bounds on a cookies.txt.
const (
	maxCookieFile  = 1 << 20
	maxCookieLines = 10000
)

// ReadCookies parses a Netscape cookies.txt (the format browser extensions
// export from Tor Browser: one cookie per line, seven tab-separated fields
// domain, include-subdomains, path, secure, expiry, name, value; "#"
// comments; "#HttpOnly_" prefixed lines are cookies). Cookies already
// expired at now are dropped. Errors name the line but never a value.
func ReadCookies(r io.Reader, now time.Time) ([]*http.Cookie, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxCookieFile+1))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	var (
		out  []*http.Cookie
		read int
	)
	for n := 1; sc.Scan(); n++ {
		read += len(sc.Bytes()) + 1
		if read > maxCookieFile || n > maxCookieLines {
			return nil, fmt.Errorf("%w: larger than %d bytes or %d lines", ErrCookieFile, maxCookieFile, maxCookieLines)
		}
		line := strings.TrimRight(sc.Text(), "\r")
		httpOnly := false
		if rest, ok := strings.CutPrefix(line, "#HttpOnly_"); ok {
			line, httpOnly = rest, true
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 7 {
			return nil, fmt.Errorf("%w: line %d: %d tab-separated fields, want 7", ErrCookieFile, n, len(f))
		}
		domain := strings.ToLower(strings.TrimSpace(f[0]))
		if strings.TrimPrefix(domain, ".") == "" {
			return nil, fmt.Errorf("%w: line %d: empty domain", ErrCookieFile, n)
		}
		exp, err := strconv.ParseInt(strings.TrimSpace(f[4]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: expiry is not a number", ErrCookieFile, n)
		}
		c := &http.Cookie{
			Name: f[5], Value: f[6], Path: f[2], HttpOnly: httpOnly,
			Secure: strings.EqualFold(f[3], "TRUE"),
		}
		if c.Path == "" {
			c.Path = "/"
		}
		if strings.EqualFold(f[1], "TRUE") {
			c.Domain = domain // domain cookie: sent to subdomains too
		} else {
			c.Domain = strings.TrimPrefix(domain, ".") // host-only; see NewJar
		}
		if exp > 0 { // 0 is a session cookie
			c.Expires = time.Unix(exp, 0).UTC()
			if !c.Expires.After(now) {
				continue
			}
		}
		if c.Name == "" || c.Valid() != nil {
			return nil, fmt.Errorf("%w: line %d: malformed cookie", ErrCookieFile, n)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCookieFile, err)
	}
	return out, nil
}

// LoadCookies reads a cookies.txt file (see ReadCookies).
func LoadCookies(path string, now time.Time) ([]*http.Cookie, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading cookies: %w", err)
	}
	defer f.Close()
	cs, err := ReadCookies(f, now)
	if err != nil {
		return nil, fmt.Errorf("reading cookies %s: %w", path, err)
	}
	return cs, nil
}

// NewJar returns a cookie jar holding cookies, for Options.Jar. Tor Browser
// treats .onion sites as secure contexts even over http, so the Secure flag
// of an onion cookie is dropped; otherwise the jar would never send it.
func NewJar(cookies []*http.Cookie) (http.CookieJar, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("making cookie jar: %w", err)
	}
	byHost := map[string][]*http.Cookie{}
	for _, c := range cookies {
		cp := *c
		host := strings.TrimPrefix(cp.Domain, ".")
		if !strings.HasPrefix(cp.Domain, ".") {
			cp.Domain = "" // host-only
		}
		if tor.IsOnion(host) {
			cp.Secure = false
		}
		byHost[host] = append(byHost[host], &cp)
	}
	for host, cs := range byHost {
		for _, scheme := range []string{"http", "https"} {
			jar.SetCookies(&url.URL{Scheme: scheme, Host: host, Path: "/"}, cs)
		}
	}
	return jar, nil
}
