package fetch

import (
	"bytes"
	"net/http"
	"regexp"
)

// Kinds of blocked page returned by Classify and kept in Page.Blocked.
const (
	BlockCaptcha   = "captcha"   // a challenge to prove a human is there
	BlockQueue     = "queue"     // a DDoS-protection filter or waiting queue
	BlockLogin     = "login"     // a login wall instead of the content
	BlockRateLimit = "ratelimit" // 429 with no other sign
)

// classifyWindow is how much of a body Classify looks at: block pages are
// small, and the markers sit near the top.
const classifyWindow = 256 << 10

// fewLinks is the link count under which a 2xx page may be a block page.
// Block pages carry a handful of links; listings, profiles and threads carry
// navigation, so a page that merely mentions "captcha" or "ddos" in a post
// is not mistaken for one.
const fewLinks = 15

var (
	// captchaElement is a captcha in the markup: an input, image, form or
	// widget whose name, id, class, src, alt or action says captcha.
	captchaElement = regexp.MustCompile(`(?:name|id|class|src|alt|action|for)\s*=\s*["']?[^"'>]*captcha`)
	passwordInput  = regexp.MustCompile(`<input[^>]*type\s*=\s*["']?password`)
	anchor         = regexp.MustCompile(`<a[\s>]`)
	metaRefresh    = regexp.MustCompile(`<meta[^>]*http-equiv\s*=\s*["']?refresh`)

	captchaText = []string{
		"captcha", "are you human", "are you a human", "verify you are human",
		"prove you are human", "i am not a robot", "i'm not a robot",
	}
	queueText = []string{
		"ddos", "d.d.o.s", "checking your browser", "you are in queue",
		"you are in the queue", "position in queue", "position in the queue",
		"queue position", "waiting room", "please wait while", "endgame",
	}
	loginText = []string{"login", "log in", "sign in", "signin", "logon"}
)

// Classify says whether a response is a block page rather than data, and
// which kind: BlockCaptcha, BlockQueue, BlockLogin, BlockRateLimit, or ""
// for a page to parse. It looks at the status and the first 256 KiB of the
// body; it never parses a page as data.
//
// On 401/403/429/503 any marker counts. On other statuses a page is only a
// block page when it also has few links (see fewLinks) and: for a captcha, a
// captcha element in its markup; for a queue, a queue or DDoS marker with
// "please wait", a meta refresh or a form; for a login wall, a password field
// and a login word.
func Classify(status int, body []byte) string {
	b := bytes.ToLower(body[:min(len(body), classifyWindow)])
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests, http.StatusServiceUnavailable:
		switch {
		case containsAny(b, captchaText) || captchaElement.Match(b):
			return BlockCaptcha
		case containsAny(b, queueText) || bytes.Contains(b, []byte("please wait")):
			return BlockQueue
		case passwordInput.Match(b):
			return BlockLogin
		case status == http.StatusTooManyRequests:
			return BlockRateLimit
		}
		return ""
	}
	if status >= 300 || len(anchor.FindAllIndex(b, fewLinks)) >= fewLinks {
		return ""
	}
	switch {
	case captchaElement.Match(b):
		return BlockCaptcha
	case (containsAny(b, queueText) || bytes.Contains(b, []byte("queue"))) &&
		(bytes.Contains(b, []byte("please wait")) || metaRefresh.Match(b) || bytes.Contains(b, []byte("<form"))):
		return BlockQueue
	case passwordInput.Match(b) && containsAny(b, loginText):
		return BlockLogin
	}
	return ""
}

func containsAny(b []byte, subs []string) bool {
	for _, s := range subs {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}
