package handler_test

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/internal/notifysink"
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// Prices the notification tests set, so every figure is checked against
// arithmetic done here: 0.5 an hour for an ecs.g7.large's compute, and
// per GiB-hour 0.001 for ESSD PL1 and 0.0005 for ultra disks.
func testPrices() *ecsemu.PriceTable {
	return &ecsemu.PriceTable{
		InstanceTypes: map[string]float64{"ecs.g7.large": 0.5},
		Disks:         map[string]float64{"cloud_essd:PL1": 0.001, "cloud_efficiency": 0.0005},
	}
}

// notifyWorld is a world whose functions notify every channel of a local
// sink.
func notifyWorld(t *testing.T, vars map[string]string) (*world, *notifysink.Sink) {
	t.Helper()
	sink, err := notifysink.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(sink.Close)
	all := sink.Env()
	maps.Copy(all, vars)
	w := newWorld(t, ecsemu.Options{Prices: testPrices()}, all)
	return w, sink
}

func deleteWith(b bool) *bool { return &b }

// A release tells the owners, each in their own section, with the saving
// and what keeps billing; the answer carries the same figures, computed
// from DescribePrice.
func TestReleaseNotifiesOwnersWithSavings(t *testing.T) {
	t.Parallel()
	w, sink := notifyWorld(t, nil)
	o := old(w)
	w.Env.AddFleet(t,
		ecsemu.Instance{InstanceId: "i-alice1", InstanceName: "ci-alice-1", InstanceType: "ecs.g7.large", CreationTime: o, StartTime: o,
			Tags: tags("owner", "alice@example.com")},
		ecsemu.Instance{InstanceId: "i-bob1", InstanceName: "ci-bob-1", InstanceType: "ecs.g7.large", CreationTime: o, StartTime: o,
			Tags:  tags("owner", "13800000000"),
			Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Category: "cloud_efficiency", Size: 100, DeleteWithInstance: deleteWith(false)}}}},
		ecsemu.Instance{InstanceId: "i-nobody", InstanceName: "ci-orphan", InstanceType: "ecs.g7.large", CreationTime: o, StartTime: o},
	)
	resp, err := w.invoke(handler.NewRelease(w.Deps()), `{"instanceIds":["i-alice1","i-bob1","i-nobody"],"reason":"batch done"}`)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"i-alice1": handler.OutcomeReleased, "i-bob1": handler.OutcomeReleased, "i-nobody": handler.OutcomeReleased}, outcomes(resp))

	// Names and owners ride along.
	assert.Equal(t, "ci-alice-1", outcomeOf(resp, "i-alice1").Name)
	assert.Equal(t, "alice@example.com", outcomeOf(resp, "i-alice1").Owner)
	assert.Equal(t, "13800000000", outcomeOf(resp, "i-bob1").Owner)
	assert.Empty(t, outcomeOf(resp, "i-nobody").Owner)

	// Each was running: its compute (0.5) and its 40 GiB ESSD system disk
	// (0.04) are saved; bob's 100 GiB ultra data disk (0.05) stays.
	saved, still := resp.Summary.EstimatedSavings, resp.Summary.StillBilling
	require.NotNil(t, saved)
	require.NotNil(t, still)
	assert.Equal(t, "CNY", saved.Currency)
	assert.InDelta(t, 1.5, saved.Compute, 1e-9)
	assert.InDelta(t, 0.12, saved.Disks, 1e-9)
	assert.InDelta(t, 1.62, saved.PerHour, 1e-9)
	assert.Equal(t, 3, saved.Instances)
	assert.InDelta(t, 0.05, still.PerHour, 1e-9)
	assert.Equal(t, 1, still.Instances)
	require.Len(t, resp.Warnings, 1)
	wn := resp.Warnings[0]
	assert.Equal(t, answer.WarningStillBilling, wn.Code)
	assert.Equal(t, "i-bob1", wn.InstanceID)
	assert.Equal(t, "13800000000", wn.Owner)
	require.NotNil(t, wn.PerHour)
	assert.InDelta(t, 0.05, *wn.PerHour, 1e-9)
	assert.Len(t, wn.Resources, 1)
	assert.True(t, strings.HasPrefix(wn.Resources[0], "d-"), wn.Resources)

	// Every channel got the message; DingTalk mentions both owners it can
	// (a mobile and, in text, the email), grouped apart.
	msgs := sink.Messages()
	channels := map[string]notifysink.Message{}
	for _, m := range msgs {
		channels[m.Channel] = m
	}
	for _, ch := range []string{notifysink.DingTalk, notifysink.Feishu, notifysink.WeCom, notifysink.Slack, notifysink.Webhook} {
		m, ok := channels[ch]
		require.True(t, ok, "no message on %s: %v", ch, msgs)
		for _, name := range []string{"ci-alice-1", "ci-bob-1", "ci-orphan"} {
			assert.Contains(t, m.Text, name, ch)
		}
	}
	assert.Contains(t, channels[notifysink.DingTalk].Mentions, "13800000000")
	// The generic webhook carries the whole answer.
	var hook struct {
		Answer answer.Response `json:"answer"`
	}
	require.NoError(t, json.Unmarshal(channels[notifysink.Webhook].Body, &hook))
	assert.Equal(t, resp.Summary.EstimatedSavings, hook.Answer.Summary.EstimatedSavings)
	assert.Len(t, hook.Answer.Instances, 3)
	// No channel secret reached the logs or the answer.
	raw, _ := json.Marshal(resp)
	for _, s := range notifysink.Secrets() {
		assert.NotContains(t, w.LogText(), s)
		assert.NotContains(t, string(raw), s)
	}
}

// Channels that are down, slow or answer errors change nothing else: the
// same actions, the same answer, a WARN naming the channel, no secret.
func TestFailingSinksChangeNothingElse(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, fault *notifysink.Fault) (*handler.Response, *world) {
		w, sink := notifyWorld(t, nil)
		if fault != nil {
			for _, ch := range []string{notifysink.DingTalk, notifysink.Feishu, notifysink.WeCom, notifysink.Slack, notifysink.Webhook} {
				sink.SetFault(ch, *fault)
			}
		}
		o := old(w)
		w.Env.AddFleet(t, ecsemu.Instance{InstanceId: "i-a", InstanceType: "ecs.g7.large", CreationTime: o, StartTime: o, Tags: tags("owner", "alice")},
			ecsemu.Instance{InstanceId: "i-b", InstanceType: "ecs.g7.large", CreationTime: o, StartTime: o, Tags: tags("ecs-release:protect", "true")})
		resp, err := w.invoke(handler.NewRelease(w.Deps()), `{"instanceIds":["i-a","i-b"]}`)
		require.NoError(t, err)
		return resp, w
	}
	base, _ := run(t, nil)
	for name, fault := range map[string]notifysink.Fault{
		"down":          {Down: true},
		"http 500":      {Status: 500},
		"rate limited":  {Status: 429},
		"service error": {Code: 310000},
		"slow":          {Delay: 20 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp, w := run(t, &fault)
			assert.Equal(t, outcomes(base), outcomes(resp))
			assert.Equal(t, base.Summary, resp.Summary)
			assert.False(t, exists(w, "i-a"))
			assert.True(t, exists(w, "i-b"))
			warned := 0
			for _, rec := range w.LogRecords("") {
				if rec["level"] == "WARN" && rec["channel"] != nil {
					warned++
				}
			}
			assert.Positive(t, warned, "a failed channel is logged at WARN with its name")
			for _, s := range notifysink.Secrets() {
				assert.NotContains(t, w.LogText(), s)
			}
		})
	}
}

// A price that cannot be read never fails an action: the release goes
// through and the answer simply carries no figure.
func TestPriceReadFailureOmitsTheFigure(t *testing.T) {
	t.Parallel()
	w, _ := notifyWorld(t, nil)
	o := old(w)
	w.Env.AddFleet(t, ecsemu.Instance{InstanceId: "i-a", InstanceType: "ecs.g7.large", CreationTime: o, StartTime: o})
	w.Env.Emu.InjectError("DescribePrice", "InternalError", "the price service is down", 100)
	resp, err := w.invoke(handler.NewRelease(w.Deps()), `{"instanceIds":["i-a"]}`)
	require.NoError(t, err)
	assert.Equal(t, handler.OutcomeReleased, outcomeOf(resp, "i-a").Outcome)
	assert.False(t, exists(w, "i-a"))
	assert.Nil(t, resp.Summary.EstimatedSavings)
	assert.Nil(t, resp.Summary.StillBilling)
}

// A bad NOTIFY_* value fails the invocation before any ECS call, naming
// the variable and never its secret.
func TestBadNotifyConfigurationFailsFirst(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, value string }{
		{"NOTIFY_DINGTALK_URL", "http://oapi.dingtalk.com/robot/send?access_token=leakme123456"},
		{"NOTIFY_ON", "everything"},
		{"NOTIFY_LANG", "fr"},
		{"WARN_BEFORE", "soon"},
		{"NOTIFY_FEISHU_SECRET", "lonely-secret-123456"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, ecsemu.Options{}, map[string]string{tc.name: tc.value})
			o := old(w)
			w.Env.AddFleet(t, ecsemu.Instance{InstanceId: "i-a", CreationTime: o, StartTime: o})
			res := w.Handle(handler.NewRelease(w.Deps()), `{"instanceIds":["i-a"]}`, handlertest.Call{})
			require.Error(t, res.Err)
			assert.Contains(t, res.Err.Error(), tc.name)
			assert.NotContains(t, res.Err.Error(), "leakme123456")
			assert.NotContains(t, res.Err.Error(), "lonely-secret-123456")
			assert.NotContains(t, w.LogText(), "leakme123456")
			assert.NotContains(t, w.LogText(), "lonely-secret-123456")
			assert.Empty(t, w.Env.Emu.Calls(), "no ECS call before the configuration is valid")
			assert.True(t, exists(w, "i-a"))
		})
	}
}
