package request

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A destination record of a failed invocation is decoded as a failure
// record — carrying no request, so nothing can act on it — whatever its
// responsePayload holds (these two even carry a hand-over in next).
func TestFailureRecordsCarryNoRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, condition, err string
		status               int
	}{
		{"destination-failure-function-error.json", "UnhandledInvocationError", "deadline exceeded: 3 instances still Stopping", 200},
		{"destination-failure-status-500.json", "", "", 500},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			inv, err := Decode(readFixture(t, tc.file), WithFunction(Release))
			require.NoError(t, err)
			require.NotNil(t, inv.Failure)
			assert.Empty(t, inv.Requests, "a failure record is never acted on")
			assert.Equal(t, SourceDestination, inv.Source)
			assert.Equal(t, tc.condition, inv.Failure.Condition)
			assert.Equal(t, tc.status, inv.Failure.StatusCode)
			assert.Equal(t, tc.err, inv.Failure.Error)
			assert.Equal(t, "acs:fc:cn-hangzhou:123456789012:functions/ecs-stop", inv.Destination.FunctionARN)
			// The failed event is kept (unwrapped) for the report.
			inner, err := Decode(inv.Failure.RequestPayload)
			require.NoError(t, err)
			assert.Equal(t, SourceTimer, inner.Source)
		})
	}
}

// Which records are failures: a functionError, a status other than 200,
// or a failure condition; the rest go on to the hand-over rules.
func TestFailureRecordClassification(t *testing.T) {
	t.Parallel()
	next := `{"next":{"instanceIds":["i-abc"]}}`
	rec := func(condition string, status int, functionError, response string) []byte {
		return fmt.Appendf(nil, `{"timestamp":1,"requestContext":{"requestId":"r-1","functionArn":"acs:fc:cn-hangzhou:1:functions/ecs-stop","condition":%q,"approximateInvokeCount":3},
			"requestPayload":"{\"instanceIds\":[\"i-abc\"]}","responseContext":{"statusCode":%d,"functionError":%q},"responsePayload":%s}`, condition, status, functionError, response)
	}
	for _, tc := range []struct {
		name    string
		raw     []byte
		failure bool
	}{
		{"success", rec("", 200, "", next), false},
		{"unconfirmed success condition", rec("Success", 200, "", next), false},
		{"handled error", rec("HandledInvocationError", 200, "boom", `{"errorMessage":"release: 1 instance unfinished: i-abc (Unfinished)","errorType":"x"}`), true},
		{"unhandled error", rec("UnhandledInvocationError", 200, "", `""`), true},
		{"event too old", rec("EventAgeExceeded", 200, "", `""`), true},
		{"documented sample condition", rec("FunctionResourceExhausted", 200, "", next), true},
		{"unknown failure condition", rec("SomethingExceeded", 200, "", next), true},
		{"system error", rec("", 502, "", next), true},
		{"function error only", rec("", 200, "timeout", next), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, err := Decode(tc.raw)
			require.NoError(t, err)
			assert.Equal(t, tc.failure, inv.Failure != nil)
			assert.Equal(t, tc.failure, len(inv.Requests) == 0)
		})
	}
	inv, err := Decode(rec("HandledInvocationError", 200, "boom", `{"errorMessage":"release: 1 instance unfinished: i-abc (Unfinished)","errorType":"x"}`))
	require.NoError(t, err)
	assert.Equal(t, "release: 1 instance unfinished: i-abc (Unfinished)", inv.Failure.Error, "the error payload's message is the clearer one")
	assert.Equal(t, 3, inv.Destination.ApproximateInvokeCount)
}
