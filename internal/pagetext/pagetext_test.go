package pagetext

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	asciiKiB := "<html><head><title>x</title></head><body>" + strings.Repeat("a ", 600)
	tests := []struct {
		name, ct, body, want, charset, flag string
	}{
		{"utf-8 declared", "text/html; charset=utf-8", "caf\u00e9", "caf\u00e9", "utf-8", ""},
		{"latin1 header", "text/html; charset=ISO-8859-1", "caf\xe9", "caf\u00e9", "windows-1252", ""},
		{"meta cp1251", "text/html", "<meta charset=\"windows-1251\">\xcf\xf0\xe8\xe2\xe5\xf2", `<meta charset="windows-1251">Привет`, "windows-1251", ""},
		{"http-equiv meta", "", `<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">` + "caf\xe9", `<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">café`, "windows-1252", ""},
		{"undeclared cp1252", "text/html", "\x93quoted\x94", "\u201cquoted\u201d", "windows-1252", FlagGuessed},
		{"unknown label", "text/html; charset=x-klingon", "plain", "plain", "utf-8", FlagUnknown},
		{"unknown label, not utf-8", "text/html; charset=x-klingon", "caf\xe9", "caf\u00e9", "windows-1252", FlagUnknown},
		{"invalid utf-8", "text/html; charset=utf-8", "bad \xff byte", "bad \ufffd byte", "utf-8", FlagInvalid},
		// The crawler used to decide from the first KiB: an ASCII first KiB
		// made a UTF-8 page windows-1252, and "฿" and umlauts were garbled.
		{"utf-8 after an ascii KiB", "text/html", asciiKiB + "฿0.01 Grüße 🙂", asciiKiB + "฿0.01 Grüße 🙂", "utf-8", ""},
		{"utf-8 without any header", "", asciiKiB + "Grüße", asciiKiB + "Grüße", "utf-8", ""},
		// A page declaring ISO-8859-1 that is valid UTF-8 is UTF-8.
		{"declared latin1, valid utf-8", "text/html; charset=ISO-8859-1", "Grüße ฿", "Grüße ฿", "utf-8", FlagMismatch},
		{"bom", "text/html; charset=ISO-8859-1", "\xEF\xBB\xBFGrüße", "\xEF\xBB\xBFGrüße", "utf-8", ""},
		{"empty", "", "", "", "utf-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, name, flag, err := Text([]byte(tt.body), tt.ct)
			if err != nil {
				t.Fatal(err)
			}
			if name != tt.charset || flag != tt.flag {
				t.Errorf("charset %q flag %q, want %q %q", name, flag, tt.charset, tt.flag)
			}
			if string(got) != tt.want {
				t.Errorf("text %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzText(f *testing.F) {
	f.Add([]byte("caf\xe9"), "text/html; charset=iso-8859-1")
	f.Add([]byte("<meta charset=koi8-r>\xf0\xd2"), "")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		got, _, _, err := Text(body, ct)
		if err != nil {
			return
		}
		if len(got) > 3*len(body)+3 {
			t.Fatalf("decoded %d bytes to %d", len(body), len(got))
		}
	})
}
