package normalize

import (
	"slices"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// maxAgo bounds how far back a relative date may reach.
const maxAgo = 100 * 365 * 24 * time.Hour

// Post turns an extracted post record into a post event. The posted date
// is read by DateIn against prov.ObservedAt in the site's locale and kept
// raw beside;
// the body is bounded by event.MaxDescription ("body:truncated"), but
// mentions are taken from all of it. Mentions:
// vendors from the mentions_vendors field (a comma list), markets from the
// mentions_markets field and from markets, names the body is searched for
// (case-insensitive, whole words: the titles of the configured sites),
// onion and crypto addresses and PGP keys found in the body and the
// pgp_key and crypto fields (FindMentions). A date that does not read is
// flagged "posted_at"; the record is never dropped. The board is the
// subforum field (the forum stays the source id); contacts are the typed
// handles of the contacts field, the body and the signature; the body and
// signature keep their line breaks. Post calls Finalize.
func Post(rec pipeline.Record, prov event.Provenance, markets []string) event.Post {
	var fl flags
	fs := fields{rec: rec, flags: &fl}
	p := event.Post{Provenance: prov}
	p.PostID = fs.text("post_id", event.MaxText)
	if p.PostID == "" {
		fl.add("post_id")
	}
	p.ThreadID = fs.text("thread_id", event.MaxText)
	p.ThreadTitle = fs.text("thread_title", event.MaxTitle)
	p.Board = fs.text("subforum", event.MaxText)
	p.Author = fs.text("author", event.MaxText)
	p.Body = fs.multiline("body", event.MaxDescription)
	p.PostedAt, p.PostedRaw = fs.date("posted_at", "posted_raw", prov.ObservedAt)
	p.AuthorTitle = fs.text("author_title", event.MaxText)
	p.AuthorPosts = fs.count("author_posts")
	p.AuthorJoined, p.AuthorJoinedRaw = fs.date("author_joined", "author_joined_raw", prov.ObservedAt)
	p.Signature = fs.multiline("signature", event.MaxDescription)
	if n := fs.count("post_number"); n != nil {
		p.PostNumber = *n
	}
	p.Contacts = typedContacts(fs, "contacts", "body", "signature")
	p.Attributes = attributes(fs, prov.ObservedAt)
	p.Mentions.Vendors = mentionList(fs, "mentions_vendors", "@")
	p.Mentions.Markets = mentionList(fs, "mentions_markets", "")
	// Mentions are searched for in the whole body (up to maxScanText), not
	// only in the part the event keeps, so none is lost to the bound.
	text, _, _ := fs.get("body")
	text = cut(text, maxScanText)
	for _, name := range markets {
		if mentionsName(text, name) {
			p.Mentions.Markets = appendNew(p.Mentions.Markets, name)
		}
	}
	for _, extra := range []string{"pgp_key", "crypto"} {
		if raw, _, ok := fs.get(extra); ok {
			text += "\n" + raw
		}
	}
	found := FindMentions(text)
	p.Mentions.Onions = found.Onions
	p.Mentions.Crypto = found.Crypto
	p.Mentions.PGP = found.PGPFingerprints
	p.Flags = fl
	p.Finalize()
	return p
}

// mentionList reads the comma list of names in field name: each name
// trimmed and without prefix, in order, without duplicates. A name longer
// than event.MaxText is left out and the field flagged; past maxListItems
// names the rest are left out and "<name>:truncated" flagged.
func mentionList(fs fields, name, prefix string) []string {
	raw, _, ok := fs.get(name)
	if !ok {
		return nil
	}
	var out []string
	for rest := raw; rest != ""; {
		var v string
		v, rest, _ = strings.Cut(rest, ",")
		v = strings.TrimPrefix(strings.TrimSpace(v), prefix)
		switch {
		case v == "" || slices.Contains(out, v):
		case len(v) > event.MaxText:
			fs.flags.add(name)
		case len(out) == maxListItems:
			fs.flags.add(name + ":truncated")
			return out
		default:
			out = append(out, v)
		}
	}
	return out
}

// mentionsName reports whether name occurs in text as whole words, case
// ignored.
func mentionsName(text, name string) bool {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > event.MaxText {
		return false
	}
	lt, ln := strings.ToLower(text), strings.ToLower(name)
	for i := 0; ; {
		j := strings.Index(lt[i:], ln)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(ln)
		if (start == 0 || !isNameByte(lt[start-1])) && (end == len(lt) || !isNameByte(lt[end])) {
			return true
		}
		i = start + 1
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 0x80
}
