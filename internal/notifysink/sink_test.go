package notifysink_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/notifysink"
)

func start(t *testing.T) *notifysink.Sink {
	t.Helper()
	s, err := notifysink.Start(":0")
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func post(t *testing.T, u, body string) (int, string) {
	t.Helper()
	res, err := http.Post(u, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func b64hmac(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

const dingBody = `{"msgtype":"markdown","markdown":{"title":"t","text":"hello @13800000000 and @ou1"},"at":{"atMobiles":["13800000000","13900000000"],"atUserIds":["ou1"],"isAtAll":false}}`

func TestDingTalkChecksTokenAndSignature(t *testing.T) {
	t.Parallel()
	s := start(t)
	s.SetSecret(notifysink.DingTalk, "SEC123")
	s.SetNow(func() time.Time { return time.UnixMilli(1700000000000).Add(30 * time.Minute) })
	base := s.URL() + "/dingtalk/robot/send?access_token=" + notifysink.DingTalkToken

	// The hand-fixed vector: secret SEC123, timestamp 1700000000000.
	_, body := post(t, base+"&timestamp=1700000000000&sign="+url.QueryEscape("lkcPI1uoxBY1gUnCnnPH1Kkru0Hqjo7rFpA3haIVhEQ="), dingBody)
	assert.JSONEq(t, `{"errcode":0,"errmsg":"ok"}`, body)
	msgs := s.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, notifysink.DingTalk, msgs[0].Channel)
	assert.Equal(t, []string{"13800000000", "ou1"}, msgs[0].Mentions, "only mentions named in the text ping")
	assert.Contains(t, msgs[0].Text, "hello")

	for name, q := range map[string]string{
		"no sign":  "",
		"bad sign": "&timestamp=1700000000000&sign=AAAA",
		"too old":  "&timestamp=1699990000000&sign=" + url.QueryEscape(b64hmac("SEC123", "1699990000000\nSEC123")),
	} {
		_, body := post(t, base+q, dingBody)
		assert.Contains(t, body, `"errcode":310000`, name)
	}
	_, body = post(t, s.URL()+"/dingtalk/robot/send?access_token=wrong", dingBody)
	assert.Contains(t, body, `"errcode":300001`)
	assert.Len(t, s.Messages(), 1, "refused posts are not recorded")
	assert.Equal(t, 5, s.Requests(notifysink.DingTalk))
}

func TestFeishuChecksSignature(t *testing.T) {
	t.Parallel()
	s := start(t)
	now := time.Now()
	s.SetNow(func() time.Time { return now })
	u := s.Env()["NOTIFY_FEISHU_URL"]
	ts := strconv.FormatInt(now.Unix(), 10)
	card := `"msg_type":"interactive","card":{"header":{"title":{"tag":"plain_text","content":"T"}},"elements":[{"tag":"div","text":{"tag":"lark_md","content":"hi <at id=ou_1></at> <at email=a@b.c></at>"}}]}`
	sign := b64hmac(ts+"\n"+notifysink.FeishuSecret, "")
	_, body := post(t, u, `{"timestamp":"`+ts+`","sign":"`+sign+`",`+card+`}`)
	assert.JSONEq(t, `{"code":0,"msg":"success","data":{}}`, body)
	require.Len(t, s.Messages(), 1)
	assert.Equal(t, []string{"ou_1", "a@b.c"}, s.Messages()[0].Mentions)

	_, body = post(t, u, `{"timestamp":"`+ts+`","sign":"`+b64hmac(notifysink.FeishuSecret, ts+"\n"+notifysink.FeishuSecret)+`",`+card+`}`)
	assert.Contains(t, body, `"code":19021`, "DingTalk's roles are refused")
	_, body = post(t, u, `{"timestamp":"`+ts+`","sign":"`+sign+`","msg_type":"text"}`)
	assert.Contains(t, body, `"code":9499`)
}

func TestWeComLimitAndKey(t *testing.T) {
	t.Parallel()
	s := start(t)
	u := s.Env()["NOTIFY_WECOM_URL"]
	msg := func(content string) string {
		b, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": content}})
		return string(b)
	}
	_, body := post(t, u, msg(strings.Repeat("界", 4096/3)+"a <@zhangsan>"))
	assert.Contains(t, body, `"errcode":40058`)
	_, body = post(t, u, msg(strings.Repeat("a", 4000)+" <@zhangsan>"))
	assert.JSONEq(t, `{"errcode":0,"errmsg":"ok"}`, body)
	assert.Equal(t, []string{"zhangsan"}, s.Messages()[0].Mentions)
	_, body = post(t, strings.Replace(u, notifysink.WeComKey, "nope", 1), msg("x"))
	assert.Contains(t, body, `"errcode":93000`)
}

func TestSlackAndWebhook(t *testing.T) {
	t.Parallel()
	s := start(t)
	env := s.Env()
	status, body := post(t, env["NOTIFY_SLACK_URL"], `{"text":"hi","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*Owner: <@U123>* &lt;@U9&gt; <!here>"}}]}`)
	assert.Equal(t, 200, status)
	assert.Equal(t, "ok", body)
	assert.Equal(t, []string{"U123", "all"}, s.Messages()[0].Mentions)
	status, body = post(t, env["NOTIFY_SLACK_URL"], `{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"`+strings.Repeat("x", 3001)+`"}}]}`)
	assert.Equal(t, 400, status)
	assert.Equal(t, "invalid_blocks", body)
	status, body = post(t, s.URL()+"/slack/services/T/B/wrong", `{"text":"x"}`)
	assert.Equal(t, 404, status)
	assert.Equal(t, "no_service", body)

	status, _ = post(t, env["NOTIFY_WEBHOOK_URL"], `{"summary":"s","answer":{}}`)
	assert.Equal(t, 200, status)
	status, _ = post(t, s.URL()+"/webhook/other", `{"summary":"s"}`)
	assert.Equal(t, 401, status)
	assert.Len(t, s.Messages(), 2)
	s.Reset()
	assert.Empty(t, s.Messages())
	assert.Zero(t, s.Requests(notifysink.Slack))
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := start(t)
	u := s.Env()["NOTIFY_WEBHOOK_URL"]

	s.SetFault(notifysink.Webhook, notifysink.Fault{Down: true, Times: 1})
	_, err := http.Post(u, "application/json", strings.NewReader(`{"summary":"s"}`))
	require.Error(t, err, "down: the connection closes unanswered")

	s.SetFault(notifysink.Webhook, notifysink.Fault{Status: 429, Times: 2})
	status, _ := post(t, u, `{"summary":"s"}`)
	assert.Equal(t, 429, status)
	status, _ = post(t, u, `{"summary":"s"}`)
	assert.Equal(t, 429, status)
	status, _ = post(t, u, `{"summary":"s"}`)
	assert.Equal(t, 200, status, "the fault ran out")

	s.SetFault(notifysink.WeCom, notifysink.Fault{Code: 45009})
	_, body := post(t, s.Env()["NOTIFY_WECOM_URL"], `{"msgtype":"markdown","markdown":{"content":"x"}}`)
	assert.Contains(t, body, `"errcode":45009`)

	// Slow: the client gives up; the sink stops waiting with it.
	s.SetFault(notifysink.Slack, notifysink.Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.Env()["NOTIFY_SLACK_URL"], strings.NewReader(`{"text":"x"}`))
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	s.SetFault(notifysink.Slack, notifysink.Fault{})
	status, _ = post(t, s.Env()["NOTIFY_SLACK_URL"], `{"text":"x"}`)
	assert.Equal(t, 200, status)
}

func TestEnvAndPretty(t *testing.T) {
	t.Parallel()
	s := start(t)
	env := s.Env()
	for _, k := range []string{"NOTIFY_DINGTALK_URL", "NOTIFY_DINGTALK_SECRET", "NOTIFY_FEISHU_URL", "NOTIFY_FEISHU_SECRET", "NOTIFY_WECOM_URL", "NOTIFY_SLACK_URL", "NOTIFY_WEBHOOK_URL"} {
		assert.NotEmpty(t, env[k], k)
	}
	s.SetSecret(notifysink.DingTalk, "")
	assert.NotContains(t, s.Env(), "NOTIFY_DINGTALK_SECRET")
	_, body := post(t, s.Env()["NOTIFY_DINGTALK_URL"], `{"msgtype":"markdown","markdown":{"title":"T","text":"#### Owner: @ou1\n- **web\\_1** (i-1): released"},"at":{"atUserIds":["ou1"]}}`)
	assert.Contains(t, body, `"errcode":0`)
	p := s.Messages()[0].Pretty()
	assert.Contains(t, p, "── dingtalk (mentions ou1) ──")
	assert.Contains(t, p, "  Owner: @ou1")
	assert.Contains(t, p, "  - web_1 (i-1): released")
}

func TestClosedSinkRefuses(t *testing.T) {
	t.Parallel()
	s, err := notifysink.Start("127.0.0.1:0")
	require.NoError(t, err)
	u := s.Env()["NOTIFY_WEBHOOK_URL"]
	s.Close()
	_, err = http.Post(u, "application/json", strings.NewReader(`{"summary":"s"}`))
	require.Error(t, err, "refused (or reset while the listener closes)")
}
