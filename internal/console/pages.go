package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/auth"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static/console.css
var stylesheet []byte

// pages are the parsed templates, one per page, each with the layout.
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"join": func(xs []string, sep string) string { return strings.Join(xs, sep) },
	"when": func(t time.Time) string {
		if t.IsZero() || t.Unix() <= 0 {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"day": func(t time.Time) string {
		if t.IsZero() || t.Unix() <= 0 {
			return "—"
		}
		return t.UTC().Format("2006-01-02")
	},
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12] + "…"
		}
		return s
	},
	"usd": func(v float64) string {
		if v == 0 {
			return "—"
		}
		return fmt.Sprintf("$%.2f", v)
	},
	"num": func(v float64) string { return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".") },
	"path": func(parts ...string) string {
		esc := make([]string, len(parts))
		for i, p := range parts {
			esc[i] = url.PathEscape(p)
		}
		return "/" + path.Join(esc...)
	},
	"list": func(xs ...string) []string { return xs },
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd arguments")
		}
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"has": func(sess *auth.Session, role string) bool { return sess != nil && sess.Has(auth.Role(role)) },
}

func loadPages() (*pages, error) {
	layout, err := fs.ReadFile(templateFiles, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.ReadFile(templateFiles, "templates/_partials.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		body, err := fs.ReadFile(templateFiles, n)
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("parsing layout: %w", err)
		}
		if _, err := t.Parse(string(partials)); err != nil {
			return nil, fmt.Errorf("parsing partials: %w", err)
		}
		if _, err := t.Parse(string(body)); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", n, err)
		}
		p.byName[base] = t
	}
	return p, nil
}

// view is what every page template gets.
type view struct {
	Title   string
	Sess    *auth.Session
	Version string
	Data    any
	// Notes are said above the page's content (what was cut, what is
	// missing).
	Notes []string
}

// CSRF is the session's token for the page's forms.
func (v view) CSRF() string {
	if v.Sess == nil {
		return ""
	}
	return v.Sess.CSRF
}

// render writes page name with data, status 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, sess *auth.Session, name, title string, data any, notes ...string) {
	s.renderStatus(w, r, sess, http.StatusOK, name, title, data, notes...)
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, sess *auth.Session, status int, name, title string, data any, notes ...string) {
	t, ok := s.pages.byName[name]
	if !ok {
		s.opts.Log.Error().Str("page", name).Msg("console: no such template")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", view{Title: title, Sess: sess, Version: s.opts.Version, Data: data, Notes: notes}); err != nil {
		s.opts.Log.Error().Err(err).Str("page", name).Msg("console: rendering")
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders an error page with status and message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, sess *auth.Session, status int, msg string) {
	s.renderStatus(w, r, sess, status, "error", http.StatusText(status), struct {
		Status int
		Msg    string
	}{status, msg})
}

// failErr renders err as a 500 page (its text shown: investigators see
// what went wrong rather than an empty answer).
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, sess *auth.Session, what string, err error) {
	s.opts.Log.Error().Err(err).Str("path", r.URL.Path).Msg("console: " + what)
	s.fail(w, r, sess, http.StatusInternalServerError, what+": "+err.Error())
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.session(r)
	s.fail(w, r, sess, http.StatusNotFound, "No such page.")
}

// serveCSS serves the embedded stylesheet.
func (s *Server) serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(stylesheet)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
