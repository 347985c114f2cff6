package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"
)

// dingTalkSign is DingTalk's signature for a timestamp in milliseconds:
// base64(HMAC-SHA256(key = secret, message = timestamp "\n" secret)), not
// yet URL-encoded.
func dingTalkSign(secret string, ms int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// dingTalkURL adds timestamp and sign to the robot's URL.
func dingTalkURL(raw, secret string, now time.Time) (string, error) {
	if secret == "" {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errBadURL
	}
	ms := now.UnixMilli()
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ms, 10))
	q.Set("sign", dingTalkSign(secret, ms))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// feishuSign is Feishu's signature for a timestamp in seconds: the roles
// are DingTalk's reversed, base64(HMAC-SHA256(key = timestamp "\n"
// secret, message = empty)).
func feishuSign(secret string, sec int64) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(sec, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
