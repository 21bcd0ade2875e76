package normalize

import (
	"errors"
	"regexp"
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

var (
	// monthAlt is any word: monthDate checks it is the month word the
	// window was opened for.
	monthAlt = `\pL+`
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

// monthDate finds a date written with a month name. The patterns run on
// a small window around each of the first four month words, so a long
// text costs no more than a short one.
func (d *dateCtx) monthDate(toks []dtok) (y, m, day int, rest string, found bool, err error) {
	s := d.s
	var best monthMatch
	try := func(mm monthMatch) {
		if !best.set || (mm.hasYear && !best.hasYear) || (mm.hasYear == best.hasYear && mm.start < best.start) {
			best = mm
		}
	}
	// year reads the optional year group at loc[g:g+2] into mm.
	year := func(mm *monthMatch, loc []int, g, monthEnd int) {
		if loc[g] < 0 {
			return
		}
		if digitGuard(s, loc[g], loc[g+1]) && !(loc[g+1] < len(s) && s[loc[g+1]] == ':') {
			mm.y, mm.hasYear = yearOf(s[loc[g]:loc[g+1]]), true
		} else {
			mm.end = monthEnd
		}
	}
	months := 0
	for _, t := range toks {
		mon := monthWords[t.s]
		if t.num || mon == 0 {
			continue
		}
		if months++; months > 4 {
			break
		}
		w0, w1 := max(0, t.start-16), min(len(s), t.end+24)
		win := s[w0:w1]
		for _, loc := range dayFirstRE.FindAllStringSubmatchIndex(win, 4) {
			shift(loc, w0)
			if loc[4] != t.start || loc[5] != t.end || !digitGuard(s, loc[2], loc[3]) {
				continue
			}
			mm := monthMatch{start: loc[0], end: loc[1], m: mon, set: true}
			mm.d, _ = strconv.Atoi(s[loc[2]:loc[3]])
			year(&mm, loc, 6, loc[5])
			try(mm)
		}
		for _, loc := range monthFirstRE.FindAllStringSubmatchIndex(win, 4) {
			shift(loc, w0)
			if loc[2] != t.start || loc[3] != t.end || !digitGuard(s, loc[4], loc[5]) || (loc[5] < len(s) && s[loc[5]] == ':') {
				continue
			}
			mm := monthMatch{start: loc[0], end: loc[1], m: mon, set: true}
			mm.d, _ = strconv.Atoi(s[loc[4]:loc[5]])
			year(&mm, loc, 6, loc[5])
			try(mm)
		}
		if best.hasYear {
			continue
		}
		for _, loc := range monthYearRE.FindAllStringSubmatchIndex(win, 4) {
			shift(loc, w0)
			if loc[2] != t.start || loc[3] != t.end || !digitGuard(s, loc[4], loc[5]) {
				continue
			}
			y, _ := strconv.Atoi(s[loc[4]:loc[5]])
			try(monthMatch{start: loc[0], end: loc[1], y: y, m: mon, d: 1, hasYear: true, set: true})
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

// shift moves submatch indexes found in a window starting at off to
// indexes of the whole text; -1 (no match) stays.
func shift(loc []int, off int) {
	for i := range loc {
		if loc[i] >= 0 {
			loc[i] += off
		}
	}
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
		"um": true, "uma": true, "один": true, "одна": true, "одну": true,
	}
	vagueWords = map[string]bool{
		"some": true, "few": true, "several": true, "einige": true, "paar": true, "unos": true, "unas": true,
		"quelques": true, "enkele": true, "kilka": true, "alguns": true, "algumas": true, "alcuni": true, "несколько": true,
	}
	// agoWords mark an age as being in the past.
	agoWords = map[string]bool{"ago": true, "back": true, "назад": true, "geleden": true, "temu": true, "fa": true,
		"atrás": true, "atras": true, "hace": true, "vor": true, "há": true, "ha": true, "earlier": true}
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
)
