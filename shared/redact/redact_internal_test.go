package redact

import (
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maskEverywhere is String without its shortcuts: every text through the
// Replacer, every text with a percent sign through the upper-cased copy.
// String must give the same answer for every text.
func (r *Redactor) maskEverywhere(s string) string {
	s = r.repl.Replace(s)
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	norm := upperHex(s)
	if norm == s {
		return s
	}
	return r.maskEscapes(s, norm)
}

// Seeded texts made of secrets' forms, pieces of them, percent escapes in
// either case and plain text: String, which skips the Replacer for text
// without a form and the case folding for text without a lower-case
// escape, masks exactly what the full passes mask.
func TestShortcutsMaskWhatTheFullPassesMask(t *testing.T) {
	t.Parallel()
	secrets := []string{"s3cr+t/k&y=~*<x>", "CAIS+token/with=reserved&chars", "abc%def"}
	r := New(secrets...)
	var pieces []string
	for _, f := range r.forms {
		pieces = append(pieces, f, f[:len(f)/2], f[len(f)/2:], strings.ToLower(f), strings.ToUpper(f))
	}
	pieces = append(pieces, "%", "%2", "%2b", "%2B", "%3d", "%zz", "a", "f", "{\"m\":\"", "\"}", " ", "plain text ")
	rng := rand.New(rand.NewPCG(17, 4))
	masked := 0
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		text := b.String()
		want := r.maskEverywhere(text)
		require.Equal(t, want, r.String(text), "text %q", text)
		if want != text {
			masked++
		}
	}
	assert.Greater(t, masked, 1000, "the texts must hold secrets often enough to test the masking")
}

// A log line without a secret is written as it came: no copy of it is
// made on the way.
func TestACleanLineIsNotCopied(t *testing.T) {
	r := New("s3cr+t/k&y=~*<x>", "CAIS+token/with=reserved&chars")
	w := r.Writer(io.Discard)
	line := []byte(`{"time":"2026-12-01T08:18:04.308Z","level":"INFO","msg":"release receipt","instanceId":"i-zwk1b182tvjzjpezi4hx","receipt":{"instance":{"instanceId":"i-zwk1b182tvjzjpezi4hx","regionId":"cn-hangzhou","url":"/a%2Fb"}}}` + "\n")
	allocs := testing.AllocsPerRun(200, func() {
		_, _ = w.Write(line)
	})
	assert.Zero(t, allocs)
}
