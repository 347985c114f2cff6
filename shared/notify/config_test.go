package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/notify"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const (
	leakToken  = "LEAKtok3n"
	leakSecret = "SECleak5ecret"
)

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := notify.Load(env(nil))
	require.NoError(t, err)
	assert.False(t, c.Enabled())
	assert.Equal(t, map[string]bool{"actions": true, "failures": true, "warnings": true}, c.On)
	assert.Equal(t, "en", c.Lang)
	assert.Equal(t, "owner", c.OwnerTag)
	assert.Equal(t, 24*time.Hour, c.WarnBefore)
	assert.Empty(t, c.Secrets())
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	c, err := notify.Load(env(map[string]string{
		"NOTIFY_DINGTALK_URL":    "https://oapi.dingtalk.com/robot/send?access_token=" + leakToken,
		"NOTIFY_DINGTALK_SECRET": leakSecret,
		"NOTIFY_FEISHU_URL":      "https://open.feishu.cn/open-apis/bot/v2/hook/fs-0123456789",
		"NOTIFY_FEISHU_SECRET":   "fsSecret",
		"NOTIFY_WECOM_URL":       "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wc-key-123",
		"NOTIFY_SLACK_URL":       "https://hooks.slack.com/services/T000/B000/XXXXslacksecret",
		"NOTIFY_WEBHOOK_URL":     "http://127.0.0.1:9000/hook?token=whtoken",
		"NOTIFY_ON":              " Failures , previews ",
		"NOTIFY_LANG":            "ZH",
		"OWNER_TAG":              "team:owner",
		"WARN_BEFORE":            "0",
	}))
	require.NoError(t, err)
	assert.True(t, c.Enabled())
	assert.Equal(t, map[string]bool{"failures": true, "previews": true}, c.On)
	assert.Equal(t, "zh", c.Lang)
	assert.Equal(t, "team:owner", c.OwnerTag)
	assert.Zero(t, c.WarnBefore)
	s := c.Secrets()
	for _, want := range []string{
		leakToken, leakSecret, "fsSecret", "fs-0123456789", "/open-apis/bot/v2/hook/fs-0123456789", "wc-key-123",
		"/services/T000/B000/XXXXslacksecret", "XXXXslacksecret", "whtoken",
		"https://hooks.slack.com/services/T000/B000/XXXXslacksecret",
		"https://oapi.dingtalk.com/robot/send?access_token=" + leakToken,
	} {
		assert.Contains(t, s, want)
	}
	c2, err := notify.Load(env(map[string]string{"NOTIFY_ON": "all", "NOTIFY_WEBHOOK_URL": "http://[::1]:1/x"}))
	require.NoError(t, err)
	assert.Len(t, c2.On, 4)
}

func TestLoadNamesEveryBadVariableAndLeaksNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		vars    map[string]string
		name    string
		problem string
	}{
		{map[string]string{"NOTIFY_DINGTALK_URL": "https://oapi.dingtalk.com/robot/send?token=" + leakToken}, "NOTIFY_DINGTALK_URL", "access_token"},
		{map[string]string{"NOTIFY_DINGTALK_URL": "http://oapi.dingtalk.com/robot/send?access_token=" + leakToken}, "NOTIFY_DINGTALK_URL", "loopback"},
		{map[string]string{"NOTIFY_DINGTALK_URL": "oapi.dingtalk.com/robot/send?access_token=" + leakToken}, "NOTIFY_DINGTALK_URL", "https"},
		{map[string]string{"NOTIFY_DINGTALK_URL": "https://%zz/robot?access_token=" + leakToken}, "NOTIFY_DINGTALK_URL", "https"},
		{map[string]string{"NOTIFY_DINGTALK_SECRET": leakSecret}, "NOTIFY_DINGTALK_SECRET", "without NOTIFY_DINGTALK_URL"},
		{map[string]string{"NOTIFY_FEISHU_SECRET": leakSecret}, "NOTIFY_FEISHU_SECRET", "without NOTIFY_FEISHU_URL"},
		{map[string]string{"NOTIFY_FEISHU_URL": "https://open.feishu.cn/"}, "NOTIFY_FEISHU_URL", "path"},
		{map[string]string{"NOTIFY_WECOM_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?kee=" + leakToken}, "NOTIFY_WECOM_URL", "key"},
		{map[string]string{"NOTIFY_SLACK_URL": "ftp://hooks.slack.com/services/" + leakToken}, "NOTIFY_SLACK_URL", "https"},
		{map[string]string{"NOTIFY_WEBHOOK_URL": "https://user:" + leakSecret + "@example.com/" + leakToken}, "NOTIFY_WEBHOOK_URL", "user"},
		{map[string]string{"NOTIFY_WEBHOOK_URL": "http://10.0.0.1/" + leakToken}, "NOTIFY_WEBHOOK_URL", "loopback"},
		{map[string]string{"NOTIFY_ON": "actions,everything"}, "NOTIFY_ON", "everything"},
		{map[string]string{"NOTIFY_ON": ","}, "NOTIFY_ON", "comma list"},
		{map[string]string{"NOTIFY_LANG": "fr"}, "NOTIFY_LANG", "en or zh"},
		{map[string]string{"OWNER_TAG": "a=b"}, "OWNER_TAG", "tag key"},
		{map[string]string{"OWNER_TAG": strings.Repeat("k", 129)}, "OWNER_TAG", "tag key"},
		{map[string]string{"WARN_BEFORE": "-1h"}, "WARN_BEFORE", "duration"},
		{map[string]string{"WARN_BEFORE": "721h"}, "WARN_BEFORE", "duration"},
		{map[string]string{"WARN_BEFORE": "tomorrow"}, "WARN_BEFORE", "duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/"+tc.problem, func(t *testing.T) {
			t.Parallel()
			_, err := notify.Load(env(tc.vars))
			require.Error(t, err)
			msg := err.Error()
			assert.Contains(t, msg, tc.name)
			assert.Contains(t, msg, tc.problem)
			assert.NotContains(t, msg, leakToken)
			assert.NotContains(t, msg, leakSecret)
		})
	}
}

func TestLoadJoinsAllProblems(t *testing.T) {
	t.Parallel()
	_, err := notify.Load(env(map[string]string{
		"NOTIFY_WECOM_URL": "https://x.test/send", "NOTIFY_LANG": "de", "WARN_BEFORE": "x", "NOTIFY_FEISHU_SECRET": leakSecret,
	}))
	require.Error(t, err)
	for _, name := range []string{"NOTIFY_WECOM_URL", "NOTIFY_LANG", "WARN_BEFORE", "NOTIFY_FEISHU_SECRET"} {
		assert.Contains(t, err.Error(), name)
	}
	assert.NotContains(t, err.Error(), leakSecret)
}

func TestLoopbackHTTPAllowed(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://127.0.0.1:8080/x", "http://127.3.2.1/x", "http://localhost/x", "http://[::1]:9/x"} {
		_, err := notify.Load(env(map[string]string{"NOTIFY_WEBHOOK_URL": u}))
		assert.NoError(t, err, u)
	}
}

func outcomes(dry bool, outs ...string) *answer.Response {
	r := answer.NewResponse("req", "stop")
	r.DryRun = dry
	for i, o := range outs {
		r.Add(answer.InstanceOutcome{InstanceID: "i-" + string(rune('a'+i)), Outcome: o})
	}
	return r
}

func TestWants(t *testing.T) {
	t.Parallel()
	withWarning := outcomes(false, "skipped")
	withWarning.Warnings = []answer.Warning{{Code: answer.WarningReleaseSoon, InstanceID: "i-a"}}
	flagged := answer.NewResponse("req", "stop")
	flagged.Add(answer.InstanceOutcome{InstanceID: "i-a", Outcome: answer.OutcomeAlreadyStopped, Flags: []string{answer.FlagStoppedStillCharging}})
	failure := answer.NewResponse("req", "release")
	failure.Failure = &answer.FailureReport{Function: "release", Condition: "EventAgeExceeded", Advice: "retry"}
	responses := map[string]*answer.Response{
		"acted": outcomes(false, "released"), "cancelled": outcomes(false, "auto-release-cancelled"),
		"failed": outcomes(false, "failed"), "skipped": outcomes(false, "skipped", "already-stopped"),
		"warning": withWarning, "flagged": flagged, "failure": failure,
		"dry": outcomes(true, "would-release"), "dryFailed": outcomes(true, "failed"), "status": outcomes(false, "status"),
	}
	cases := map[string]map[string]bool{
		"":                 {"acted": true, "cancelled": true, "failed": true, "warning": true, "flagged": true, "failure": true},
		"actions":          {"acted": true, "cancelled": true},
		"failures":         {"failed": true, "failure": true},
		"warnings":         {"warning": true, "flagged": true},
		"previews":         {"dry": true, "dryFailed": true},
		"all":              {"acted": true, "cancelled": true, "failed": true, "warning": true, "flagged": true, "failure": true, "dry": true, "dryFailed": true},
		"failures,actions": {"acted": true, "cancelled": true, "failed": true, "failure": true},
	}
	for on, want := range cases {
		c, err := notify.Load(env(map[string]string{"NOTIFY_ON": on, "NOTIFY_WEBHOOK_URL": "https://example.test/h"}))
		require.NoError(t, err)
		for name, r := range responses {
			assert.Equal(t, want[name], c.Wants(r), "NOTIFY_ON=%q %s", on, name)
		}
		assert.False(t, c.Wants(nil))
	}
	off, err := notify.Load(env(map[string]string{"NOTIFY_ON": "all"}))
	require.NoError(t, err)
	assert.False(t, off.Wants(responses["acted"]), "no channel, nothing wanted")
}
