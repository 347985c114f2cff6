package fclocal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseNotifySink(t *testing.T) {
	t.Parallel()
	got, err := ParseNotifySink(" DingTalk, slack,dingtalk ")
	require.NoError(t, err)
	assert.Equal(t, []string{"dingtalk", "slack"}, got)
	got, err = ParseNotifySink("all")
	require.NoError(t, err)
	assert.Equal(t, []string{"dingtalk", "feishu", "wecom", "slack", "webhook"}, got)
	got, err = ParseNotifySink("none")
	require.NoError(t, err)
	assert.Empty(t, got)
	_, err = ParseNotifySink("dingtalk,teams")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"teams"`)
}

// Every channel the functions are configured with is stood in for by the
// local sink (its own secret kept, so the signatures it checks are the
// ones the functions compute), the others are turned off: no message
// leaves the machine.
func TestNotifySinkStandsInForConfiguredChannels(t *testing.T) {
	t.Parallel()
	p, err := LoadFile(repoSYAML, noEnv)
	require.NoError(t, err)
	overrides := map[string]string{
		"NOTIFY_FEISHU_URL":    "https://open.feishu.cn/open-apis/bot/v2/hook/real-hook-id",
		"NOTIFY_FEISHU_SECRET": "my-feishu-secret",
	}
	ns, err := StartNotifySink(p, overrides, []string{"webhook"})
	require.NoError(t, err)
	require.NotNil(t, ns)
	defer ns.Close()
	assert.Equal(t, []string{"feishu", "webhook"}, ns.Channels)
	assert.Contains(t, ns.Env["NOTIFY_FEISHU_URL"], ns.Sink.URL())
	assert.Equal(t, "my-feishu-secret", ns.Env["NOTIFY_FEISHU_SECRET"])
	assert.Contains(t, ns.Env["NOTIFY_WEBHOOK_URL"], ns.Sink.URL())
	for _, k := range []string{"NOTIFY_DINGTALK_URL", "NOTIFY_WECOM_URL", "NOTIFY_SLACK_URL"} {
		assert.Empty(t, ns.Env[k], k)
	}
	none, err := StartNotifySink(p, map[string]string{}, nil)
	require.NoError(t, err)
	assert.Nil(t, none, "no channel, no sink")
}
