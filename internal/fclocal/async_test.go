package fclocal

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// destinationRecord decodes the record a sink received, checking that its
// shape is exactly FC's (§2.4), with both payloads as JSON strings.
func destinationRecord(t *testing.T, inv Invocation) DestinationRecord {
	t.Helper()
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(inv.Event, &raw))
	assert.ElementsMatch(t, []string{"timestamp", "requestContext", "requestPayload", "responseContext", "responsePayload"}, keys(raw))
	var rc, resp map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw["requestContext"], &rc))
	assert.ElementsMatch(t, []string{"requestId", "functionArn", "condition", "approximateInvokeCount"}, keys(rc))
	require.NoError(t, json.Unmarshal(raw["responseContext"], &resp))
	assert.ElementsMatch(t, []string{"statusCode", "functionError"}, keys(resp))
	for _, k := range []string{"requestPayload", "responsePayload"} {
		assert.Equal(t, byte('"'), raw[k][0], "%s is a JSON string", k)
	}
	var rec DestinationRecord
	require.NoError(t, json.Unmarshal(inv.Event, &rec))
	assert.WithinDuration(t, time.Now(), time.UnixMilli(rec.Timestamp), time.Minute, "timestamp is epoch milliseconds")
	return rec
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A function that fails N times and then succeeds is invoked N+1 times,
// with x-fc-retry-count 0..N, and its onSuccess destination gets the record.
func TestAsyncRetriesThenSuccess(t *testing.T) {
	t.Parallel()
	r, rec := startTestRunner(t, testSYAML, 20*time.Millisecond)
	event := `{"failUntilRetry":2}`
	id, err := r.InvokeAsync("flaky", []byte(event), "")
	require.NoError(t, err)
	waitIdle(t, r, 20*time.Second)

	invs := rec.of("flaky")
	require.Len(t, invs, 3, "2 failures + 1 success")
	for i, inv := range invs {
		assert.Equal(t, id, inv.RequestID, "retries keep the request id")
		assert.Equal(t, i, inv.Retry, "x-fc-retry-count")
		assert.True(t, inv.Async)
		assert.Equal(t, 3, inv.MaxRetries)
	}
	for i := range 2 {
		require.NotNil(t, invs[i].Err)
		assert.Contains(t, invs[i].Err.ErrorMessage, fmt.Sprintf("failing at retry count %d", i), "the function saw the retry count")
		assert.Contains(t, invs[i].Next, fmt.Sprintf("retry %d/3", i+1))
	}
	require.True(t, invs[2].OK())
	var ans struct {
		RetryCount int    `json:"retryCount"`
		RequestID  string `json:"requestId"`
	}
	require.NoError(t, json.Unmarshal(invs[2].Payload, &ans))
	assert.Equal(t, 2, ans.RetryCount, "FcContext.RetryCount came from x-fc-retry-count")
	assert.Equal(t, id, ans.RequestID)
	assert.Equal(t, "onSuccess -> sink-ok", invs[2].Next)

	sink := rec.of("sink-ok")
	require.Len(t, sink, 1)
	assert.Equal(t, "destination:onSuccess:flaky", sink[0].Trigger)
	assert.True(t, sink[0].Async, "a destination is invoked asynchronously")
	assert.Equal(t, invs[2].DestinationRequestID, sink[0].RequestID)
	d := destinationRecord(t, sink[0])
	assert.Equal(t, id, d.RequestContext.RequestID)
	assert.Equal(t, "acs:fc:cn-hangzhou:123456789012:functions/flaky", d.RequestContext.FunctionARN)
	assert.Equal(t, "", d.RequestContext.Condition)
	assert.Equal(t, 3, d.RequestContext.ApproximateInvokeCount)
	assert.Equal(t, event, d.RequestPayload)
	assert.Equal(t, DestinationResponseContext{StatusCode: 200}, d.ResponseContext)
	assert.JSONEq(t, string(invs[2].Payload), d.ResponsePayload)
	assert.Empty(t, rec.of("sink-failed"))
}

// Retries exhausted: maxAsyncRetryAttempts+1 attempts, then the onFailure
// destination gets the record with the error.
func TestAsyncRetriesExhaustedOnFailure(t *testing.T) {
	t.Parallel()
	r, rec := startTestRunner(t, testSYAML, 10*time.Millisecond)
	event := `{"failUntilRetry":99}`
	id, err := r.InvokeAsync("flaky", []byte(event), "")
	require.NoError(t, err)
	waitIdle(t, r, 20*time.Second)

	invs := rec.of("flaky")
	require.Len(t, invs, 4, "the first attempt and maxAsyncRetryAttempts (3) retries")
	for i, inv := range invs {
		assert.Equal(t, i, inv.Retry)
		require.NotNil(t, inv.Err)
	}
	assert.Contains(t, invs[3].Next, "failed after 4 attempts; onFailure -> sink-failed")
	assert.Empty(t, rec.of("sink-ok"))
	sink := rec.of("sink-failed")
	require.Len(t, sink, 1)
	assert.Equal(t, "destination:onFailure:flaky", sink[0].Trigger)
	d := destinationRecord(t, sink[0])
	assert.Equal(t, id, d.RequestContext.RequestID)
	assert.Equal(t, ConditionHandledError, d.RequestContext.Condition)
	assert.Equal(t, 4, d.RequestContext.ApproximateInvokeCount)
	assert.Equal(t, event, d.RequestPayload)
	assert.Equal(t, 200, d.ResponseContext.StatusCode)
	assert.Contains(t, d.ResponseContext.FunctionError, "flaky: failing at retry count 3")
	var fe struct{ ErrorMessage, ErrorType string }
	require.NoError(t, json.Unmarshal([]byte(d.ResponsePayload), &fe), "responsePayload holds the error JSON")
	assert.Contains(t, fe.ErrorMessage, "retry count 3")
}

// An event older than maxAsyncEventAgeInSeconds is dropped (not run again)
// and reported to onFailure.
func TestAsyncEventAgeDrops(t *testing.T) {
	t.Parallel()
	// stale: 8 retries allowed, but events live 1 s; retries every 700 ms.
	r, rec := startTestRunner(t, testSYAML, 700*time.Millisecond)
	_, err := r.InvokeAsync("stale", []byte(`{"failUntilRetry":99}`), "")
	require.NoError(t, err)
	waitIdle(t, r, 20*time.Second)
	invs := rec.of("stale")
	require.Len(t, invs, 3, "two attempts (0 s, 0.7 s), then dropped at 1.4 s")
	assert.False(t, invs[0].Dropped)
	assert.False(t, invs[1].Dropped)
	assert.True(t, invs[2].Dropped)
	assert.Contains(t, invs[2].Outcome(), "over maxAsyncEventAgeInSeconds (1)")
	sink := rec.of("sink-failed")
	require.Len(t, sink, 1)
	d := destinationRecord(t, sink[0])
	assert.Equal(t, ConditionEventAge, d.RequestContext.Condition)
	assert.Equal(t, 2, d.RequestContext.ApproximateInvokeCount)
	assert.Contains(t, d.ResponseContext.FunctionError, "last error: errorString: flaky: failing at retry count 1")
}

// A synchronous invocation is never retried and has no destination.
func TestSyncNeverRetried(t *testing.T) {
	t.Parallel()
	r, rec := startTestRunner(t, testSYAML, 10*time.Millisecond)
	inv, err := r.Invoke(context.Background(), "flaky", []byte(`{"failUntilRetry":1}`), "")
	require.NoError(t, err)
	require.NotNil(t, inv.Err)
	assert.Equal(t, "errorString", inv.Err.ErrorType)
	assert.False(t, inv.Async)
	waitIdle(t, r, 5*time.Second)
	assert.Len(t, rec.all(), 1, "one attempt, no retry, no destination")

	ok, err := r.Invoke(context.Background(), "flaky", []byte(`{"hello":1}`), "")
	require.NoError(t, err)
	require.True(t, ok.OK())
	waitIdle(t, r, 5*time.Second)
	assert.Empty(t, rec.of("sink-ok"), "a sync success has no onSuccess either")

	_, err = r.InvokeAsync("flaky", make([]byte, MaxAsyncPayloadBytes+1), "")
	assert.ErrorContains(t, err, "128 KB")
	_, err = r.Invoke(context.Background(), "ghost", nil, "")
	assert.ErrorContains(t, err, `unknown function "ghost"`)
}

// A timeout is reported as FC does (the instance is discarded and replaced)
// and counts as an unhandled error; with maxAsyncRetryAttempts 0 it goes
// straight to onFailure.
func TestAsyncTimeoutOnFailure(t *testing.T) {
	t.Parallel()
	r, rec := startTestRunner(t, testSYAML, 10*time.Millisecond)
	_, err := r.InvokeAsync("slow", []byte(`{"sleepMs":3000}`), "")
	require.NoError(t, err)
	waitIdle(t, r, 20*time.Second)
	invs := rec.of("slow")
	require.Len(t, invs, 1, "maxAsyncRetryAttempts 0: no retry")
	require.NotNil(t, invs[0].Err)
	assert.Equal(t, "FunctionTimeout", invs[0].Err.ErrorType)
	sink := rec.of("sink-failed")
	require.Len(t, sink, 1)
	d := destinationRecord(t, sink[0])
	assert.Equal(t, ConditionUnhandledError, d.RequestContext.Condition)
	assert.Equal(t, 1, d.RequestContext.ApproximateInvokeCount)
	assert.Contains(t, d.ResponseContext.FunctionError, "FunctionTimeout")

	// The instance was replaced: the next invocation runs.
	inv, err := r.Invoke(context.Background(), "slow", []byte(`{}`), "")
	require.NoError(t, err)
	assert.True(t, inv.OK(), inv.Outcome())
	in, err := r.Instance("slow")
	require.NoError(t, err)
	assert.Equal(t, 1, in.Restarts())
}
