package fclocal

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
)

// eventSYAML: functions played by flakyfn, with EventBridge triggers of
// every kind the local bus tells apart.
const eventSYAML = `
edition: 3.0.0
name: fclocal-events
template:
  fn:
    region: cn-hangzhou
    runtime: go1
    handler: main
    code: ./code
    timeout: 10
resources:
  spotty:
    component: fc3
    extend: {name: fn}
    props:
      functionName: spotty
      triggers:
        - triggerName: spot
          triggerType: eventbridge
          triggerConfig:
            triggerEnable: true
            asyncInvocationType: true
            eventRuleFilterPattern: '{"source":["acs.ecs"],"type":["ecs:Instance:PreemptibleInstanceInterruption"]}'
            eventSourceConfig: {eventSourceType: Default}
  jobs:
    component: fc3
    extend: {name: fn}
    props:
      functionName: jobs
      triggers:
        - triggerName: done
          triggerType: eventbridge
          triggerConfig:
            triggerEnable: true
            asyncInvocationType: false
            eventRuleFilterPattern: '{"source":["batch.jobs"],"data":{"status":["succeeded",{"prefix":"ok"}]}}'
            eventSourceConfig: {eventSourceType: Default}
  quiet:
    component: fc3
    extend: {name: fn}
    props:
      functionName: quiet
      triggers:
        - triggerName: off
          triggerType: eventbridge
          triggerConfig:
            triggerEnable: false
            asyncInvocationType: true
            eventRuleFilterPattern: '{"source":["acs.ecs"]}'
            eventSourceConfig: {eventSourceType: Default}
        - triggerName: queue
          triggerType: eventbridge
          triggerConfig:
            triggerEnable: true
            asyncInvocationType: true
            eventRuleFilterPattern: '{"source":["acs.ecs"]}'
            eventSourceConfig: {eventSourceType: MNS}
        - triggerName: fancy
          triggerType: eventbridge
          triggerConfig:
            triggerEnable: true
            asyncInvocationType: true
            eventRuleFilterPattern: '{"source":[{"wildcard":"acs.*"}]}'
            eventSourceConfig: {eventSourceType: Default}
`

const spotEvent = `{"specversion":"1.0","id":"e-1","source":"acs.ecs","type":"ecs:Instance:PreemptibleInstanceInterruption",` +
	`"subject":"acs:ecs:cn-hangzhou:123456789012:instance/i-spot1","data":{"instanceId":"i-spot1","action":"delete"}}`

// An event reaches exactly the functions whose enabled default-bus
// triggers match it: asynchronously or synchronously as the trigger says,
// with the event itself as the payload; the others get nothing.
func TestPutEventDeliversToMatchingTriggersOnly(t *testing.T) {
	t.Parallel()
	r, rec := startTestRunner(t, eventSYAML, 10*time.Millisecond)

	routes := map[string]string{}
	for _, rt := range r.EventRoutes() {
		routes[rt.Function+"/"+rt.Trigger] = rt.Skip
	}
	assert.Equal(t, "", routes["spotty/spot"])
	assert.Equal(t, "", routes["jobs/done"])
	assert.Contains(t, routes["quiet/off"], "disabled")
	assert.Contains(t, routes["quiet/queue"], `event source "MNS"`)
	assert.Contains(t, routes["quiet/fancy"], `operator "wildcard" is not evaluated locally`)

	er, err := r.PutEvent([]byte(spotEvent))
	require.NoError(t, err)
	require.Len(t, er.Deliveries, 1, "the spot event matches one trigger: %+v", er)
	d := er.Deliveries[0]
	assert.Equal(t, "spotty", d.Function)
	assert.Equal(t, "spot", d.Trigger)
	assert.True(t, d.Async)
	assert.NoError(t, d.Err)
	assert.Equal(t, "acs:ecs:cn-hangzhou:123456789012:instance/i-spot1", er.About)
	assert.Contains(t, er.Line(), "-> spotty (trigger spot, async request "+d.RequestID+")")

	job := `{"specversion":"1.0","id":"j-1","source":"batch.jobs","type":"job:Completed","data":{"instanceIds":["i-a","i-b"],"status":"okay"}}`
	er, err = r.PutEvent([]byte(job))
	require.NoError(t, err)
	require.Len(t, er.Deliveries, 1)
	assert.Equal(t, "jobs", er.Deliveries[0].Function)
	assert.False(t, er.Deliveries[0].Async, "asyncInvocationType: false invokes synchronously")
	assert.Equal(t, "i-a, i-b", er.About)

	// Matched by no trigger: a failed job, another source.
	for _, ev := range []string{
		`{"specversion":"1.0","id":"j-2","source":"batch.jobs","type":"job:Completed","data":{"instanceId":"i-a","status":"failed"}}`,
		`{"specversion":"1.0","id":"x","source":"acs.oss","type":"oss:ObjectCreated:PutObject"}`,
	} {
		er, err := r.PutEvent([]byte(ev))
		require.NoError(t, err)
		assert.Empty(t, er.Deliveries, ev)
		assert.Contains(t, er.Line(), "no EventBridge trigger matches it")
	}
	for _, bad := range []string{`[` + spotEvent + `]`, `null`, `{"a":1} {"b":2}`, `not json`} {
		_, err := r.PutEvent([]byte(bad))
		assert.Error(t, err, bad)
	}
	waitIdle(t, r, 20*time.Second)

	spotty := rec.of("spotty")
	require.Len(t, spotty, 1)
	assert.Equal(t, "eventbridge:spot", spotty[0].Trigger)
	assert.True(t, spotty[0].Async)
	assert.Equal(t, DefaultMaxAsyncRetryAttempts, spotty[0].MaxRetries, "FC's async retries apply (fc3's default here)")
	assert.JSONEq(t, spotEvent, string(spotty[0].Event), "the payload is the event as put")
	var ans struct {
		Event json.RawMessage `json:"event"`
	}
	require.True(t, spotty[0].OK(), spotty[0].Outcome())
	require.NoError(t, json.Unmarshal(spotty[0].Payload, &ans))
	assert.JSONEq(t, spotEvent, string(ans.Event), "the function got the event itself")

	jobs := rec.of("jobs")
	require.Len(t, jobs, 1)
	assert.Equal(t, "eventbridge:done", jobs[0].Trigger)
	assert.False(t, jobs[0].Async)
	assert.Empty(t, rec.of("quiet"), "disabled, other-source and unevaluable triggers get nothing")
}

// The events an in-process emulator emits reach the real release function
// through s.yaml's spot-interrupted trigger: the spot interruption is
// answered with its receipt and snapshot, and nothing else is invoked.
func TestEmulatorEventsReachTheSubscribedTrigger(t *testing.T) {
	t.Parallel()
	deleted := true
	fleet := []ecsemu.Instance{{
		InstanceId: "i-spotevent1", InstanceName: "spot-1", SpotStrategy: "SpotAsPriceGo", CreationTime: "2026-01-01T00:00Z",
		Tags:  ecsemu.TagSet{Tag: []ecsemu.Tag{{TagKey: "ecs-release:managed", TagValue: "true"}}},
		Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Size: 50, DeleteWithInstance: &deleted}}},
	}}
	r, rec, emu := startRealRunner(t, fleet, 200*time.Millisecond, map[string]string{"DRY_RUN": "false", "SPOT_SNAPSHOT": "true"})
	stop := r.DeliverEmulatorEvents(emu, func(err error) { t.Error(err) })
	t.Cleanup(stop)
	require.NoError(t, emu.SpotInterrupt("i-spotevent1"))
	waitIdle(t, r, 60*time.Second)

	rel := rec.of("ecs-release")
	require.Len(t, rel, 1, "the interruption reached ecs-release once: %v", rec.all())
	inv := rel[0]
	assert.Equal(t, "eventbridge:spot-interrupted", inv.Trigger)
	assert.True(t, inv.Async, "asyncInvocationType: true")
	var ev ecsemu.Event
	require.NoError(t, json.Unmarshal(inv.Event, &ev), "the payload is the event in EventBridge's form")
	assert.Equal(t, ecsemu.EventSpotInterruption, ev.Type)
	require.True(t, inv.OK(), inv.Outcome())
	ans, _, ok := Answer(inv.Payload)
	require.True(t, ok)
	require.Len(t, ans.Instances, 1)
	o := ans.Instances[0]
	assert.Equal(t, "i-spotevent1", o.InstanceID)
	assert.Equal(t, codeSpotInterruption, o.Code)
	assert.Len(t, o.SnapshotIDs, 1, "SPOT_SNAPSHOT=true: the data disk's snapshot")
	assert.NotEmpty(t, o.Receipt)
	assert.Empty(t, rec.of("ecs-stop"), "no trigger of ecs-stop matches the event")
	assert.Empty(t, rec.of("ecs-autorelease"), "nor of ecs-autorelease")

	// After stop, the emulator's events go nowhere.
	stop()
	_, err := emu.AddInstances([]ecsemu.Instance{{InstanceId: "i-spotevent2", SpotStrategy: "SpotAsPriceGo"}})
	require.NoError(t, err)
	require.NoError(t, emu.SpotInterrupt("i-spotevent2"))
	waitIdle(t, r, 10*time.Second)
	assert.Len(t, rec.of("ecs-release"), 1, "unsubscribed")
}

// Event patterns, as EventBridge evaluates them.
func TestEventPatterns(t *testing.T) {
	t.Parallel()
	ev := func(s string) map[string]any {
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		require.NoError(t, d.Decode(&m))
		return m
	}
	base := `{"source":"acs.ecs","type":"ecs:Instance:PreemptibleInstanceInterruption","subject":"acs:ecs:cn-hangzhou:1:instance/i-a",` +
		`"aliyunregionid":"cn-hangzhou","data":{"instanceId":"i-a","action":"delete","count":5,"ip":"10.0.0.7","tags":["a","b"],"none":null}}`
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{`{"source":["acs.ecs"]}`, true},
		{`{"source":["acs.oss","acs.ecs"]}`, true},
		{`{"source":["ACS.ECS"]}`, false},
		{`{"source":["acs.ecs"],"type":["ecs:Instance:Other"]}`, false},
		{`{"data":{"action":["delete"]}}`, true},
		{`{"data":{"action":["stop"]}}`, false},
		{`{"data":{"missing":["x"]}}`, false},
		{`{"data":{"action":{"nested":["x"]}}}`, false},
		{`{"source":[{"prefix":"acs."}]}`, true},
		{`{"subject":[{"suffix":"/i-a"}]}`, true},
		{`{"type":[{"contains":"Preemptible"}]}`, true},
		{`{"type":[{"contains":"preemptible"}]}`, false},
		{`{"aliyunregionid":[{"anything-but":"cn-shanghai"}]}`, true},
		{`{"aliyunregionid":[{"anything-but":["cn-hangzhou","cn-beijing"]}]}`, false},
		{`{"aliyunregionid":[{"anything-but":{"prefix":"cn-"}}]}`, false},
		{`{"aliyunregionid":[{"anything-but":{"suffix":"-beijing"}}]}`, true},
		{`{"data":{"count":[5]}}`, true},
		{`{"data":{"count":[5.0]}}`, true},
		{`{"data":{"count":["5"]}}`, false},
		{`{"data":{"count":[{"numeric":[">",0,"<=",5]}]}}`, true},
		{`{"data":{"count":[{"numeric":["<",5]}]}}`, false},
		{`{"data":{"ip":[{"cidr":"10.0.0.0/24"}]}}`, true},
		{`{"data":{"ip":[{"cidr":"10.0.1.0/24"}]}}`, false},
		{`{"data":{"action":[{"exists":true}]}}`, true},
		{`{"data":{"missing":[{"exists":false}]}}`, true},
		{`{"data":{"action":[{"exists":false}]}}`, false},
		{`{"data":{"tags":["b"]}}`, true},
		{`{"data":{"tags":["c"]}}`, false},
		{`{"data":{"none":[null]}}`, true},
	} {
		p, err := parseEventPattern(tc.pattern)
		require.NoError(t, err, tc.pattern)
		assert.Equal(t, tc.want, p.match(ev(base)), tc.pattern)
	}
	for _, bad := range []string{
		`[]`, `null`, `{}`, `{"source":"acs.ecs"}`, `{"source":[]}`, `{"source":[["x"]]}`,
		`{"source":[{"wildcard":"acs.*"}]}`, `{"source":[{"prefix":1}]}`, `{"source":[{"prefix":"a","suffix":"b"}]}`,
		`{"n":[{"numeric":[">"]}]}`, `{"n":[{"numeric":["!",1]}]}`, `{"ip":[{"cidr":"::1/128"}]}`,
		`{"x":[{"anything-but":{"contains":"a"}}]}`, `{"x":[{"exists":"yes"}]}`,
	} {
		_, err := parseEventPattern(bad)
		assert.Error(t, err, bad)
	}
}
