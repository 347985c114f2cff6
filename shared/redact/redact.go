// Package redact keeps an invocation's secrets (the AccessKey secret and
// the STS token) out of everything it writes: log lines, answers, errors.
// A secret can reach text in many encodings on its way there — raw, in a
// signed URL (query- or path-escaped, ECS's percent-encoding in either hex
// case), percent-encoded twice (as in a string to sign), JSON-escaped (with
// or without HTML escaping), base64 — so a Redactor replaces every one of
// them with "***".
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strings"
	"unsafe"
)

// Mask replaces a secret.
const Mask = "***"

// Redactor replaces the forms of a set of secrets. The zero value and nil
// replace nothing.
type Redactor struct {
	forms []string
	repl  *strings.Replacer
	// escaped are the forms with percent escapes (upper-case hex), matched
	// whatever the case of the escapes in the text.
	escaped []string
}

// New returns a Redactor for the non-empty secrets.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, f := range Forms(s) {
			if f != "" && !slices.Contains(r.forms, f) {
				r.forms = append(r.forms, f)
			}
		}
	}
	// Longest first, so a form that contains another is replaced whole.
	slices.SortFunc(r.forms, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(r.forms))
	for _, f := range r.forms {
		pairs = append(pairs, f, Mask)
	}
	r.repl = strings.NewReplacer(pairs...)
	for _, f := range r.forms {
		if strings.IndexByte(f, '%') >= 0 && f == upperHex(f) {
			r.escaped = append(r.escaped, f)
		}
	}
	return r
}

// percentEncode is ECS's encoding of a signed parameter: URL query
// escaping with space as %20, '*' as %2A and '~' kept.
func percentEncode(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}

// lowerHex and upperHex write the hex digits of percent escapes in one
// case; nothing else changes, so offsets stay the same.
func lowerHex(s string) string { return hexCase(s, 'A', 'F', 'a'-'A') }
func upperHex(s string) string { return hexCase(s, 'a', 'f', 'A'-'a') }

func hexCase(s string, lo, hi byte, shift int) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] != '%' {
			continue
		}
		for j := i + 1; j <= i+2; j++ {
			if b[j] >= lo && b[j] <= hi {
				b[j] = byte(int(b[j]) + shift)
			}
		}
	}
	return string(b)
}

// Forms lists the encodings of a secret that a Redactor replaces.
func Forms(secret string) []string {
	pct := percentEncode(secret)
	html, _ := json.Marshal(secret)
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(secret)
	forms := []string{
		secret,
		url.QueryEscape(secret), lowerHex(url.QueryEscape(secret)),
		url.PathEscape(secret), lowerHex(url.PathEscape(secret)),
		pct, lowerHex(pct),
		percentEncode(pct), lowerHex(percentEncode(pct)),
		strings.Trim(string(html), `"`),
		strings.Trim(strings.TrimSpace(plain.String()), `"`),
	}
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		forms = append(forms, e.EncodeToString([]byte(secret)))
	}
	return forms
}

// String returns s with every form of every secret masked.
func (r *Redactor) String(s string) string {
	if r == nil || len(r.forms) == 0 {
		return s
	}
	// Most text holds no secret: it is looked at, not copied (a Replacer
	// copies whatever it is given, twice, and a fleet's release logs
	// 20,000 lines of a kilobyte).
	if r.holdsForm(s) {
		s = r.repl.Replace(s)
	}
	if len(r.escaped) == 0 || !hasLowerHexEscape(s) {
		return s
	}
	return r.maskEscapes(s, upperHex(s))
}

// maskEscapes masks the forms written with escapes in mixed case: it finds
// them in norm, s with its escapes upper-cased (same offsets), and masks
// the same ranges of s.
func (r *Redactor) maskEscapes(s, norm string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(norm); {
		match := ""
		for _, f := range r.escaped {
			if strings.HasPrefix(norm[i:], f) {
				match = f
				break
			}
		}
		if match == "" {
			i++
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(Mask)
		i += len(match)
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// holdsForm reports whether s holds any of the forms as it is.
func (r *Redactor) holdsForm(s string) bool {
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// hasLowerHexEscape reports whether upperHex would change s: a percent
// escape with a lower-case hex digit.
func hasLowerHexEscape(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0 && i+2 < len(s); {
		if isLowerHex(s[i+1]) || isLowerHex(s[i+2]) {
			return true
		}
		next := strings.IndexByte(s[i+1:], '%')
		if next < 0 {
			return false
		}
		i += 1 + next
	}
	return false
}

func isLowerHex(c byte) bool { return c >= 'a' && c <= 'f' }

// Writer returns w with every Write redacted. A slog handler writes a
// record in one Write, so a secret never straddles two.
func (r *Redactor) Writer(w io.Writer) io.Writer {
	if r == nil || len(r.forms) == 0 {
		return w
	}
	return writer{r: r, w: w}
}

type writer struct {
	r *Redactor
	w io.Writer
}

func (w writer) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return w.w.Write(p)
	}
	// The line is looked at in place, not copied (a fleet's release logs
	// 20,000 lines): String keeps nothing of s, and a line without a
	// secret, which String returns as it came, is written from p.
	s := unsafe.String(&p[0], len(p))
	out := w.r.String(s)
	if out == s {
		return w.w.Write(p)
	}
	if _, err := io.WriteString(w.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}
