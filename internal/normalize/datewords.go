package normalize

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Month names and abbreviations in the nine languages DateIn reads
// (English, Russian, German, Spanish, French, Dutch, Polish, Portuguese,
// Italian), nominative and genitive forms, lower case, without the dot.
var monthWords = func() map[string]int {
	m := map[string]int{}
	for i, names := range [12]string{
		"january jan январь января янв januar jänner jaenner enero ene janvier janv januari styczeń stycznia sty janeiro gennaio gen",
		"february feb febr февраль февраля фев февр februar febrero février fevrier févr fevr februari luty lutego lut fevereiro fev febbraio",
		"march mar март марта märz maerz mär mrz marzo mars maart mrt marzec marca março marco",
		"april apr апрель апреля апр abril abr avril avr kwiecień kwietnia kwi aprile",
		"may май мая mai mayo mei maj maja maio maggio mag",
		"june jun июнь июня июн juni junio juin czerwiec czerwca cze junho giugno giu",
		"july jul июль июля июл juli julio juillet juil lipiec lipca lip julho luglio lug",
		"august aug август августа авг agosto ago août aout augustus sierpień sierpnia sie",
		"september sep sept сентябрь сентября сен сент septiembre setiembre set septembre wrzesień września wrz setembro settembre",
		"october oct октябрь октября окт oktober okt octubre octobre październik października paź paz outubro out ottobre ott",
		"november nov ноябрь ноября ноя нояб noviembre novembre listopad listopada lis novembro",
		"december dec декабрь декабря дек dezember dez diciembre dic décembre déc decembre grudzień grudnia gru dezembro dicembre",
	} {
		for _, w := range strings.Fields(names) {
			m[w] = i + 1
		}
	}
	return m
}()

// alternation returns a regexp alternation of the words, longest first so
// the longest name wins.
func alternation(words []string) string {
	slices.SortFunc(words, func(a, b string) int {
		if d := len(b) - len(a); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = regexp.QuoteMeta(w)
	}
	return "(?:" + strings.Join(q, "|") + ")"
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

var (
	monthAlt = alternation(keysOf(monthWords))
	// "21 nov 2017", "21. november 2017", "21 de noviembre de 2017",
	// "1er novembre", "21st of November, 2017", "21 ноября 2017 г."
	dayFirstRE = regexp.MustCompile(`(\d{1,2})(?:st|nd|rd|th|er|º|°|\.)?\s*(?:de\s+|of\s+)?(` + monthAlt + `)\.?(?:,?\s*(?:de\s+|del\s+)?(\d{4}|'\d{2}|\d{2}\b))?`)
	// "nov 21, 2017", "november 21st 2017", "nov 21"
	monthFirstRE = regexp.MustCompile(`(` + monthAlt + `)\.?\s*(\d{1,2})(?:st|nd|rd|th)?(?:,?\s*(\d{4}|'\d{2}))?`)
	// "nov 2017", "march, 2024"
	monthYearRE = regexp.MustCompile(`(` + monthAlt + `)\.?,?\s*(\d{4})`)
)

// letterBefore and letterAt report whether s has a letter just before i
// or at i.
func letterBefore(s string, i int) bool {
	if i <= 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r)
}

func letterAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}

// monthMatch is a date found with a month name.
type monthMatch struct {
	start, end   int
	y, m, d      int
	hasYear, set bool
}

// monthDate finds a date written with a month name.
func (d *dateCtx) monthDate() (y, m, day int, rest string, found bool, err error) {
	s := d.s
	var best monthMatch
	try := func(mm monthMatch) {
		if !best.set || (mm.hasYear && !best.hasYear) || (mm.hasYear == best.hasYear && mm.start < best.start) {
			best = mm
		}
	}
	for _, loc := range dayFirstRE.FindAllStringSubmatchIndex(s, 8) {
		mEnd := loc[5]
		if !digitGuard(s, loc[2], loc[3]) || letterBefore(s, loc[4]) || letterAt(s, mEnd) && s[mEnd-1] != '.' {
			continue
		}
		mm := monthMatch{start: loc[0], end: loc[1], m: monthWords[s[loc[4]:loc[5]]], set: true}
		mm.d, _ = strconv.Atoi(s[loc[2]:loc[3]])
		if loc[6] >= 0 && digitGuard(s, loc[6], loc[7]) && !(loc[7] < len(s) && s[loc[7]] == ':') {
			mm.y, mm.hasYear = yearOf(s[loc[6]:loc[7]]), true
		} else if loc[6] >= 0 {
			mm.end = loc[5]
		}
		try(mm)
		break
	}
	for _, loc := range monthFirstRE.FindAllStringSubmatchIndex(s, 8) {
		if letterBefore(s, loc[2]) || !digitGuard(s, loc[4], loc[5]) || (loc[5] < len(s) && s[loc[5]] == ':') {
			continue
		}
		mm := monthMatch{start: loc[0], end: loc[1], m: monthWords[s[loc[2]:loc[3]]], set: true}
		mm.d, _ = strconv.Atoi(s[loc[4]:loc[5]])
		if loc[6] >= 0 && digitGuard(s, loc[6], loc[7]) && !(loc[7] < len(s) && s[loc[7]] == ':') {
			mm.y, mm.hasYear = yearOf(s[loc[6]:loc[7]]), true
		} else if loc[6] >= 0 {
			mm.end = loc[5]
		}
		try(mm)
		break
	}
	if !best.hasYear {
		for _, loc := range monthYearRE.FindAllStringSubmatchIndex(s, 8) {
			if letterBefore(s, loc[2]) || !digitGuard(s, loc[4], loc[5]) {
				continue
			}
			y, _ := strconv.Atoi(s[loc[4]:loc[5]])
			best = monthMatch{start: loc[0], end: loc[1], y: y, m: monthWords[s[loc[2]:loc[3]]], d: 1, hasYear: true, set: true}
			break
		}
	}
	if !best.set {
		return 0, 0, 0, "", false, nil
	}
	if !best.hasYear {
		if d.captured.IsZero() {
			return 0, 0, 0, "", false, errors.New("a date without a year needs the capture time")
		}
		best.y = d.yearFor(best.m, best.d)
	}
	return best.y, best.m, best.d, s[:best.start] + " " + s[best.end:], true, nil
}

func yearOf(tok string) int {
	tok = strings.TrimPrefix(tok, "'")
	v, _ := strconv.Atoi(tok)
	if len(tok) == 2 {
		return twoDigitYear(v)
	}
	return v
}

// yearFor is the year of the latest month/day not after the capture day
// (a day ahead is allowed for zone differences).
func (d *dateCtx) yearFor(m, day int) int {
	now := d.captured.In(d.zone)
	y := now.Year()
	if time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC).After(time.Date(y, now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)) {
		y--
	}
	return y
}

// dayWords are days named relative to the capture day: 0 today, 1
// yesterday, 2 the day before.
var dayWords = func() map[string]int {
	m := map[string]int{}
	for i, names := range []string{
		"today heute hoy aujourd'hui vandaag dzisiaj dziś dzis hoje oggi сегодня",
		"yesterday gestern ayer hier gisteren wczoraj ontem ieri вчера",
		"vorgestern anteayer antier avant-hier eergisteren przedwczoraj anteontem altroieri l'altro_ieri позавчера",
	} {
		for _, w := range strings.Fields(names) {
			m[strings.ReplaceAll(w, "_", " ")] = i
		}
	}
	return m
}()

// weekdayWords are weekday names; a date written as one is the latest
// such day before the capture day (forums write "Sunday at 9:19 PM" for
// the past week).
var weekdayWords = func() map[string]time.Weekday {
	m := map[string]time.Weekday{}
	for i, names := range [7]string{
		"sunday sun воскресенье sonntag domingo dimanche zondag niedziela niedzielę domenica",
		"monday mon понедельник montag lunes lundi maandag poniedziałek segunda segunda-feira lunedì lunedi",
		"tuesday tue tues вторник dienstag martes mardi dinsdag wtorek terça terca terça-feira terca-feira martedì martedi",
		"wednesday wed среда среду mittwoch miércoles miercoles mercredi woensdag środa środę quarta quarta-feira mercoledì mercoledi",
		"thursday thu thur thurs четверг donnerstag jueves jeudi donderdag czwartek quinta quinta-feira giovedì giovedi",
		"friday fri пятница пятницу freitag viernes vendredi vrijdag piątek sexta sexta-feira venerdì venerdi",
		"saturday sat суббота субботу samstag sonnabend sábado sabado samedi zaterdag sobota sobotę sabato",
	} {
		for _, w := range strings.Fields(names) {
			m[w] = time.Weekday(i)
		}
	}
	return m
}()

var dayWordRE = regexp.MustCompile(alternation(append(keysOf(dayWords), keysOf(weekdayWords)...)))

// dayWord finds "today", "yesterday" or a weekday in any of the nine
// languages.
func (d *dateCtx) dayWord() (y, m, day int, rest string, found bool, err error) {
	s := d.s
	for _, loc := range dayWordRE.FindAllStringIndex(s, 8) {
		if letterBefore(s, loc[0]) || letterAt(s, loc[1]) {
			continue
		}
		if d.captured.IsZero() {
			return 0, 0, 0, "", false, errors.New("a relative date needs the capture time")
		}
		w := s[loc[0]:loc[1]]
		now := d.captured.In(d.zone)
		back, ok := dayWords[w]
		if !ok {
			back = (int(now.Weekday()) - int(weekdayWords[w]) + 7) % 7
			if back == 0 {
				back = 7
			}
		}
		t := time.Date(now.Year(), now.Month(), now.Day()-back, 0, 0, 0, 0, time.UTC)
		return t.Year(), int(t.Month()), t.Day(), s[:loc[0]] + " " + s[loc[1]:], true, nil
	}
	return 0, 0, 0, "", false, nil
}

// ageUnits maps unit words of the nine languages to a unit: 's', 'm',
// 'h' (seconds, minutes, hours), 'D', 'W', 'M', 'Y' (days, weeks, months,
// years).
var ageUnits = func() map[string]byte {
	m := map[string]byte{}
	for unit, names := range map[byte]string{
		's': "s sec secs second seconds секунда секунды секунд секунду сек sekunde sekunden sek segundo segundos seconde secondes seconden sekunda sekundy sekundę secondo secondi",
		'm': "m min mins minute minutes минута минуты минут минуту мин minuten minuto minutos minuut minuta minuty minutę minuti",
		'h': "h hr hrs hour hours час часа часов ч stunde stunden std hora horas heure heures uur uren godzina godziny godzin godzinę ora ore",
		'D': "d day days день дня дней tag tage tagen día días dia dias jour jours dag dagen dzień dni giorno giorni",
		'W': "w wk wks week weeks неделя недели недель неделю woche wochen semana semanas semaine semaines weken tydzień tygodnie tygodni settimana settimane",
		'M': "mo mos month months месяц месяца месяцев monat monate monaten mes meses mês mois maand maanden miesiąc miesiące miesięcy mese mesi",
		'Y': "y yr yrs year years год года лет jahr jahre jahren año años ano anos an ans année années jaar jaren rok lata lat anno anni",
	} {
		for _, w := range strings.Fields(names) {
			m[w] = unit
		}
	}
	return m
}()

// countWords are words for one; vagueWords for "a few", read as one and
// only for seconds and minutes.
var (
	countWords = map[string]bool{
		"a": true, "an": true, "one": true, "ein": true, "eine": true, "einer": true, "einem": true, "einen": true,
		"un": true, "una": true, "uno": true, "une": true, "een": true, "jeden": true, "jedna": true, "jedną": true,
		"um": true, "uma": true, "un'": true, "один": true, "одна": true, "одну": true,
	}
	vagueWords = map[string]bool{
		"some": true, "few": true, "a few": true, "several": true, "einige": true, "ein paar": true, "unos": true, "unas": true,
		"quelques": true, "enkele": true, "kilka": true, "alguns": true, "algumas": true, "alcuni": true, "несколько": true,
	}
	// agoWords mark an age as being in the past.
	agoWords = []string{"ago", "back", "назад", "geleden", "temu", "fa", "atrás", "atras", "hace", "il y a", "vor", "há", "ha", "earlier"}
	// fillerWords may stand beside a bare age ("last seen: 1 day, 23 hours").
	fillerWords = map[string]bool{
		"last": true, "seen": true, "online": true, "active": true, "posted": true, "listed": true, "for": true,
		"vendor": true, "member": true, "since": true, "about": true, "over": true, "almost": true, "nearly": true,
		"approximately": true, "approx": true, "and": true, "und": true, "y": true, "et": true, "en": true, "i": true,
		"e": true, "и": true, "joined": true, "updated": true,
	}
	nowWords = map[string]bool{
		"now": true, "just now": true, "right now": true, "moments ago": true, "a moment ago": true, "jetzt": true,
		"gerade": true, "gerade eben": true, "soeben": true, "ahora": true, "ahora mismo": true, "à l'instant": true,
		"a l'instant": true, "maintenant": true, "zojuist": true, "nu": true, "teraz": true, "przed chwilą": true,
		"agora": true, "agora mesmo": true, "adesso": true, "proprio ora": true, "poco fa": true, "только что": true,
		"сейчас": true, "online now": true,
	}
	ageRE = regexp.MustCompile(`(?:(\d{1,6})\s*|(` + alternation(append(keysOf(countWords), keysOf(vagueWords)...)) + `)\s+)?(` + alternation(keysOf(ageUnits)) + `)`)
	agoRE = regexp.MustCompile(alternation(agoWords))
)

// relative reads "now" words and ages ("3 days ago", "1 day, 23 hours").
func (d *dateCtx) relative() (time.Time, bool, error) {
	s := strings.Trim(d.s, " .!:")
	if nowWords[s] {
		if d.captured.IsZero() {
			return d.fail("a relative date needs the capture time")
		}
		return d.captured.UTC(), true, nil
	}
	var (
		dur      time.Duration
		months   int
		days     int
		fine     bool // an age in seconds, minutes or hours
		n        int
		leftover strings.Builder
		prev     int
	)
	for _, loc := range ageRE.FindAllStringSubmatchIndex(s, 16) {
		if letterBefore(s, loc[0]) || letterAt(s, loc[1]) || (loc[0] > 0 && isDigit(s[loc[0]-1])) {
			continue
		}
		unitWord := s[loc[6]:loc[7]]
		count := 1
		switch {
		case loc[2] >= 0:
			count, _ = strconv.Atoi(s[loc[2]:loc[3]])
		case len(unitWord) <= 2 && unitWord != "ч":
			continue // "s", "m", "y" alone are no unit
		case loc[4] >= 0 && vagueWords[s[loc[4]:loc[5]]]:
			if u := ageUnits[unitWord]; u != 's' && u != 'm' {
				return d.fail("a vague age (\"a few\") is only read for seconds and minutes")
			}
		}
		if count > 100*366 {
			return d.fail("too far back")
		}
		leftover.WriteString(s[prev:loc[0]] + " ")
		prev = loc[1]
		n++
		switch ageUnits[unitWord] {
		case 's':
			dur += time.Duration(count) * time.Second
			fine = true
		case 'm':
			dur += time.Duration(count) * time.Minute
			fine = true
		case 'h':
			dur += time.Duration(count) * time.Hour
			fine = true
		case 'D':
			days += count
		case 'W':
			days += 7 * count
		case 'M':
			months += count
		case 'Y':
			months += 12 * count
		}
	}
	if n == 0 {
		return d.fail("no date in a known form")
	}
	leftover.WriteString(s[prev:])
	if !wordsOK(leftover.String()) && !onlyFillers(leftover.String()) {
		return d.fail("no date in a known form")
	}
	if d.captured.IsZero() {
		return d.fail("a relative date needs the capture time")
	}
	if months > 1200 || days > 36600 || dur > maxAgo {
		return d.fail("too far back")
	}
	now := d.captured.In(d.zone)
	if fine && days == 0 && months == 0 {
		return d.captured.UTC().Add(-dur), true, nil
	}
	t := now.AddDate(0, -months, -days).Add(-dur)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), false, nil
}

// wordsOK reports whether the text around an age holds an ago word as a
// whole word.
func wordsOK(s string) bool {
	for _, loc := range agoRE.FindAllStringIndex(s, 8) {
		if !letterBefore(s, loc[0]) && !letterAt(s, loc[1]) {
			return true
		}
	}
	return false
}

// onlyFillers reports whether the words of s are all filler words.
func onlyFillers(s string) bool {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
		if !fillerWords[w] {
			return false
		}
	}
	return true
}
