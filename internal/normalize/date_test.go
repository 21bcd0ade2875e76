package normalize

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/pipeline"
)

func TestDateIn(t *testing.T) {
	// Capture: Tuesday 2016-11-29 14:46:07 UTC (the AlphaBay forum grid).
	captured := time.Date(2016, 11, 29, 14, 46, 7, 0, time.UTC)
	utc := pipeline.Locale{}
	dmy := pipeline.Locale{DateOrder: "DMY"}
	mdy := pipeline.Locale{DateOrder: "MDY"}
	moscow := pipeline.Locale{TimeZone: "Europe/Moscow"}
	plus3 := pipeline.Locale{TimeZone: "+03:00"}
	berlin := pipeline.Locale{DateOrder: "DMY", TimeZone: "Europe/Berlin"}
	for _, c := range []struct {
		raw     string
		loc     pipeline.Locale
		want    string // RFC 3339 in UTC, or a date when hasTime is false
		hasTime bool
	}{
		// ISO forms with a zone: the instant, converted to UTC.
		{"2017-11-21T22:05:00+0300", utc, "2017-11-21T19:05:00Z", true},
		{"2017-11-21T01:05:00+03:00", utc, "2017-11-20T22:05:00Z", true},
		{"2017-11-21T22:05:00Z", moscow, "2017-11-21T22:05:00Z", true},
		{"2019-04-02 18:48:33", utc, "2019-04-02T18:48:33Z", true},
		{"2019-04-02 18:48:33", moscow, "2019-04-02T15:48:33Z", true},
		{"2019-04-02 18:48:33", plus3, "2019-04-02T15:48:33Z", true},
		{"1 items sold since 2019-05-25 10:23:00", utc, "2019-05-25T10:23:00Z", true},
		{"2014-01-14 05:17:37", utc, "2014-01-14T05:17:37Z", true},
		{"2024-03-01", moscow, "2024-03-01", false},
		{"Registered: 2014-01-14", utc, "2014-01-14", false},
		// Epoch seconds (XenForo data-time).
		{"1511291100", utc, "2017-11-21T19:05:00Z", true},
		{"1480428727", moscow, "2016-11-29T14:12:07Z", true},
		// XenForo / IPS / MyBB / FluxBB.
		{"Nov 21, 2017 at 10:05 PM", utc, "2017-11-21T22:05:00Z", true},
		{"Nov 29, 2016 at 2:12 PM", utc, "2016-11-29T14:12:00Z", true},
		{"Mar 27, 2015 at 1:16 PM", berlin, "2015-03-27T12:16:00Z", true},
		{"Mar 27, 2015", utc, "2015-03-27", false},
		{"12-26-2016, 05:23 AM", utc, "2016-12-26T05:23:00Z", true},
		{"01-07-2017, 08:31 PM", mdy, "2017-01-07T20:31:00Z", true},
		{"(This post was last modified: 01-07-2017, 10:19 PM by zorrophreak .)", mdy, "2017-01-07T22:19:00Z", true},
		{"Today 04:19:01", utc, "2016-11-29T04:19:01Z", true},
		{"Today at 10:05 PM", utc, "2016-11-29T22:05:00Z", true},
		{"Yesterday at 8:32 PM", utc, "2016-11-28T20:32:00Z", true},
		{"Sunday at 9:19 PM", utc, "2016-11-27T21:19:00Z", true},
		{"Friday at 4:33 AM", utc, "2016-11-25T04:33:00Z", true},
		{"Tuesday at 4:33 AM", utc, "2016-11-22T04:33:00Z", true},
		{"Last edited: Aug 7, 2015", utc, "2015-08-07", false},
		// phpBB, SMF, vBulletin, IPS, and Russian and German forum forms.
		{"» Tue Nov 21, 2017 10:05 pm", utc, "2017-11-21T22:05:00Z", true},
		{"November 21, 2017, 10:05:33 PM", utc, "2017-11-21T22:05:33Z", true},
		{"21-11-2017, 10:05 PM", dmy, "2017-11-21T22:05:00Z", true},
		{"Posted November 21, 2017", utc, "2017-11-21", false},
		{"21.11.2017 в 12:30", moscow, "2017-11-21T09:30:00Z", true},
		{"21.11.2017 um 12:30 Uhr", berlin, "2017-11-21T11:30:00Z", true},
		{"Heute, 12:30", berlin, "2016-11-29T11:30:00Z", true},
		{"ayer a las 10:05", utc, "2016-11-28T10:05:00Z", true},
		{"dzisiaj, 12:30", utc, "2016-11-29T12:30:00Z", true},
		{"Last visit: Today 04:19:01", utc, "2016-11-29T04:19:01Z", true},
		{"2017-11-21T22:05:00+03", utc, "2017-11-21T19:05:00Z", true},
		{"Yesterday, 10pm", utc, "2016-11-28T22:00:00Z", true},
		{"Nov 21, 2017 10 PM EST", utc, "2017-11-22T03:00:00Z", true},
		// Numeric dates and the locale's order.
		{"06-03-2020", dmy, "2020-03-06", false},
		{"15-04-2020", utc, "2020-04-15", false},
		{"11/21/2017", utc, "2017-11-21", false},
		{"21.11.17 12:30", dmy, "2017-11-21T12:30:00Z", true},
		{"21.11.98", dmy, "1998-11-21", false},
		{"17/11/21", pipeline.Locale{DateOrder: "YMD"}, "2017-11-21", false},
		{"2020/04/15", utc, "2020-04-15", false},
		{"05/05/2020", utc, "2020-05-05", false},
		{"12-26-16", utc, "2016-12-26", false},
		{"21.11.2017", pipeline.Locale{DateOrder: "YMD"}, "2017-11-21", false}, // YMD cannot end in a 4-digit year
		// Month names in nine languages.
		{"21 ноября 2017", utc, "2017-11-21", false},
		{"21 ноября 2017 г. в 12:30", moscow, "2017-11-21T09:30:00Z", true},
		{"21. November 2017", utc, "2017-11-21", false},
		{"3. März 2018, 14:00", berlin, "2018-03-03T13:00:00Z", true},
		{"21 de noviembre de 2017", utc, "2017-11-21", false},
		{"le 1er décembre 2017 à 10h05", utc, "2017-12-01T10:05:00Z", true},
		{"21 november 2017", utc, "2017-11-21", false},
		{"21 listopada 2017", utc, "2017-11-21", false},
		{"21 de novembro de 2017", utc, "2017-11-21", false},
		{"21 novembre 2017", utc, "2017-11-21", false},
		{"5 mrt 2018", utc, "2018-03-05", false},
		{"19 Mar 2015", utc, "2015-03-19", false},
		{"09 Apr 2015", utc, "2015-04-09", false},
		{"March 1st, 2024", utc, "2024-03-01", false},
		{"sold since Jun 11, 2015", utc, "2015-06-11", false},
		{"Member since March, 2024", utc, "2024-03-01", false},
		{"Nov 21 at 10:05 PM", utc, "2016-11-21T22:05:00Z", true},
		{"Dec 21", utc, "2015-12-21", false},
		{"21 Nov 17", utc, "2017-11-21", false},
		{"Mon, 21 Nov 2017 22:05:00 +0300", utc, "2017-11-21T19:05:00Z", true},
		{"21 Nov 2017 22:05 MSK", utc, "2017-11-21T19:05:00Z", true},
		{"21 Nov 2017 22:05 UTC+3", utc, "2017-11-21T19:05:00Z", true},
		// Day words and ages.
		{"Вчера, 12:30", moscow, "2016-11-28T09:30:00Z", true},
		{"сегодня в 12:30", moscow, "2016-11-29T09:30:00Z", true},
		{"gestern", utc, "2016-11-28", false},
		{"gestern, 14:00", berlin, "2016-11-28T13:00:00Z", true},
		{"wczoraj", utc, "2016-11-28", false},
		{"ontem", utc, "2016-11-28", false},
		{"ieri", utc, "2016-11-28", false},
		{"hier à 10h05", utc, "2016-11-28T10:05:00Z", true},
		{"aujourd'hui", utc, "2016-11-29", false},
		{"hace 2 días", utc, "2016-11-27", false},
		{"il y a 3 jours", utc, "2016-11-26", false},
		{"3 dagen geleden", utc, "2016-11-26", false},
		{"vor 2 Tagen", utc, "2016-11-27", false},
		{"vor einer Stunde", utc, "2016-11-29T13:46:07Z", true},
		{"2 giorni fa", utc, "2016-11-27", false},
		{"há 2 dias", utc, "2016-11-27", false},
		{"2 dias atrás", utc, "2016-11-27", false},
		{"3 dni temu", utc, "2016-11-26", false},
		{"5 минут назад", utc, "2016-11-29T14:41:07Z", true},
		{"час назад", utc, "2016-11-29T13:46:07Z", true},
		{"3 days ago", utc, "2016-11-26", false},
		{"an hour ago", utc, "2016-11-29T13:46:07Z", true},
		{"2h ago", utc, "2016-11-29T12:46:07Z", true},
		{"some minutes ago", utc, "2016-11-29T14:45:07Z", true},
		{"1 day, 23 hours", utc, "2016-11-27T15:46:07Z", true},
		{"1 day ago", utc, "2016-11-28", false},
		{"2 weeks, 1 day", utc, "2016-11-14", false},
		{"3 days, 12 hours", utc, "2016-11-26T02:46:07Z", true},
		{"l'altro ieri", utc, "2016-11-27", false},
		{"5 years, 10 months", utc, "2011-01-29", false},
		{"Last seen: 2 hours ago", utc, "2016-11-29T12:46:07Z", true},
		{"just now", utc, "2016-11-29T14:46:07Z", true},
		{"только что", utc, "2016-11-29T14:46:07Z", true},
	} {
		got, hasTime, err := DateIn(c.raw, captured, c.loc)
		var gotS string
		if hasTime {
			gotS = got.Format(time.RFC3339)
		} else {
			gotS = got.Format(time.DateOnly)
		}
		if err != nil || gotS != c.want || hasTime != c.hasTime || got.Location() != time.UTC {
			t.Errorf("DateIn(%q, %+v) = %s (time %v), %v; want %s (time %v)", c.raw, c.loc, gotS, hasTime, err, c.want, c.hasTime)
		}
	}
}

func TestDateInErrors(t *testing.T) {
	captured := time.Date(2016, 11, 29, 14, 46, 7, 0, time.UTC)
	for _, c := range []struct {
		raw string
		loc pipeline.Locale
		at  time.Time
	}{
		{"03/04/2017", pipeline.Locale{}, captured}, // ambiguous without an order
		{"03-04-17", pipeline.Locale{}, captured},
		{"21.11.17", pipeline.Locale{}, captured}, // 21 Nov 2017 or 2021-11-17
		{"31/31/2017", pipeline.Locale{}, captured},
		{"31/02/2024", pipeline.Locale{DateOrder: "DMY"}, captured},
		{"2024-13-01", pipeline.Locale{}, captured},
		{"Mar 1889", pipeline.Locale{}, captured},
		{"yesterday", pipeline.Locale{}, time.Time{}}, // no capture time
		{"3 days ago", pipeline.Locale{}, time.Time{}},
		{"Dec 21", pipeline.Locale{}, time.Time{}},
		{"2024-03-01", pipeline.Locale{TimeZone: "Mars/Olympus"}, captured},
		{"2024-03-01 10:00", pipeline.Locale{TimeZone: "Local"}, captured},
		{"2024-03-01 10:00", pipeline.Locale{TimeZone: "+15:00"}, captured},
		{"2024-03-01", pipeline.Locale{DateOrder: "DDMM"}, captured},
		{"", pipeline.Locale{}, captured},
		{"never", pipeline.Locale{}, captured},
		{"3 parsecs ago", pipeline.Locale{}, captured},
		{"99999 days ago", pipeline.Locale{}, captured},
		{"a few days ago", pipeline.Locale{}, captured},
		{"25:61", pipeline.Locale{}, captured},
		{"2024-03-01 13:05 PM", pipeline.Locale{}, captured},
		{"Unlimited", pipeline.Locale{}, captured},
		{"Never", pipeline.Locale{}, captured},
		{"70Y", pipeline.Locale{}, captured}, // reaches before 1990
		{"Yesterday, 13pm", pipeline.Locale{}, captured},
		{"ends in 5 days", pipeline.Locale{}, captured},
		{"tomorrow at 10:05", pipeline.Locale{}, captured},
		{"123", pipeline.Locale{}, captured},
		{strings.Repeat("1", 5000), pipeline.Locale{}, captured},
	} {
		if got, _, err := DateIn(c.raw, c.at, c.loc); !errors.Is(err, ErrUnparsable) {
			t.Errorf("DateIn(%q, %+v) = %v, %v; want ErrUnparsable", c.raw, c.loc, got, err)
		}
	}
}

func pipelineLocale(order string) pipeline.Locale { return pipeline.Locale{DateOrder: order} }

func FuzzDateIn(f *testing.F) {
	for _, s := range []string{"2017-11-21T22:05:00+0300", "1511291100", "Nov 21, 2017 at 10:05 PM", "21 ноября 2017",
		"Вчера, 12:30", "hace 2 días", "il y a 3 jours", "3 dagen geleden", "1 day, 23 hours", "03/04/2017", "Sunday at 9:19 PM"} {
		f.Add(s, "")
		f.Add(s, "DMY")
	}
	captured := time.Date(2016, 11, 29, 14, 46, 7, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw, order string) {
		got, hasTime, err := DateIn(raw, captured, pipeline.Locale{DateOrder: order, TimeZone: "Europe/Moscow"})
		if err != nil {
			if !errors.Is(err, ErrUnparsable) {
				t.Fatalf("DateIn(%q): %v does not wrap ErrUnparsable", raw, err)
			}
			return
		}
		if got.Location() != time.UTC || got.Year() < minYear-1 || got.Year() > maxYear+1 {
			t.Fatalf("DateIn(%q) = %v", raw, got)
		}
		if !hasTime && (got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0) {
			t.Fatalf("DateIn(%q) = %v without a time but not at midnight", raw, got)
		}
	})
}

func BenchmarkDateIn(b *testing.B) {
	captured := time.Date(2016, 11, 29, 14, 46, 7, 0, time.UTC)
	dates := []string{"Nov 21, 2017 at 10:05 PM", "2017-11-21T22:05:00+0300", "1511291100", "21 ноября 2017", "Вчера, 12:30",
		"hace 2 días", "12-26-2016, 05:23 AM", "2014-01-14 05:17:37", "1 day, 23 hours", "Today at 10:05 PM"}
	loc := pipeline.Locale{DateOrder: "MDY", TimeZone: "Europe/Moscow"}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range dates {
			if _, _, err := DateIn(s, captured, loc); err != nil {
				b.Fatal(err)
			}
		}
	}
}
