package request

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestDecodeFixtures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file     string
		source   Source
		requests string // JSON array, one element per request
		check    func(t *testing.T, inv *Invocation)
	}{
		{
			file: "timer.json", source: SourceTimer,
			requests: `[{"selector":{"tags":{"ecs-release:auto-stop":"true","team":"*"},"status":["Running"],"olderThan":"4h"},
				"stoppedMode":"StopCharging","then":"release","snapshot":true,"maxInstances":50,"reason":"nightly cleanup"}]`,
			check: func(t *testing.T, inv *Invocation) {
				require.NotNil(t, inv.Timer)
				assert.Equal(t, "nightly-stop", inv.Timer.TriggerName)
				assert.Equal(t, "2026-11-26T18:00:00Z", inv.Timer.TriggerTime)
			},
		},
		{file: "timer-empty-payload.json", source: SourceTimer, requests: `[{}]`},
		{
			file: "fc-http-post.json", source: SourceHTTP,
			requests: `[{"instanceIds":["i-bp1f3kz8x2t5w9q0abcd","i-bp1f3kz8x2t5w9q0efgh"],"stoppedMode":"KeepCharging",
				"forceStop":true,"dryRun":true,"reason":"operator: drain pool-a"}]`,
			check: func(t *testing.T, inv *Invocation) {
				require.NotNil(t, inv.HTTP)
				assert.Equal(t, "POST", inv.HTTP.Method)
				assert.Equal(t, "/stop", inv.HTTP.Path)
				assert.Equal(t, "1-6745f0c2-3a1b5c7d9e0f2a4b6c8d0e1f", inv.HTTP.RequestID)
				assert.Equal(t, "203.0.113.24", inv.HTTP.SourceIP)
				assert.Equal(t, "REDACTED", inv.HTTP.Headers["Authorization"])
				assert.Nil(t, inv.Query)
			},
		},
		{
			file: "fc-http-post-base64.json", source: SourceHTTP,
			requests: `[{"instanceIds":["i-bp1f3kz8x2t5w9q0abcd"],"snapshot":true,"keepOnFailure":true,"maxInstances":1,"reason":"operator release"}]`,
		},
		{
			file: "fc-http-get-status.json", source: SourceHTTP,
			requests: `[{"region":"cn-beijing","instanceIds":["i-bp1f3kz8x2t5w9q0abcd","i-2ze7hsk1m0q8xv4dl3pz"]}]`,
			check: func(t *testing.T, inv *Invocation) {
				require.NotNil(t, inv.Query)
				assert.Equal(t, &StatusQuery{Region: "cn-beijing", InstanceIDs: []string{"i-bp1f3kz8x2t5w9q0abcd", "i-2ze7hsk1m0q8xv4dl3pz"}}, inv.Query)
				assert.Equal(t, "GET", inv.HTTP.Method)
				assert.NoError(t, inv.ValidateFor(AutoRelease))
				err := inv.ValidateFor(Stop)
				requireCode(t, err, CodeMethodNotAllowed, "requestContext.http.method")
			},
		},
		{
			file: "cloudevent-request.json", source: SourceCloudEvent,
			requests: `[{"selector":{"name":"ci-runner-*","status":["Stopped","Running"],"chargeType":"PostPaid"},
				"maxInstances":20,"dryRun":false,"reason":"pipeline 4711 done"}]`,
			check: func(t *testing.T, inv *Invocation) {
				require.Len(t, inv.Events, 1)
				assert.Equal(t, DataRequest, inv.Events[0].Kind)
				assert.Equal(t, "acs.custom.pipeline", inv.Events[0].Source)
				r := inv.Requests[0]
				require.NotNil(t, r.DryRun, "an explicit false must stay distinguishable from absent")
				assert.False(t, r.IsDryRun())
			},
		},
		{
			file: "cloudevent-job-instanceid.json", source: SourceCloudEvent,
			requests: `[{"instanceIds":["i-bp1f3kz8x2t5w9q0abcd"],"jobStatus":"succeeded",
				"reason":"job job-20261126-000042 (render-frames) finished: succeeded"}]`,
			check: func(t *testing.T, inv *Invocation) {
				assert.Equal(t, DataJobRecord, inv.Events[0].Kind)
				assert.Equal(t, "job-20261126-000042", inv.Events[0].JobID)
				assert.Equal(t, JobSucceeded, inv.Requests[0].JobOutcome())
			},
		},
		{
			file: "cloudevent-job-instanceids-failed.json", source: SourceCloudEvent,
			requests: `[{"region":"cn-hangzhou","instanceIds":["i-bp1f3kz8x2t5w9q0abcd","i-bp1f3kz8x2t5w9q0efgh"],"keepOnFailure":true,
				"jobStatus":"failed","reason":"job job-20261126-000043 (train-model) finished: failed"}]`,
			check: func(t *testing.T, inv *Invocation) {
				assert.Equal(t, JobFailed, inv.Requests[0].JobOutcome())
				assert.True(t, inv.Requests[0].KeepAfterStop())
			},
		},
		{
			file: "cloudevent-ecs-statechange-subject.json", source: SourceCloudEvent,
			requests: `[{"region":"cn-shanghai","instanceIds":["i-2ze7hsk1m0q8xv4dl3pz"]}]`,
			check: func(t *testing.T, inv *Invocation) {
				assert.Equal(t, DataECSEvent, inv.Events[0].Kind)
				assert.Equal(t, "Stopped", inv.Events[0].State)
			},
		},
		{
			file: "cloudevent-ecs-statechange-resourceid.json", source: SourceCloudEvent,
			requests: `[{"region":"cn-hangzhou","instanceIds":["i-bp1f3kz8x2t5w9q0efgh"]}]`,
		},
		{
			file: "cloudevent-ecs-statechange-content.json", source: SourceCloudEvent,
			requests: `[{"region":"cn-hangzhou","instanceIds":["i-bp1f3kz8x2t5w9q0abcd"]}]`,
			check:    func(t *testing.T, inv *Invocation) { assert.Equal(t, "Stopped", inv.Events[0].State) },
		},
		{
			file: "cloudevent-batch.json", source: SourceCloudEventBatch,
			requests: `[{"instanceIds":["i-bp1f3kz8x2t5w9q0abcd"],"jobStatus":"succeeded","reason":"job job-1 finished: succeeded"},
				{"instanceIds":["i-bp1f3kz8x2t5w9q0efgh","i-2ze7hsk1m0q8xv4dl3pz"],"jobStatus":"timed_out","reason":"job job-2 finished: timed_out"}]`,
			check: func(t *testing.T, inv *Invocation) {
				require.Len(t, inv.Events, 2)
				assert.Equal(t, "c1a2b3c4-0002", inv.Events[1].ID)
				assert.Equal(t, JobFailed, inv.Requests[1].JobOutcome())
			},
		},
		{
			file: "cloudevent-batch-inline.json", source: SourceCloudEventBatch,
			requests: `[{"instanceIds":["i-bp1f3kz8x2t5w9q0abcd"],"jobStatus":"succeeded","reason":"job job-1 finished: succeeded"},
				{"region":"cn-hangzhou","instanceIds":["i-2ze7hsk1m0q8xv4dl3pz"]}]`,
		},
		{
			file: "destination-string-payloads.json", source: SourceDestination,
			requests: `[{"instanceIds":["i-bp1f3kz8x2t5w9q0abcd","i-bp1f3kz8x2t5w9q0efgh"],"snapshot":true,"reason":"nightly cleanup",
				"originRequestId":"1-6746a1b0-5c4d3e2f1a0b9c8d7e6f5a4b"}]`,
			check: func(t *testing.T, inv *Invocation) {
				require.NotNil(t, inv.Destination)
				assert.Equal(t, "acs:fc:cn-hangzhou:123456789012:functions/ecs-stop", inv.Destination.FunctionARN)
				assert.Equal(t, int64(1795687201123), inv.Destination.Timestamp)
				assert.Equal(t, 1, inv.Destination.ApproximateInvokeCount)
			},
		},
		{
			file: "destination-inline.json", source: SourceDestination,
			requests: `[{"instanceIds":["i-bp1f3kz8x2t5w9q0abcd","i-bp1f3kz8x2t5w9q0efgh"],"snapshot":true,"dryRun":true,
				"reason":"nightly cleanup","originRequestId":"1-6746a0ff-0a1b2c3d4e5f6a7b8c9d0e1f"}]`,
		}, {
			// stop's hand-over of a batch: one request per element, each
			// with its own options and stoppedAt.
			file: "destination-handover-list.json", source: SourceDestination,
			requests: `[{"instanceIds":["i-bp1f3kz8x2t5w9q0abcd"],"reason":"etl-7 done","originRequestId":"event:evt-1","stoppedAt":"2026-11-26T18:00:05Z"},
				{"region":"cn-shanghai","instanceIds":["i-uf6h2k9d8s7a6p5o4i3u"],"snapshot":true,"dryRun":true,"originRequestId":"event:evt-2","stoppedAt":"2026-11-26T18:00:05Z"}]`,
			check: func(t *testing.T, inv *Invocation) {
				require.Len(t, inv.Requests, 2)
				assert.True(t, inv.Requests[0].IsHandOver())
				at, ok := inv.Requests[1].StoppedAtTime()
				require.True(t, ok)
				assert.Equal(t, "2026-11-26T18:00:05Z", at.Format(time.RFC3339))
				assert.NoError(t, inv.ValidateFor(Release))
				assert.Error(t, inv.ValidateFor(Stop), "stoppedAt is release's")
			},
		},

		{
			file: "aws-eventbridge-request.json", source: SourceAWSEventBridge,
			requests: `[{"instanceIds":["i-2ze7hsk1m0q8xv4dl3pz"],"force":true,"reason":"ticket OPS-1234"}]`,
			check: func(t *testing.T, inv *Invocation) {
				assert.Equal(t, EventInfo{ID: "6a7e8feb-b491-4cf7-a9f1-bf3703467718", Source: "com.example.ops",
					Type: "ReleaseRequested", Time: "2026-11-26T18:43:48Z", Kind: DataRequest}, inv.Events[0])
			},
		},
		{
			file: "aws-eventbridge-job.json", source: SourceAWSEventBridge,
			requests: `[{"instanceIds":["i-bp1f3kz8x2t5w9q0efgh"],"keepOnFailure":true,"jobStatus":"failed",
				"reason":"job 4c7599ae-0a82-49aa-ba5a-4727fcce14a8 (nightly-etl) finished: failed"}]`,
		},
		{
			file: "aws-apigatewayv2-post.json", source: SourceAPIGatewayV2,
			requests: `[{"instanceIds":["i-bp1f3kz8x2t5w9q0abcd"],"snapshot":true,"maxInstances":1}]`,
			check: func(t *testing.T, inv *Invocation) {
				assert.Equal(t, "JKJaXmPLvHcESHA=", inv.HTTP.RequestID)
				assert.Equal(t, "/release", inv.HTTP.Path)
			},
		},
		{
			file: "aws-function-url-post.json", source: SourceFunctionURL,
			requests: `[{"instanceIds":["i-bp1f3kz8x2t5w9q0efgh"],"after":"2h","reason":"extend"}]`,
		},
		{
			file: "direct.json", source: SourceDirect,
			requests: `[{"region":"cn-hangzhou","instanceIds":["i-bp1f3kz8x2t5w9q0abcd"],"autoReleaseTime":"2026-12-01T08:00:00Z","reason":"lease ends"}]`,
		},
		{file: "direct-sweep.json", source: SourceDirect, requests: `[{"sweep":true,"selector":{"tags":{"ttl":"*"}},"dryRun":true}]`},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			payload := readFixture(t, tc.file)
			inv, err := Decode(payload)
			require.NoError(t, err)
			require.NotNil(t, inv)
			assert.Equal(t, tc.source, inv.Source)
			assert.Equal(t, tc.source, Detect(payload), "Detect must agree with Decode")
			got, err := json.Marshal(inv.Requests)
			require.NoError(t, err)
			assert.JSONEq(t, tc.requests, string(got))
			if tc.source == SourceCloudEvent || tc.source == SourceCloudEventBatch || tc.source == SourceAWSEventBridge {
				assert.Len(t, inv.Events, len(inv.Requests))
			}
			if tc.check != nil {
				tc.check(t, inv)
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file  string
		code  string
		field string // exact *Error.Field; also must appear in the message
		msg   string // substring of the message
	}{
		{"timer.json", CodeInvalidRequest, "payload", "want a JSON object, got array"},
		{"timer-empty-payload.json", CodeInvalidRequest, "payload", "not valid JSON"},
		{"timer-bad-instance-id.json", CodeInvalidRequest, "payload.instanceIds[1]", `"i-BAD" is not a valid instance ID (want "i-" followed by lowercase letters and digits)`},
		{"fc-http-post.json", CodeInvalidRequest, "body.instanceIDs", `did you mean "instanceIds"`},
		{"fc-http-post-base64.json", CodeInvalidRequest, "body", "not valid base64"},
		{"fc-http-post-empty-body.json", CodeInvalidRequest, "body", "empty body"},
		{"fc-http-get-status.json", CodeInvalidRequest, "queryParameters.instanceId[1]", `"i-Nope"`},
		{"fc-http-delete.json", CodeMethodNotAllowed, "requestContext.http.method", `"DELETE" is not allowed`},
		{"cloudevent-request.json", CodeInvalidRequest, "data.selector.status[0]", `"running" is not a selectable ECS status`},
		{"cloudevent-specversion.json", CodeInvalidRequest, "specversion", `"0.3"`},
		{"cloudevent-job-instanceid.json", CodeInvalidRequest, "data.status", "needs the job's status"},
		{"cloudevent-job-instanceids-failed.json", CodeInvalidRequest, "data.hostName", "unknown field in a job-completion record"},
		{"cloudevent-ecs-statechange-subject.json", CodeInvalidRequest, "subject", `"i-2ZE7HSK1" is not a valid instance ID`},
		{"cloudevent-ecs-statechange-resourceid.json", CodeInvalidRequest, "data.resourceId", "but subject names"},
		{"cloudevent-ecs-statechange-content.json", CodeUnsupportedEvent, "type", "ecs:Snapshot:CreateSnapshotCompleted"},
		{"cloudevent-batch.json", CodeInvalidRequest, "[1].data.instanceIds[0]", `"i-" is not a valid instance ID`},
		{"cloudevent-batch-inline.json", CodeUnsupportedEvent, "[2]", "got number"},
		{"destination-inline.json", CodeNothingHandedOver, "responsePayload.next", "handed over no request"},
		{"destination-bad-next.json", CodeInvalidRequest, "responsePayload.next.then", `"delete"`},
		{"destination-handover-list.json", CodeInvalidRequest, "responsePayload.next[1].stoppedAt", "not an RFC 3339 UTC time"},
		{"aws-eventbridge-request.json", CodeInvalidRequest, "detail.stoppedMode", `"Economical"`},
		{"aws-eventbridge-job.json", CodeInvalidRequest, "detail.instanceId", "want a string, got array"},
		{"aws-apigatewayv2-post.json", CodeInvalidRequest, "body.instanceIds", "duplicate field"},
		{"aws-function-url-post.json", CodeInvalidRequest, "body.after", `"2 hours" is not a Go duration`},
		{"direct.json", CodeInvalidRequest, "tag", "unknown field in a request"},
		{"direct-schedule-conflict.json", CodeInvalidRequest, "after", "at most one of autoReleaseTime, after and cancel"},
		{"direct-not-utc.json", CodeInvalidRequest, "autoReleaseTime", "not an RFC 3339 UTC time"},
		{"direct-empty-tag-key.json", CodeInvalidRequest, `selector.tags[""]`, "empty tag key"},
		{"direct-null.json", CodeInvalidRequest, "", "null is not a request"},
		{"direct-unrecognised.json", CodeUnsupportedEvent, "[0]", "want a CloudEvent"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			inv, err := Decode(readFixture(t, filepath.Join("malformed", tc.file)))
			require.Error(t, err)
			assert.Nil(t, inv, "no partial invocation with an error")
			requireCode(t, err, tc.code, tc.field)
			assert.Contains(t, err.Error(), tc.field)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

// Every fixture in testdata/ and testdata/malformed/ must be covered by a table above.
func TestFixturesAllCovered(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"testdata", "testdata/malformed"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, f := range files {
			_, err := Decode(mustRead(t, f))
			if dir == "testdata" {
				assert.NoError(t, err, f)
			} else {
				assert.Error(t, err, f)
			}
		}
	}
}

func TestDecodeEdgeCases(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		payload string
		code    string
		field   string
	}{
		{"empty payload", "", CodeUnsupportedEvent, ""},
		{"blank payload", " \n\t", CodeUnsupportedEvent, ""},
		{"number", "42", CodeUnsupportedEvent, ""},
		{"string", `"{}"`, CodeUnsupportedEvent, ""},
		{"not JSON", "{instanceIds:1}", CodeInvalidRequest, ""},
		{"empty array", "[]", CodeUnsupportedEvent, ""},
		{"array of non-events", `["{\"a\":1}"]`, CodeUnsupportedEvent, "[0].specversion"},
		{"case-folded field", `{"InstanceIds":["i-abc"]}`, CodeInvalidRequest, "InstanceIds"},
		{"duplicate top-level key", `{"reason":"a","reason":"b"}`, CodeInvalidRequest, "reason"},
		{"selector unknown field", `{"selector":{"names":"x"}}`, CodeInvalidRequest, "selector.names"},
		{"selector not object", `{"selector":[1]}`, CodeInvalidRequest, "selector"},
		{"empty selector", `{"selector":{}}`, CodeInvalidRequest, "selector"},
		{"chargeType alone", `{"selector":{"chargeType":"PostPaid"}}`, CodeInvalidRequest, "selector"},
		{"bad chargeType", `{"selector":{"name":"a*","chargeType":"Spot"}}`, CodeInvalidRequest, "selector.chargeType"},
		{"tags value type", `{"selector":{"tags":{"a":1}}}`, CodeInvalidRequest, "selector.tags"},
		{"duplicate tag", `{"selector":{"tags":{"a":"1","a":"2"}}}`, CodeInvalidRequest, `selector.tags["a"]`},
		{"olderThan zero", `{"selector":{"olderThan":"0s"}}`, CodeInvalidRequest, "selector.olderThan"},
		{"negative after", `{"after":"-1h"}`, CodeInvalidRequest, "after"},
		{"maxInstances negative", `{"maxInstances":-1}`, CodeInvalidRequest, "maxInstances"},
		{"maxInstances float", `{"maxInstances":1.5}`, CodeInvalidRequest, "maxInstances"},
		{"dryRun string", `{"dryRun":"true"}`, CodeInvalidRequest, "dryRun"},
		{"bad region", `{"region":"cn hangzhou"}`, CodeInvalidRequest, "region"},
		{"bad stoppedMode", `{"stoppedMode":"stopcharging"}`, CodeInvalidRequest, "stoppedMode"},
		{"long instance id", `{"instanceIds":["i-` + repeat("a", 63) + `"]}`, CodeInvalidRequest, "instanceIds[0]"},
		{"reason too long", `{"reason":"` + repeat("é", MaxReasonLength+1) + `"}`, CodeInvalidRequest, "reason"},
		{"tag key too long", `{"selector":{"tags":{"` + repeat("k", 129) + `":"v"}}}`, CodeInvalidRequest, `selector.tags["` + repeat("k", 64) + `"…]`},
		{"trailing data", `{} {}`, CodeInvalidRequest, ""},
		{"timer payload object", `{"triggerTime":"t","triggerName":"n","payload":{}}`, CodeInvalidRequest, "payload"},
		{"timer payload null JSON", `{"triggerName":"n","payload":"null"}`, CodeInvalidRequest, "payload"},
		{"http bad version", `{"version":"v9","rawPath":"/","requestContext":{}}`, CodeUnsupportedEvent, "version"},
		{"http no method", `{"version":"v1","rawPath":"/","requestContext":{"http":{}}}`, CodeInvalidRequest, "requestContext.http.method"},
		{"http body null JSON", fcHTTPFixture("POST", "null", nil), CodeInvalidRequest, "body"},
		{"http GET no id", fcHTTPFixture("GET", "", map[string]string{}), CodeInvalidRequest, "queryParameters.instanceId"},
		{"http GET unknown key", fcHTTPFixture("GET", "", map[string]string{"instanceId": "i-abc", "force": "1"}), CodeInvalidRequest, "queryParameters.force"},
		{"http GET empty id segment", fcHTTPFixture("GET", "", map[string]string{"instanceId": "i-abc,,i-def"}), CodeInvalidRequest, "queryParameters.instanceId[1]"},
		{"http PATCH", fcHTTPFixture("PATCH", "{}", nil), CodeMethodNotAllowed, "requestContext.http.method"},
		{"cloudevent no data", `{"specversion":"1.0","source":"x","type":"y"}`, CodeInvalidRequest, "data"},
		{"cloudevent no type", `{"specversion":"1.0","source":"x","data":{}}`, CodeInvalidRequest, "type"},
		{"cloudevent data and data_base64", `{"specversion":"1.0","source":"x","type":"y","data":{},"data_base64":"e30="}`, CodeInvalidRequest, "data_base64"},
		{"cloudevent data string not JSON", `{"specversion":"1.0","source":"x","type":"y","data":"release i-abc"}`, CodeInvalidRequest, "data"},
		{"ecs event without instance", `{"specversion":"1.0","source":"acs.ecs","type":"ecs:Instance:StateChange","data":{"state":"Stopped"}}`, CodeInvalidRequest, "subject"},
		{"job record without instance", `{"specversion":"1.0","source":"x","type":"y","data":{"status":"done"}}`, CodeInvalidRequest, "data.instanceId"},
		{"job record non-ASCII status", `{"specversion":"1.0","source":"x","type":"y","data":{"status":"échec","instanceId":"i-abc"}}`, CodeInvalidRequest, "data.status"},
		{"job record region mismatch", `{"specversion":"1.0","source":"x","type":"y","data":{"status":"done","instanceId":"i-abc","region":"cn-a","regionId":"cn-b"}}`, CodeInvalidRequest, "data.regionId"},
		{"destination missing responseContext value", `{"requestPayload":"","responseContext":null,"responsePayload":""}`, CodeInvalidRequest, "responseContext"},
		{"destination empty response", `{"requestPayload":"","responseContext":{"statusCode":200},"responsePayload":""}`, CodeInvalidRequest, "responsePayload.next"},
		{"destination response not JSON", `{"requestPayload":"","responseContext":{"statusCode":200},"responsePayload":"ok"}`, CodeInvalidRequest, "responsePayload"},
		{"destination no status", `{"requestPayload":"","responseContext":{},"responsePayload":{"next":{}}}`, CodeInvalidRequest, "responseContext.statusCode"},
		{"eventbridge no detail", `{"detail-type":"x","source":"y"}`, CodeInvalidRequest, "detail"},
		{"eventbridge bad time", `{"detail-type":"x","source":"y","time":"yesterday","detail":{}}`, CodeInvalidRequest, "time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, err := Decode([]byte(tc.payload))
			require.Error(t, err)
			assert.Nil(t, inv)
			requireCode(t, err, tc.code, tc.field)
		})
	}
}

func TestDecodePayloadTooLarge(t *testing.T) {
	t.Parallel()
	big := []byte(`{"reason":"` + repeat("x", MaxPayloadBytes) + `"}`)
	inv, err := Decode(big)
	assert.Nil(t, inv)
	requireCode(t, err, CodePayloadTooLarge, "")
	e, _ := AsError(err)
	assert.Equal(t, 413, e.HTTPStatus())

	// Exactly at the limit is parsed (and then fails on the reason length, not the size).
	atLimit := []byte(`{"reason":"` + repeat("x", MaxPayloadBytes-len(`{"reason":""}`)) + `"}`)
	require.Len(t, atLimit, MaxPayloadBytes)
	_, err = Decode(atLimit)
	requireCode(t, err, CodeInvalidRequest, "reason")
}

func TestDecodeDeduplicatesAndLimitsInstanceIDs(t *testing.T) {
	t.Parallel()
	inv, err := Decode([]byte(`{"instanceIds":["i-b","i-a","i-b","i-c","i-a"]}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"i-b", "i-a", "i-c"}, inv.Requests[0].InstanceIDs)

	ids := make([]string, MaxInstanceIDs+1)
	for i := range ids {
		ids[i] = "i-a"
	}
	b, err := json.Marshal(Request{InstanceIDs: ids})
	require.NoError(t, err)
	_, err = Decode(b)
	requireCode(t, err, CodeInvalidRequest, "instanceIds")
}

func TestDecodeWithFunction(t *testing.T) {
	t.Parallel()
	_, err := Decode(readFixture(t, "timer-empty-payload.json"), WithFunction(Stop))
	requireCode(t, err, CodeInvalidRequest, "payload.instanceIds")
	assert.ErrorContains(t, err, "nothing to act on")

	inv, err := Decode(readFixture(t, "timer.json"), WithFunction(Stop))
	require.NoError(t, err)
	assert.Len(t, inv.Requests, 1)

	_, err = Decode(readFixture(t, "cloudevent-batch.json"), WithFunction(AutoRelease))
	requireCode(t, err, CodeInvalidRequest, "[0].data.autoReleaseTime")

	_, err = Decode(readFixture(t, "fc-http-get-status.json"), WithFunction(Release))
	requireCode(t, err, CodeMethodNotAllowed, "requestContext.http.method")
}

func TestDetect(t *testing.T) {
	t.Parallel()
	assert.Equal(t, SourceUnknown, Detect(nil))
	assert.Equal(t, SourceUnknown, Detect([]byte("null")))
	assert.Equal(t, SourceUnknown, Detect([]byte("{")))
	assert.Equal(t, SourceDirect, Detect([]byte(`{"a":1,"a":2}`)))
	assert.Equal(t, SourceHTTP, Detect(readFixture(t, filepath.Join("malformed", "fc-http-delete.json"))))
	assert.Equal(t, SourceCloudEventBatch, Detect([]byte(`[1]`)))
}

func requireCode(t *testing.T, err error, code, field string) {
	t.Helper()
	require.Error(t, err)
	e, ok := AsError(err)
	require.True(t, ok, "want *Error, got %T: %v", err, err)
	assert.Equal(t, code, e.Code, "code of %v", err)
	assert.Equal(t, field, e.Field, "field of %v", err)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for range n {
		b = append(b, s...)
	}
	return string(b)
}

// fcHTTPFixture builds a minimal FC HTTP trigger event.
func fcHTTPFixture(method, body string, query map[string]string) string {
	ev := map[string]any{
		"version": "v1", "rawPath": "/", "body": body, "isBase64Encoded": false,
		"headers": map[string]string{}, "queryParameters": query,
		"requestContext": map[string]any{"requestId": "1-test", "http": map[string]string{"method": method, "path": "/"}},
	}
	b, _ := json.Marshal(ev)
	return string(b)
}
