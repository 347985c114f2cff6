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
			Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Category: "cloud_efficiency", Size: 100, DeleteWithInstance: new(false)}}}},
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

// warnings lists the release-soon warnings of an answer by instance.
func releaseSoon(resp *handler.Response) map[string]string {
	out := map[string]string{}
	for _, w := range resp.Warnings {
		if w.Code == answer.WarningReleaseSoon {
			out[w.InstanceID] = w.AutoReleaseTime
		}
	}
	return out
}

// The sweep warns an owner once per instance and auto-release time, and
// only of a time within WARN_BEFORE: again when the time changes, again
// when no channel took the warning, never for a dry run's tags.
func TestSweepWarnsOncePerInstanceAndTime(t *testing.T) {
	t.Parallel()
	w, sink := notifyWorld(t, nil)
	created := w.Env.Emu.Now().Add(-10 * time.Hour).Format("2006-01-02T15:04Z")
	w.Env.AddFleet(t,
		// Past its TTL: the sweep sets a time about 31 minutes ahead.
		ecsemu.Instance{InstanceId: "i-soon", InstanceName: "dev-soon", CreationTime: created, StartTime: created,
			Tags: tags("ecs-release:ttl", "4h", "owner", "13800000002")},
		// A week ahead: beyond WARN_BEFORE, no warning.
		ecsemu.Instance{InstanceId: "i-later", InstanceName: "dev-later", CreationTime: created, StartTime: created,
			Tags: tags("ecs-release:ttl", "7d", "owner", "13800000003")},
	)
	ar := handler.NewAutoRelease(w.Deps())
	first, err := w.invoke(ar, `{"sweep":true}`)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"i-soon": handler.OutcomeAutoReleaseSet, "i-later": handler.OutcomeAutoReleaseSet}, outcomes(first))
	soon := releaseSoon(first)
	require.Equal(t, []string{"i-soon"}, keys(soon))
	assert.Equal(t, outcomeOf(first, "i-soon").AutoReleaseTime, soon["i-soon"])
	warning := first.Warnings[0]
	assert.Equal(t, "13800000002", warning.Owner)
	assert.Contains(t, warning.Message, "ecs-release:protect=true", "says how to keep it")
	assert.Contains(t, warning.Message, `"cancel":true`)
	msgs := sink.Messages()
	require.NotEmpty(t, msgs)
	dt := messagesOn(msgs, notifysink.DingTalk)
	require.Len(t, dt, 1)
	assert.Contains(t, dt[0].Mentions, "13800000002")
	// i-later's owner is told of the action (a time a week ahead), not
	// warned.
	assert.Contains(t, dt[0].Mentions, "13800000003")
	in, _ := w.Env.Emu.Instance("i-soon")
	at, err := time.Parse(time.RFC3339, soon["i-soon"])
	require.NoError(t, err)
	assert.Equal(t, at.UTC().Format("2006-01-02T15:04Z"), tagValue(in, handler.ReleaseWarningMarker), "marked with the time warned of")
	later, _ := w.Env.Emu.Instance("i-later")
	assert.Empty(t, tagValue(later, handler.ReleaseWarningMarker))

	// The next sweep finds the same time: no second warning, no message.
	w.Advance(5 * time.Minute)
	sink.Reset()
	second, err := w.invoke(ar, `{"sweep":true}`)
	require.NoError(t, err)
	assert.Empty(t, releaseSoon(second))
	assert.Empty(t, messagesOn(sink.Messages(), notifysink.DingTalk), "warned once for this time")

	// Someone moves the time (the HTTP trigger): the next sweep finds a new
	// time within WARN_BEFORE and warns again.
	_, err = w.invoke(ar, `{"instanceIds":["i-soon"],"after":"3h"}`)
	require.NoError(t, err)
	sink.Reset()
	third, err := w.invoke(ar, `{"sweep":true}`)
	require.NoError(t, err)
	moved := releaseSoon(third)
	require.Contains(t, moved, "i-soon")
	assert.NotEqual(t, soon["i-soon"], moved["i-soon"])
	assert.Len(t, messagesOn(sink.Messages(), notifysink.DingTalk), 1)

	// When no channel takes it, the instance is not marked: the next sweep
	// warns again (nothing is lost).
	_, err = w.invoke(ar, `{"instanceIds":["i-soon"],"after":"4h"}`)
	require.NoError(t, err)
	for _, ch := range []string{notifysink.DingTalk, notifysink.Feishu, notifysink.WeCom, notifysink.Slack, notifysink.Webhook} {
		sink.SetFault(ch, notifysink.Fault{Status: 500})
	}
	down, err := w.invoke(ar, `{"sweep":true}`)
	require.NoError(t, err)
	require.Contains(t, releaseSoon(down), "i-soon")
	for _, ch := range []string{notifysink.DingTalk, notifysink.Feishu, notifysink.WeCom, notifysink.Slack, notifysink.Webhook} {
		sink.SetFault(ch, notifysink.Fault{})
	}
	sink.Reset()
	retried, err := w.invoke(ar, `{"sweep":true}`)
	require.NoError(t, err)
	assert.Equal(t, releaseSoon(down), releaseSoon(retried), "warned again after the channels failed")
	assert.Len(t, messagesOn(sink.Messages(), notifysink.DingTalk), 1)
}

// A dry-run sweep reports the warning in its answer but marks nothing and,
// by default (NOTIFY_ON without previews), sends nothing.
func TestDryRunSweepWarnsWithoutMarking(t *testing.T) {
	t.Parallel()
	w, sink := notifyWorld(t, map[string]string{"DRY_RUN": "true"})
	created := w.Env.Emu.Now().Add(-10 * time.Hour).Format("2006-01-02T15:04Z")
	w.Env.AddFleet(t, ecsemu.Instance{InstanceId: "i-soon", CreationTime: created, StartTime: created,
		Tags: tags("ecs-release:ttl", "4h", "owner", "13800000002")})
	resp, err := w.invoke(handler.NewAutoRelease(w.Deps()), `{"sweep":true}`)
	require.NoError(t, err)
	assert.Equal(t, handler.OutcomeWouldSetAutoRelease, outcomeOf(resp, "i-soon").Outcome)
	assert.Contains(t, releaseSoon(resp), "i-soon")
	assert.Empty(t, sink.Messages())
	assert.Empty(t, w.Env.Emu.MutatingCalls(), "a dry run changes nothing, not even the warning marker")
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func messagesOn(msgs []notifysink.Message, channel string) []notifysink.Message {
	var out []notifysink.Message
	for _, m := range msgs {
		if m.Channel == channel {
			out = append(out, m)
		}
	}
	return out
}

func tagValue(in ecsemu.Instance, key string) string {
	for _, t := range in.Tags.Tag {
		if t.TagKey == key {
			return t.TagValue
		}
	}
	return ""
}

// failureRecord is FC's onFailure destination record of an invocation of
// fn that failed with errorMessage after attempts tries.
func failureRecord(t *testing.T, fn, condition, errorMessage string, attempts int, requestPayload string) string {
	t.Helper()
	errPayload := mustJSON(t, map[string]string{"errorMessage": errorMessage, "errorType": "HandledInvocationError"})
	return mustJSON(t, map[string]any{
		"timestamp": 1795687201123,
		"requestContext": map[string]any{"requestId": "1-failed-0001", "functionArn": "acs:fc:cn-hangzhou:123456789012:functions/" + fn,
			"condition": condition, "approximateInvokeCount": attempts},
		"requestPayload":  requestPayload,
		"responseContext": map[string]any{"statusCode": 200, "functionError": errorMessage},
		"responsePayload": errPayload,
	})
}

// Every function answers a failure record with a report and a
// notification — the instances left, why, what to do — and acts on
// nothing, even when the record's request names instances that could be
// acted on.
func TestFailureRecordIsReportedNotActedOn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fn        string
		h         func(handler.Deps) *handler.Handler
		condition string
		advice    string
	}{
		{"ecs-release", handler.NewRelease, "HandledInvocationError", "Send them to ecs-release again"},
		{"ecs-stop", handler.NewStop, "UnhandledInvocationError", "run the stop again"},
		{"ecs-autorelease", handler.NewAutoRelease, "EventAgeExceeded", "FC dropped the event before it ran"},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			t.Parallel()
			w, sink := notifyWorld(t, nil)
			o := old(w)
			w.Env.AddFleet(t, ecsemu.Instance{InstanceId: "i-left1", CreationTime: o, StartTime: o}, ecsemu.Instance{InstanceId: "i-left2", CreationTime: o, StartTime: o})
			rec := failureRecord(t, tc.fn, tc.condition, "release: 2 instances unfinished, to be retried: i-left1 (Unfinished), i-left2 (Unfinished)", 4,
				`{"instanceIds":["i-left1","i-left2"],"reason":"job 42 done"}`)
			resp, err := w.invoke(tc.h(w.Deps()), rec)
			require.NoError(t, err, "a failure record is answered, never failed on")
			require.NotNil(t, resp.Failure)
			assert.Equal(t, tc.fn, resp.Failure.Function)
			assert.Equal(t, tc.condition, resp.Failure.Condition)
			assert.Equal(t, 4, resp.Failure.Attempts)
			assert.Equal(t, []string{"i-left1", "i-left2"}, resp.Failure.InstanceIDs)
			assert.Contains(t, resp.Failure.Request, "job 42 done")
			assert.Contains(t, resp.Failure.Advice, tc.advice)
			assert.Empty(t, resp.Instances)
			assert.Empty(t, w.Env.Emu.Calls(), "no ECS call at all")
			assert.True(t, exists(w, "i-left1"))
			dt := messagesOn(sink.Messages(), notifysink.DingTalk)
			require.Len(t, dt, 1)
			assert.Contains(t, dt[0].Text, "i-left1")
			assert.Contains(t, dt[0].Text, tc.condition)
		})
	}
}

// With an invalid configuration every invocation fails — except a failure
// record, which is answered (and notified, when the channels themselves
// are valid): failing it would send it round to itself until the
// configuration is fixed.
func TestFailureRecordAnsweredDespiteBadConfiguration(t *testing.T) {
	t.Parallel()
	w, sink := notifyWorld(t, map[string]string{"MAX_INSTANCES": "lots"})
	rec := failureRecord(t, "ecs-release", "HandledInvocationError", "invalid configuration: MAX_INSTANCES", 4, `{"instanceIds":["i-left1"]}`)
	resp, err := w.invoke(handler.NewRelease(w.Deps()), rec)
	require.NoError(t, err, "never failed on: no loop")
	require.NotNil(t, resp.Failure)
	assert.Contains(t, resp.Failure.Advice, "MAX_INSTANCES")
	assert.Equal(t, []string{"i-left1"}, resp.Failure.InstanceIDs)
	assert.Empty(t, w.Env.Emu.Calls())
	assert.Len(t, messagesOn(sink.Messages(), notifysink.DingTalk), 1)
	// Any other event still fails on the bad configuration.
	res := w.Handle(handler.NewRelease(w.Deps()), `{"instanceIds":["i-left1"]}`, handlertest.Call{})
	require.Error(t, res.Err)
	assert.Contains(t, res.Err.Error(), "MAX_INSTANCES")
}
