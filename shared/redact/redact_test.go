package redact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/fc-ecs-release/fc-ecs-release/shared/redact"
)

const (
	secret = "s3cr+t/k&y=~*<x>"
	token  = "CAIS+token/with=reserved&chars"
)

func TestEveryEncodingIsMasked(t *testing.T) {
	t.Parallel()
	r := redact.New(secret, token, "")
	for _, s := range []string{secret, token} {
		for _, form := range []string{
			s,
			url.QueryEscape(s),
			url.PathEscape(s),
			strings.ReplaceAll(url.QueryEscape(s), "+", "%20"),
			strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d", "%26", "%26").Replace(url.QueryEscape(s)),
			url.QueryEscape(url.QueryEscape(s)),
			base64.StdEncoding.EncodeToString([]byte(s)),
		} {
			text := "before " + form + " after"
			assert.Equal(t, "before *** after", r.String(text), "form %d chars", len(form))
		}
		raw, _ := json.Marshal(map[string]string{"m": "x" + s})
		assert.NotContains(t, r.String(string(raw)), s[4:])
	}
	assert.Equal(t, "nothing here", r.String("nothing here"))
	var nilR *redact.Redactor
	assert.Equal(t, secret, nilR.String(secret))
}

func TestSignedURLIsMasked(t *testing.T) {
	t.Parallel()
	r := redact.New(secret, token)
	q := url.Values{"SecurityToken": {token}, "Action": {"DescribeInstances"}}
	line := "> POST /?" + q.Encode() + " HTTP/1.1"
	assert.Equal(t, "> POST /?Action=DescribeInstances&SecurityToken=*** HTTP/1.1", r.String(line))
}

func TestWriterMasksLogRecords(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(redact.New(secret, token).Writer(&buf), nil))
	log.Info("call failed", "error", fmt.Sprintf("502 for /?SecurityToken=%s", url.QueryEscape(token)), "detail", map[string]string{"secret": secret})
	out := buf.String()
	for _, form := range redact.Forms(token) {
		assert.NotContains(t, out, form)
	}
	for _, form := range redact.Forms(secret) {
		assert.NotContains(t, out, form)
	}
	assert.Contains(t, out, `"msg":"call failed"`, "the rest of the record is kept")
}
