package fetch_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/fetch"
)

const market = "siteaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion"

func TestReadCookies(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	txt := "# Netscape HTTP Cookie File\n\n" +
		market + "\tFALSE\t/\tTRUE\t0\tsession\tabc123\n" +
		"#HttpOnly_." + market + "\tTRUE\t/\tFALSE\t1800000000\tcsrf\txyz\n" +
		market + "\tFALSE\t/\tFALSE\t1600000000\told\tgone\n"
	cs, err := fetch.ReadCookies(strings.NewReader(txt), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Name != "session" || !cs[1].HttpOnly || cs[1].Domain != "."+market {
		t.Fatalf("cookies = %+v", cs)
	}
	jar, err := fetch.NewJar(cs)
	if err != nil {
		t.Fatal(err)
	}
	// The Secure flag of an onion cookie is dropped: Tor Browser sends it over http.
	got := jar.Cookies(&url.URL{Scheme: "http", Host: market, Path: "/item/1"})
	if len(got) != 2 {
		t.Errorf("jar sends %d cookies over http to the onion, want 2", len(got))
	}
	if got := jar.Cookies(&url.URL{Scheme: "http", Host: "other.onion", Path: "/"}); len(got) != 0 {
		t.Errorf("jar sends %v to another host", got)
	}
	for _, bad := range []string{
		"only\tthree\tfields\n",
		market + "\tFALSE\t/\tFALSE\tsoon\tn\tv\n",
		"\tFALSE\t/\tFALSE\t0\tn\tv\n",
		market + "\tFALSE\t/\tFALSE\t0\t\tv\n",
	} {
		_, err := fetch.ReadCookies(strings.NewReader(bad), now)
		if !errors.Is(err, fetch.ErrCookieFile) {
			t.Errorf("ReadCookies(%q) = %v, want ErrCookieFile", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "\tv") {
			t.Errorf("error shows a cookie value: %v", err)
		}
	}
}

func FuzzReadCookies(f *testing.F) {
	f.Add(market + "\tFALSE\t/\tTRUE\t0\tsession\tabc123\n")
	f.Add("#HttpOnly_.x.onion\tTRUE\t/\tFALSE\t1800000000\tcsrf\txyz\n")
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := fetch.ReadCookies(strings.NewReader(s), time.Unix(1_700_000_000, 0))
		if err != nil {
			return
		}
		for _, c := range cs {
			if c.Name == "" || c.Valid() != nil {
				t.Fatalf("invalid cookie accepted: %+v", c)
			}
		}
		if _, err := fetch.NewJar(cs); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPageText(t *testing.T) {
	tests := []struct {
		name, ct, body, want, charset, flag string
	}{
		{"utf-8 declared", "text/html; charset=utf-8", "caf\u00e9", "caf\u00e9", "utf-8", ""},
		{"latin1 header", "text/html; charset=ISO-8859-1", "caf\xe9", "caf\u00e9", "windows-1252", ""},
		{"meta cp1251", "text/html", "<meta charset=\"windows-1251\">\xcf\xf0\xe8\xe2\xe5\xf2", `<meta charset="windows-1251">Привет`, "windows-1251", ""},
		{"undeclared cp1252", "text/html", "\x93quoted\x94", "\u201cquoted\u201d", "windows-1252", fetch.CharsetGuessed},
		{"unknown label", "text/html; charset=x-klingon", "plain", "plain", "utf-8", fetch.CharsetUnknown},
		{"utf-8 after an ascii KiB", "text/html", strings.Repeat("ascii ", 200) + "฿ Grüße", strings.Repeat("ascii ", 200) + "฿ Grüße", "utf-8", ""},
		{"declared latin1, valid utf-8", "text/html; charset=ISO-8859-1", "Grüße ฿", "Grüße ฿", "utf-8", fetch.CharsetMismatch},
		{"invalid utf-8", "text/html; charset=utf-8", "bad \xff byte", "bad \ufffd byte", "utf-8", fetch.CharsetInvalid},
	}
	e := newEnv(t)
	for _, tt := range tests {
		e.mux.HandleFunc("/cs/"+strings.ReplaceAll(tt.name, " ", "-"), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", tt.ct)
			w.Write([]byte(tt.body))
		})
	}
	c := e.client(t, testOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.Get(t.Context(), siteURL+"/cs/"+strings.ReplaceAll(tt.name, " ", "-"))
			if err != nil {
				t.Fatal(err)
			}
			if p.Charset != tt.charset || p.CharsetFlag != tt.flag {
				t.Errorf("charset %q flag %q, want %q %q", p.Charset, p.CharsetFlag, tt.charset, tt.flag)
			}
			got, err := p.Text()
			if err != nil || string(got) != tt.want {
				t.Errorf("Text = %q, %v; want %q", got, err, tt.want)
			}
			if string(p.Body) != tt.body {
				t.Error("Body is not kept as received")
			}
		})
	}
}
