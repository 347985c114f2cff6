package request

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseInstanceRef(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ref, id, region string
		ok              bool
	}{
		{"i-bp1abc", "i-bp1abc", "", true},
		{"acs:ecs:cn-beijing:1234567890123456:instance/i-2ze1", "i-2ze1", "cn-beijing", true},
		{"acs:ecs:ap-southeast-1:1:instance/i-t4n9", "i-t4n9", "ap-southeast-1", true},
		{"acs:ecs:cn-beijing:*:instance/i-2ze1", "", "", false},
		{"acs:ecs:cn-beijing::instance/i-2ze1", "", "", false},
		{"acs:ecs::1:instance/i-2ze1", "", "", false},
		{"acs:ecs:cn-beijing:1:disk/d-1", "", "", false},
		{"acs:ecs:cn-beijing:1:instance/i-BAD", "", "", false},
		{"acs:ecs:CN-beijing:1:instance/i-a", "", "", false},
		{"acs:rds:cn-beijing:1:instance/i-a", "", "", false},
		{"i-", "", "", false},
	} {
		id, region, ok := ParseInstanceRef(tc.ref)
		assert.Equal(t, tc.ok, ok, tc.ref)
		assert.Equal(t, tc.id, id, tc.ref)
		assert.Equal(t, tc.region, region, tc.ref)
	}
}

// instanceIds may name instances by ARN; a malformed ARN is an error
// naming its entry.
func TestInstanceARNsInRequests(t *testing.T) {
	t.Parallel()
	inv, err := Decode(readFixture(t, "direct-instance-arns.json"), WithFunction(Release))
	require.NoError(t, err)
	assert.Equal(t, Request{Region: "cn-hangzhou", Reason: "two regions", InstanceIDs: []string{
		"i-bp1f3kz8x2t5w9q0abcd", "acs:ecs:cn-beijing:1234567890123456:instance/i-2ze7hsk1m0q8xv4dl3pz"}}, inv.Requests[0])

	// Round trip: a request with ARNs marshals and decodes back equal.
	raw, err := json.Marshal(inv.Requests[0])
	require.NoError(t, err)
	back, err := Decode(raw)
	require.NoError(t, err)
	assert.Equal(t, inv.Requests[0], back.Requests[0])

	for _, tc := range []struct {
		name, body, field string
	}{
		{"fixture", string(readFixture(t, "malformed/direct-bad-arn.json")), "instanceIds[1]"},
		{"not an ARN", `{"instanceIds":["i-a1","acs:ecs:cn-beijing:1:i-b2"]}`, "instanceIds[1]"},
		{"bad region", `{"instanceIds":["acs:ecs:Beijing:1:instance/i-b2"]}`, "instanceIds[0]"},
		{"bad account", `{"instanceIds":["acs:ecs:cn-beijing:acct:instance/i-b2"]}`, "instanceIds[0]"},
		{"bad id", `{"instanceIds":["acs:ecs:cn-beijing:1:instance/i-B2"]}`, "instanceIds[0]"},
		{"not an instance", `{"instanceIds":["acs:ecs:cn-beijing:1:disk/d-b2"]}`, "instanceIds[0]"},
		{"one instance in two regions", `{"instanceIds":["acs:ecs:cn-beijing:1:instance/i-b2","i-a1","acs:ecs:cn-shanghai:1:instance/i-b2"]}`, "instanceIds[2]"},
	} {
		_, err := Decode([]byte(tc.body), WithFunction(Release))
		e, ok := AsError(err)
		require.True(t, ok, "%s: %v", tc.name, err)
		assert.Equal(t, CodeInvalidRequest, e.Code, tc.name)
		assert.Equal(t, tc.field, e.Field, tc.name)
	}
	// In an HTTP body the field is where it sits in the event.
	_, err = Decode([]byte(`{"version":"v1","rawPath":"/","body":"{\"instanceIds\":[\"acs:ecs:X:1:instance/i-a\"]}","requestContext":{"http":{"method":"POST"}}}`), WithFunction(Release))
	e, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, "body.instanceIds[0]", e.Field)
}

// One instance named bare and by ARN counts once, with the ARN's region;
// exact repeats are dropped as before.
func TestInstanceRefsDedupe(t *testing.T) {
	t.Parallel()
	arn := "acs:ecs:cn-beijing:1:instance/i-b2"
	for _, tc := range []struct {
		in, want []string
	}{
		{[]string{"i-b2", "i-a1", arn}, []string{arn, "i-a1"}},
		{[]string{arn, "i-b2", "i-a1"}, []string{arn, "i-a1"}},
		{[]string{"i-a1", "i-a1", arn, arn}, []string{"i-a1", arn}},
	} {
		raw, err := json.Marshal(map[string]any{"instanceIds": tc.in})
		require.NoError(t, err)
		inv, err := Decode(raw)
		require.NoError(t, err)
		assert.Equal(t, tc.want, inv.Requests[0].InstanceIDs, "%v", tc.in)
	}
}

// Job records and status queries take ARNs too.
func TestInstanceARNsInJobRecordsAndQueries(t *testing.T) {
	t.Parallel()
	arn := "acs:ecs:cn-beijing:1234567890123456:instance/i-b2"
	inv, err := Decode([]byte(`{"specversion":"1.0","id":"j","source":"batch","type":"job:Completed","data":{"instanceId":"`+arn+`","status":"succeeded"}}`), WithFunction(Release))
	require.NoError(t, err)
	assert.Equal(t, []string{arn}, inv.Requests[0].InstanceIDs)

	inv, err = Decode([]byte(`{"version":"v1","rawPath":"/","queryParameters":{"instanceId":"i-a1,`+arn+`"},"requestContext":{"http":{"method":"GET"}}}`), WithFunction(AutoRelease))
	require.NoError(t, err)
	assert.Equal(t, []string{"i-a1", arn}, inv.Query.InstanceIDs)
	_, err = Decode([]byte(`{"version":"v1","rawPath":"/","queryParameters":{"instanceId":"acs:ecs:cn-beijing:1:instance/x"},"requestContext":{"http":{"method":"GET"}}}`), WithFunction(AutoRelease))
	e, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, "queryParameters.instanceId", e.Field)
}
