package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hand-fixed vectors (computed outside Go, with Python's hmac).
func TestSignKnownVectors(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "lkcPI1uoxBY1gUnCnnPH1Kkru0Hqjo7rFpA3haIVhEQ=", dingTalkSign("SEC123", 1700000000000))
	assert.Equal(t, "j/tImR0k8vYXRsYw0+GHVQkV1v/J/8obOuMU7PE/KDo=", feishuSign("SEC123", 1700000000))

	u, err := dingTalkURL("https://oapi.dingtalk.com/robot/send?access_token=abc", "SEC123", time.UnixMilli(1700000000000))
	require.NoError(t, err)
	assert.Contains(t, u, "sign=lkcPI1uoxBY1gUnCnnPH1Kkru0Hqjo7rFpA3haIVhEQ%3D")
	assert.Contains(t, u, "timestamp=1700000000000")
	assert.Contains(t, u, "access_token=abc")
}

// The documented algorithms, computed here independently.
func TestSignMatchesDocumentedAlgorithms(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"SEC123", "SECa/b+c=d", "中文secret"} {
		for _, ms := range []int64{0, 1700000000000, 1735689600123} {
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write([]byte(itoa64(ms) + "\n" + secret))
			want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
			assert.Equal(t, want, dingTalkSign(secret, ms))

			u, err := dingTalkURL("https://example.test/robot/send?access_token=t", secret, time.UnixMilli(ms))
			require.NoError(t, err)
			pu, err := url.Parse(u)
			require.NoError(t, err)
			assert.Equal(t, want, pu.Query().Get("sign"), "sign is URL-encoded once")
			assert.Equal(t, itoa64(ms), pu.Query().Get("timestamp"))

			sec := ms / 1000
			fm := hmac.New(sha256.New, []byte(itoa64(sec)+"\n"+secret))
			assert.Equal(t, base64.StdEncoding.EncodeToString(fm.Sum(nil)), feishuSign(secret, sec))
		}
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func TestUnsignedDingTalkURLIsUnchanged(t *testing.T) {
	t.Parallel()
	u, err := dingTalkURL("https://oapi.dingtalk.com/robot/send?access_token=abc", "", time.Now())
	require.NoError(t, err)
	assert.Equal(t, "https://oapi.dingtalk.com/robot/send?access_token=abc", u)
}

func TestSplitLines(t *testing.T) {
	t.Parallel()
	var long strings.Builder
	for range 3000 {
		long.WriteString("界")
	}
	text := "a\nbb\n" + long.String() + "\nccc"
	parts := splitLines(text, 100)
	for _, p := range parts {
		assert.LessOrEqual(t, len(p), 100)
		assert.True(t, utf8.ValidString(p), "no rune is split")
	}
	assert.Equal(t, "abb"+long.String()+"ccc", strings.ReplaceAll(strings.Join(parts, ""), "\n", ""))
	assert.Equal(t, "a\nbb", parts[0], "lines are kept whole when they fit")
}

func TestClassifyOwner(t *testing.T) {
	t.Parallel()
	for v, k := range map[string]OwnerKind{
		"": OwnerNone, "13800000000": OwnerMobile, "+8613800000000": OwnerMobile, "+4915112345678": OwnerMobile,
		"12345": OwnerUserID, "a@b.c": OwnerEmail, "alice@example.com": OwnerEmail, "a@b": OwnerName,
		"ou_7d8a6e6df7621556ce0d21922b676706": OwnerUserID, "U024BE7LH": OwnerUserID, "zhangsan": OwnerUserID,
		"all": OwnerName, "@all": OwnerName, "<@U1>": OwnerName, "Team Alpha": OwnerName, "张三": OwnerName,
	} {
		assert.Equal(t, k, ClassifyOwner(v).Kind, v)
	}
}
