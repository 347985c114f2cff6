package request

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The two forms of one interruption (testdata/).
var (
	spotEventBridge  = "cloudevent-ecs-spot-interruption.json"
	spotCloudMonitor = "cloudmonitor-ecs-spot-interruption.json"
)

func fixture(t *testing.T, name string) string { return string(readFixture(t, name)) }

func TestSpotInterruptionDecodesInBothForms(t *testing.T) {
	t.Parallel()
	want := Request{Region: "cn-shanghai", InstanceIDs: []string{"i-uf6spot0001"}, SpotInterruption: SpotActionDelete}
	eb, cm := fixture(t, spotEventBridge), fixture(t, spotCloudMonitor)
	cases := []struct {
		name, event string
		source      Source
		eventID     string
	}{
		{"eventbridge", eb, SourceCloudEvent, "4c8e1f2a-7b3d-4e5f-9a6b-0c1d2e3f4a5b"},
		{"cloudmonitor", cm, SourceCloudMonitor, "2256A988-0B26-4E2B-820A-8A0000000E5"},
		{"cloudmonitor as cloudevent data", `{"specversion":"1.0","id":"e-2","source":"acs.ecs","type":"ecs:Instance:PreemptibleInstanceInterruption","data":` + cm + `}`, SourceCloudEvent, "e-2"},
		{"batch", `[` + eb + `]`, SourceCloudEventBatch, "4c8e1f2a-7b3d-4e5f-9a6b-0c1d2e3f4a5b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, err := Decode([]byte(tc.event), WithFunction(Release))
			require.NoError(t, err)
			assert.Equal(t, tc.source, inv.Source)
			assert.Equal(t, tc.source, Detect([]byte(tc.event)))
			require.Len(t, inv.Requests, 1)
			assert.Equal(t, want, inv.Requests[0])
			require.Len(t, inv.Events, 1)
			assert.Equal(t, tc.eventID, inv.Events[0].ID)
			assert.Equal(t, ECSSpotInterruptionType, inv.Events[0].Type)
			assert.Equal(t, DataECSEvent, inv.Events[0].Kind)
			assert.True(t, inv.Requests[0].IsSpotInterruption())
		})
	}
	inv, err := Decode([]byte(cm))
	require.NoError(t, err)
	assert.Equal(t, "2026-12-01T02:00:00Z", inv.Events[0].Time, "CloudMonitor's eventTime, in UTC")
}

func TestSpotInterruptionActions(t *testing.T) {
	t.Parallel()
	ev := func(data string) string {
		return `{"specversion":"1.0","id":"x","source":"acs.ecs","type":"ecs:Instance:PreemptibleInstanceInterruption","subject":"acs:ecs:cn-hangzhou:1:instance/i-a1","data":` + data + `}`
	}
	for _, tc := range []struct {
		name, event, want string
	}{
		{"delete", ev(`{"instanceId":"i-a1","action":"delete"}`), SpotActionDelete},
		{"stop", ev(`{"instanceId":"i-a1","action":"stop"}`), SpotActionStop},
		{"no action means delete", ev(`{"instanceId":"i-a1"}`), SpotActionDelete},
		{"content action", ev(`{"content":{"instanceId":"i-a1","action":"Stop"}}`), SpotActionStop},
	} {
		inv, err := Decode([]byte(tc.event), WithFunction(Release))
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, inv.Requests[0].SpotInterruption, tc.name)
	}
	// Another instance event is not a spot interruption, action or not.
	inv, err := Decode([]byte(`{"specversion":"1.0","source":"acs.ecs","type":"ecs:Instance:StateChange","subject":"acs:ecs:cn-hangzhou:1:instance/i-a1","data":{"state":"Stopped","action":"x"}}`))
	require.NoError(t, err)
	assert.False(t, inv.Requests[0].IsSpotInterruption())
}

func TestSpotInterruptionRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, event string
		fn          Function
		code, field string
	}{
		{"unknown action", `{"specversion":"1.0","source":"acs.ecs","type":"ecs:Instance:PreemptibleInstanceInterruption","data":{"instanceId":"i-a1","action":"hibernate"}}`, Release, CodeInvalidRequest, "data.action"},
		{"unknown action, cloudmonitor", `{"product":"ECS","name":"Instance:PreemptibleInstanceInterruption","resourceId":"acs:ecs:cn-hangzhou:1:instance/i-a1","content":{"action":"x"}}`, Release, CodeInvalidRequest, "content.action"},
		{"cloudmonitor without instance", `{"product":"ECS","name":"Instance:PreemptibleInstanceInterruption","content":{"action":"delete"}}`, Release, CodeInvalidRequest, "resourceId"},
		{"cloudmonitor of another product", fixture(t, "malformed/cloudmonitor-other-product.json"), Release, CodeUnsupportedEvent, "product"},
		{"cloudmonitor not about an instance", `{"product":"ECS","name":"Disk:Stalled","resourceId":"acs:ecs:cn-hangzhou:1:disk/d-1","content":{}}`, Release, CodeUnsupportedEvent, "name"},
		{"cloudmonitor instances disagree", `{"product":"ECS","name":"Instance:PreemptibleInstanceInterruption","resourceId":"acs:ecs:cn-hangzhou:1:instance/i-a1","content":{"instanceId":"i-b2"}}`, Release, CodeInvalidRequest, "content.instanceId"},
		{"to stop", fixture(t, spotEventBridge), Stop, CodeInvalidRequest, "data.spotInterruption"},
		{"to autorelease", fixture(t, spotCloudMonitor), AutoRelease, CodeInvalidRequest, "spotInterruption"},
		{"bare with force", `{"instanceIds":["i-a1"],"spotInterruption":"delete","force":true}`, Release, CodeInvalidRequest, "force"},
		{"bare with keepOnFailure", `{"instanceIds":["i-a1"],"spotInterruption":"delete","keepOnFailure":true}`, Release, CodeInvalidRequest, "keepOnFailure"},
		{"bare unknown value", `{"instanceIds":["i-a1"],"spotInterruption":"yes"}`, Release, CodeInvalidRequest, "spotInterruption"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tc.event), WithFunction(tc.fn))
			e, ok := AsError(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.field, e.Field)
		})
	}
}

func TestSpotInterruptionRequestRoundTrips(t *testing.T) {
	t.Parallel()
	inv, err := Decode([]byte(`{"instanceIds":["acs:ecs:cn-beijing:1234567890123456:instance/i-2ze1"],"spotInterruption":"delete","snapshot":true}`), WithFunction(Release))
	require.NoError(t, err)
	assert.Equal(t, SourceDirect, inv.Source)
	assert.Equal(t, Request{InstanceIDs: []string{"acs:ecs:cn-beijing:1234567890123456:instance/i-2ze1"}, SpotInterruption: SpotActionDelete, Snapshot: true}, inv.Requests[0])
}
