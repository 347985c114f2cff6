package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/notifysink"
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
	"github.com/fc-ecs-release/fc-ecs-release/shared/notify"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	sink *notifysink.Sink
	cfg  *notify.Config
	log  *syncBuffer
	clk  *clock.Fake
	n    *notify.Notifier
}

// newHarness starts a sink and a notifier pointed at it; extra variables
// override the sink's.
func newHarness(t *testing.T, extra map[string]string) *harness {
	t.Helper()
	s, err := notifysink.Start(":0")
	require.NoError(t, err)
	t.Cleanup(s.Close)
	vars := s.Env()
	maps.Copy(vars, extra)
	for k, v := range vars {
		if v == "" {
			delete(vars, k)
		}
	}
	cfg, err := notify.Load(env(vars))
	require.NoError(t, err)
	h := &harness{sink: s, cfg: cfg, log: &syncBuffer{}, clk: clock.NewFake(time.Now())}
	h.n = notify.New(cfg, notify.WithClock(h.clk), notify.WithLogger(slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	return h
}

// byChannel groups the sink's messages.
func byChannel(ms []notifysink.Message) map[string][]notifysink.Message {
	out := map[string][]notifysink.Message{}
	for _, m := range ms {
		out[m.Channel] = append(out[m.Channel], m)
	}
	return out
}

func sample() *answer.Response {
	r := answer.NewResponse("req-42", "release")
	r.Region, r.Trigger = "cn-hangzhou", "timer"
	r.Add(answer.InstanceOutcome{InstanceID: "i-web1", Name: "web-1", Owner: "13800000001", Outcome: answer.OutcomeReleased, Reason: "ttl expired"})
	r.Add(answer.InstanceOutcome{InstanceID: "i-db1", Name: "db-1", Owner: "zhangsan", Outcome: answer.OutcomeFailed, Code: "IncorrectInstanceStatus", Reason: "instance is busy"})
	r.Add(answer.InstanceOutcome{InstanceID: "i-ci1", Owner: "U024BE7LH", Outcome: answer.OutcomeStopping})
	r.Add(answer.InstanceOutcome{InstanceID: "i-tmp", Outcome: answer.OutcomeAutoReleaseSet, AutoReleaseTime: "2030-01-02T03:04:05Z"})
	r.Add(answer.InstanceOutcome{InstanceID: "i-skip", Outcome: answer.OutcomeSkipped, Code: "Protected"})
	perHour := 0.12
	r.Warnings = []answer.Warning{
		{Code: answer.WarningReleaseSoon, InstanceID: "i-mail", Name: "mail", Owner: "alice@example.com", AutoReleaseTime: "2030-01-02T00:00:00Z"},
		{Code: answer.WarningStillBilling, InstanceID: "i-web1", Owner: "13800000001", Resources: []string{"d-1", "eip-1"}, PerHour: &perHour, Currency: "CNY"},
	}
	r.Summary.EstimatedSavings = &answer.Money{PerHour: 2.41, Currency: "CNY", Instances: 2}
	r.Summary.StillBilling = &answer.Money{PerHour: 0.12, Currency: "CNY", Instances: 1}
	return r
}

func TestSendEveryChannelShape(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	res := h.n.Send(context.Background(), sample(), 5*time.Second)
	require.Len(t, res, 5)
	for _, r := range res {
		assert.True(t, r.Delivered, "%s: %v", r.Channel, r.Err)
		assert.Equal(t, 1, r.Attempts, r.Channel)
	}
	assert.True(t, notify.Delivered(res))
	msgs := byChannel(h.sink.Messages())

	var ding struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Title, Text string }
		At       struct {
			AtMobiles []string `json:"atMobiles"`
			AtUserIDs []string `json:"atUserIds"`
			IsAtAll   bool     `json:"isAtAll"`
		} `json:"at"`
	}
	require.Len(t, msgs["dingtalk"], 1)
	require.NoError(t, json.Unmarshal(msgs["dingtalk"][0].Body, &ding))
	assert.Equal(t, "markdown", ding.MsgType)
	assert.Equal(t, []string{"13800000001"}, ding.At.AtMobiles)
	assert.ElementsMatch(t, []string{"zhangsan", "U024BE7LH"}, ding.At.AtUserIDs)
	assert.False(t, ding.At.IsAtAll)
	assert.Contains(t, ding.Markdown.Text, "@13800000001")
	assert.Contains(t, ding.Markdown.Text, "@zhangsan")
	assert.Contains(t, ding.Markdown.Text, "IncorrectInstanceStatus")
	assert.Contains(t, ding.Markdown.Text, "CNY 2.41/hour")
	assert.Contains(t, ding.Markdown.Text, `{"instanceIds":["i-mail"],"after":"24h"}`)
	assert.Contains(t, ding.Markdown.Text, `{"instanceIds":["i-mail"],"cancel":true}`)
	assert.Contains(t, ding.Markdown.Text, "ecs-release:protect=true")
	assert.NotContains(t, ding.Markdown.Text, "i-skip", "skipped instances are only counted")

	var fs struct {
		Timestamp string `json:"timestamp"`
		Sign      string `json:"sign"`
		MsgType   string `json:"msg_type"`
		Card      struct {
			Header struct {
				Title    struct{ Tag, Content string }
				Template string
			}
			Elements []map[string]any
		}
	}
	require.Len(t, msgs["feishu"], 1)
	require.NoError(t, json.Unmarshal(msgs["feishu"][0].Body, &fs))
	assert.Equal(t, "interactive", fs.MsgType)
	assert.NotEmpty(t, fs.Sign)
	assert.NotEmpty(t, fs.Timestamp)
	assert.Equal(t, "red", fs.Card.Header.Template)
	assert.ElementsMatch(t, []string{"zhangsan", "U024BE7LH", "alice@example.com"}, msgs["feishu"][0].Mentions)
	assert.Contains(t, msgs["feishu"][0].Text, "<at id=zhangsan></at>")

	var wc struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Content string }
	}
	require.Len(t, msgs["wecom"], 1)
	require.NoError(t, json.Unmarshal(msgs["wecom"][0].Body, &wc))
	assert.Equal(t, "markdown", wc.MsgType)
	assert.ElementsMatch(t, []string{"zhangsan", "U024BE7LH"}, msgs["wecom"][0].Mentions)
	assert.Contains(t, wc.Markdown.Content, "13800000001", "mobiles are written plainly")

	var sl struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	require.Len(t, msgs["slack"], 1)
	require.NoError(t, json.Unmarshal(msgs["slack"][0].Body, &sl))
	assert.NotEmpty(t, sl.Text)
	assert.Equal(t, "header", sl.Blocks[0]["type"])
	assert.Equal(t, []string{"U024BE7LH"}, msgs["slack"][0].Mentions, "only Slack user IDs are mentioned")
	assert.Contains(t, msgs["slack"][0].Text, "zhangsan")

	var wh struct {
		Summary string          `json:"summary"`
		Answer  answer.Response `json:"answer"`
	}
	require.Len(t, msgs["webhook"], 1)
	require.NoError(t, json.Unmarshal(msgs["webhook"][0].Body, &wh))
	assert.Equal(t, "req-42", wh.Answer.RequestID)
	assert.Equal(t, 1, wh.Answer.Summary.Counts["released"])
	assert.Contains(t, wh.Summary, "alice@example.com")

	for _, m := range h.sink.Messages() {
		assert.NotEmpty(t, m.Pretty())
	}
}

func TestSendUnsignedRobots(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"NOTIFY_DINGTALK_SECRET": "", "NOTIFY_FEISHU_SECRET": ""})
	h.sink.SetSecret(notifysink.DingTalk, "")
	h.sink.SetSecret(notifysink.Feishu, "")
	res := h.n.Send(context.Background(), sample(), 5*time.Second)
	for _, r := range res {
		assert.True(t, r.Delivered, "%s: %v", r.Channel, r.Err)
	}
	var fs map[string]any
	require.NoError(t, json.Unmarshal(byChannel(h.sink.Messages())["feishu"][0].Body, &fs))
	assert.NotContains(t, fs, "sign")
}

func TestSendWrongSecretIsRefusedNotRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"NOTIFY_DINGTALK_SECRET": "SECwrong0123456789", "NOTIFY_FEISHU_SECRET": "wrongFeishu0123456"})
	res := h.n.Send(context.Background(), sample(), 5*time.Second)
	for _, r := range res {
		switch r.Channel {
		case notify.DingTalk, notify.Feishu:
			assert.False(t, r.Delivered)
			assert.Equal(t, 1, r.Attempts, "a sign mismatch is not retried")
		default:
			assert.True(t, r.Delivered, r.Channel)
		}
	}
	assert.Contains(t, resultErr(res, notify.DingTalk), "310000")
	assert.Contains(t, resultErr(res, notify.Feishu), "19021")
	assertNoSecrets(t, h, res, "SECwrong0123456789", "wrongFeishu0123456")
}

func resultErr(rs []notify.Result, channel string) string {
	for _, r := range rs {
		if r.Channel == channel && r.Err != nil {
			return r.Err.Error()
		}
	}
	return ""
}

// assertNoSecrets: no credential in the log or in an error.
func assertNoSecrets(t *testing.T, h *harness, res []notify.Result, extra ...string) {
	t.Helper()
	texts := []string{h.log.String()}
	for _, r := range res {
		if r.Err != nil {
			texts = append(texts, r.Err.Error())
		}
	}
	secrets := append(notifysink.Secrets(), extra...)
	for k, v := range h.sink.Env() {
		if strings.HasSuffix(k, "_URL") {
			u, _ := url.Parse(v)
			secrets = append(secrets, v)
			if u.RawQuery != "" {
				secrets = append(secrets, u.RawQuery)
			}
		}
	}
	for _, text := range texts {
		for _, s := range secrets {
			assert.NotContains(t, text, s)
		}
	}
}

func TestSendFaults(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		fault     notifysink.Fault
		budget    time.Duration
		delivered bool
		errText   string
	}{
		"down":           {notifysink.Fault{Down: true}, 2 * time.Second, false, "post"},
		"slow":           {notifysink.Fault{Delay: time.Minute}, 300 * time.Millisecond, false, "no answer in time"},
		"500":            {notifysink.Fault{Status: 500}, 5 * time.Second, false, "HTTP 500"},
		"429":            {notifysink.Fault{Status: 429}, 5 * time.Second, false, "HTTP 429"},
		"500 once":       {notifysink.Fault{Status: 500, Times: 1}, 5 * time.Second, true, ""},
		"busy code once": {notifysink.Fault{Code: 130101, Times: 1}, 5 * time.Second, true, ""},
		"sign code":      {notifysink.Fault{Code: 310000}, 5 * time.Second, false, "code 310000"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			h.sink.SetFault(notifysink.DingTalk, tc.fault)
			res := h.n.Send(context.Background(), sample(), tc.budget)
			slept, _ := h.clk.Slept()
			assert.LessOrEqual(t, slept, tc.budget, "backoff stays within the budget")
			require.Len(t, res, 5)
			for _, r := range res {
				if r.Channel != notify.DingTalk {
					assert.True(t, r.Delivered, "other channels deliver: %s %v", r.Channel, r.Err)
					continue
				}
				assert.Equal(t, tc.delivered, r.Delivered)
				assert.GreaterOrEqual(t, r.Attempts, 1)
				if tc.delivered {
					assert.Equal(t, 2, r.Attempts)
					assert.NoError(t, r.Err)
					continue
				}
				require.Error(t, r.Err)
				assert.Contains(t, r.Err.Error(), tc.errText)
				assert.Contains(t, h.log.String(), "level=WARN")
				assert.Contains(t, h.log.String(), "channel=dingtalk")
			}
			assertNoSecrets(t, h, res)
		})
	}
}

func TestSendRetriesWhileBudgetLasts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.sink.SetFault(notifysink.WeCom, notifysink.Fault{Status: 503})
	res := h.n.Send(context.Background(), sample(), 3*time.Second)
	var wc notify.Result
	for _, r := range res {
		if r.Channel == notify.WeCom {
			wc = r
		}
	}
	assert.False(t, wc.Delivered)
	assert.Greater(t, wc.Attempts, 2, "5xx is retried")
	assert.Equal(t, wc.Attempts, h.sink.Requests(notifysink.WeCom))
	slept, _ := h.clk.Slept()
	assert.LessOrEqual(t, slept, 3*time.Second)
}

func TestSendToAClosedSink(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.sink.Close()
	res := h.n.Send(context.Background(), sample(), 2*time.Second)
	require.Len(t, res, 5)
	assert.False(t, notify.Delivered(res))
	for _, r := range res {
		require.Error(t, r.Err)
		assert.Contains(t, r.Err.Error(), "post: ")
	}
	assert.Equal(t, 5, strings.Count(h.log.String(), "level=WARN"))
	assertNoSecrets(t, h, res)
}

func TestSendNothingWhenNotWanted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"NOTIFY_ON": "failures"})
	r := answer.NewResponse("req", "stop")
	r.Add(answer.InstanceOutcome{InstanceID: "i-1", Outcome: answer.OutcomeStopping})
	assert.Nil(t, h.n.Send(context.Background(), r, 5*time.Second))
	dry := answer.NewResponse("req", "stop")
	dry.DryRun = true
	dry.Add(answer.InstanceOutcome{InstanceID: "i-1", Outcome: answer.OutcomeFailed})
	assert.Nil(t, h.n.Send(context.Background(), dry, 5*time.Second), "a dry run needs previews")
	assert.Empty(t, h.sink.Messages())
}

func TestSendWithoutTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	res := h.n.Send(context.Background(), sample(), 0)
	require.Len(t, res, 5)
	for _, r := range res {
		assert.False(t, r.Delivered)
		assert.Zero(t, r.Attempts)
	}
	assert.Empty(t, h.sink.Messages())
}

func TestNilConfigSendsNothing(t *testing.T) {
	t.Parallel()
	assert.Nil(t, notify.New(nil).Send(context.Background(), sample(), time.Second))
}
