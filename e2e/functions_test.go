package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

var quick = ecsemu.Options{StopDelay: 300 * time.Millisecond, SnapshotDelay: 300 * time.Millisecond}

func timerEvent(t *testing.T, payload any) string {
	return mustJSON(t, map[string]any{"triggerTime": time.Now().UTC().Format(time.RFC3339), "triggerName": "nightly-cleanup", "payload": mustJSON(t, payload)})
}

// destination is FC's onSuccess record of an async invocation: the
// payloads as JSON strings, as the FC documentation shows them.
func destination(t *testing.T, requestID, requestPayload string, responsePayload []byte) string {
	return mustJSON(t, map[string]any{
		"timestamp":       time.Now().UnixMilli(),
		"requestContext":  map[string]any{"requestId": requestID, "functionArn": "acs:fc:cn-hangzhou:123456789012:functions/ecs-stop", "condition": "", "approximateInvokeCount": 1},
		"requestPayload":  requestPayload,
		"responseContext": map[string]any{"statusCode": 200, "functionError": ""},
		"responsePayload": string(responsePayload),
	})
}

func TestScheduledCleanupThroughTheChain(t *testing.T) {
	t.Parallel()
	s := newStack(t, quick, nil)
	old := time.Now().Add(-30 * time.Hour).UTC().Format("2006-01-02T15:04Z")
	ids, err := s.add([]ecsemu.Instance{
		{InstanceName: "ci-runner-1", CreationTime: old, Tags: managed("lifecycle", "ephemeral")},
		{InstanceName: "ci-runner-2", CreationTime: old, Tags: managed("lifecycle", "ephemeral")},
		{InstanceName: "ci-runner-3", CreationTime: old, Status: ecsemu.StatusStopped, Tags: managed("lifecycle", "ephemeral")},
		{InstanceName: "ci-fresh", Tags: managed("lifecycle", "ephemeral")},
		{InstanceName: "ci-keep", CreationTime: old, Tags: managed("lifecycle", "ephemeral", "ecs-release:protect", "true")},
		{InstanceName: "db", CreationTime: old, Tags: managed()},
	})
	require.NoError(t, err)
	timer := timerEvent(t, map[string]any{"selector": map[string]any{"tags": map[string]string{"lifecycle": "ephemeral"}, "olderThan": "12h"}, "then": "release", "reason": "nightly cleanup"})

	stopRaw, err := s.invoke("stop", timer)
	require.NoError(t, err)
	var stop handler.Response
	require.NoError(t, json.Unmarshal(stopRaw, &stop))
	assert.Equal(t, map[string]string{ids[0]: "stopping", ids[1]: "stopping", ids[2]: "already-stopped", ids[4]: "skipped"}, outcomes(&stop))
	require.NotEmpty(t, stop.Next, "then:release hands the stopped set over")
	assert.ElementsMatch(t, ids[:3], handlertest.HandedOver(&stop))

	rel := s.response("release", destination(t, stop.RequestID, timer, stopRaw))
	assert.Equal(t, map[string]string{ids[0]: "released", ids[1]: "released", ids[2]: "released"}, outcomes(rel))
	for _, id := range ids[:3] {
		_, exists := s.emu.Instance(id)
		assert.False(t, exists, "%s released", id)
	}
	for _, id := range ids[3:] {
		in, exists := s.emu.Instance(id)
		require.True(t, exists)
		assert.Equal(t, "Running", in.Status, "%s untouched", id)
	}
	receipts := s.records("release", "release receipt")
	require.Len(t, receipts, 3, "a receipt per released instance")
	for _, r := range receipts {
		rc := r["receipt"].(map[string]any)
		inst := rc["instance"].(map[string]any)
		assert.NotEmpty(t, inst["instanceType"])
		assert.NotEmpty(t, inst["vSwitchId"])
		assert.NotEmpty(t, rc["disks"])
		assert.NotEmpty(t, rc["deleteRequestId"])
		assert.Equal(t, stop.RequestID, rc["originRequestId"])
	}
	summary := s.records("release", "summary")
	require.NotEmpty(t, summary)
	assert.Contains(t, summary[len(summary)-1], "apiCalls")
}

func TestJobCompletionReleasesOneInstanceWithASnapshotFirst(t *testing.T) {
	t.Parallel()
	s := newStack(t, quick, nil)
	ids, err := s.add([]ecsemu.Instance{{InstanceName: "etl-worker", Tags: managed()}, {InstanceName: "etl-other", Tags: managed()}})
	require.NoError(t, err)
	event := mustJSON(t, map[string]any{"specversion": "1.0", "id": "job-evt-1", "source": "batch.jobs", "type": "job:Completed", "subject": "jobs/etl",
		"data": map[string]any{"instanceId": ids[0], "status": "succeeded", "jobId": "etl-1", "snapshot": true}})
	r := s.response("release", event)
	require.Len(t, r.Instances, 1)
	o := r.Instances[0]
	assert.Equal(t, "released", o.Outcome, o.Reason)
	require.Len(t, o.SnapshotIDs, 1)
	snaps := s.emu.Snapshots()
	require.Len(t, snaps, 1)
	assert.Equal(t, "accomplished", snaps[0].Status)
	var order []string
	for _, c := range s.mutating() {
		order = append(order, c.Action)
	}
	assert.Equal(t, []string{"StopInstances", "CreateSnapshot", "DeleteInstances"}, order, "stop, snapshot, then release")
	_, exists := s.emu.Instance(ids[1])
	assert.True(t, exists)
}

func TestHTTPRequestOutsideManagedScopeIsRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t, quick, nil)
	ids, err := s.add([]ecsemu.Instance{{InstanceName: "someone-elses", Status: ecsemu.StatusStopped, Tags: tags("team", "payments")}})
	require.NoError(t, err)
	event := mustJSON(t, map[string]any{"version": "v1", "rawPath": "/release", "isBase64Encoded": false,
		"body":    fmt.Sprintf(`{"instanceIds":[%q],"force":true}`, ids[0]),
		"headers": map[string]string{"Content-Type": "application/json"}, "queryParameters": map[string]string{},
		"requestContext": map[string]any{"requestId": "http-req-1", "http": map[string]string{"method": "POST", "path": "/release", "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1"}}})
	raw, err := s.invoke("release", event)
	require.NoError(t, err)
	var httpResp fcevents.HTTPTriggerResponse
	require.NoError(t, json.Unmarshal(raw, &httpResp))
	assert.Equal(t, 200, httpResp.StatusCode)
	var r handler.Response
	require.NoError(t, json.Unmarshal([]byte(httpResp.Body), &r))
	assert.Equal(t, map[string]string{ids[0]: "skipped"}, outcomes(&r))
	assert.Contains(t, reasonOf(&r, ids[0]), "managed scope")
	_, exists := s.emu.Instance(ids[0])
	assert.True(t, exists)
	assert.Empty(t, s.mutating())

	// A malformed HTTP request is a 400 in the HTTP shape, not a crash.
	bad := strings.Replace(event, `\"force\":true`, `\"force\":\"yes\"`, 1)
	raw, err = s.invoke("release", bad)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &httpResp))
	assert.Equal(t, 400, httpResp.StatusCode)
	assert.Contains(t, httpResp.Body, `"code":"InvalidRequest"`)
	assert.Contains(t, httpResp.Body, "force")
}

func TestEveryGuardUnderTheRuntime(t *testing.T) {
	t.Parallel()
	s := newStack(t, quick, nil)
	lock := ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security"}}}
	fleet := []ecsemu.Instance{
		{InstanceName: "protected", Status: ecsemu.StatusStopped, Tags: managed("ecs-release:protect", "true")},
		{InstanceName: "deletion-protected", Status: ecsemu.StatusStopped, DeletionProtection: true, Tags: managed()},
		{InstanceName: "prepaid", Status: ecsemu.StatusStopped, InstanceChargeType: "PrePaid", Tags: managed()},
		{InstanceName: "locked", Status: ecsemu.StatusStopped, OperationLocks: lock, Tags: managed()},
		{InstanceName: "outside", Status: ecsemu.StatusStopped, Tags: tags("team", "other")},
		{InstanceName: "fine", Status: ecsemu.StatusStopped, Tags: managed()},
	}
	ids, err := s.add(fleet)
	require.NoError(t, err)
	want := []string{handler.CodeProtected, handler.CodeDeletionProtection, handler.CodePrePaid, handler.CodeLockedSecurity, handler.CodeOutOfScope}
	r := s.response("release", mustJSON(t, map[string]any{"instanceIds": ids, "force": true, "reason": "guard drill"}))
	for i, code := range want {
		assert.Equal(t, "skipped", outcomes(r)[ids[i]], fleet[i].InstanceName)
		assert.Equal(t, code, codeOf(r, ids[i]), fleet[i].InstanceName)
		assert.NotEmpty(t, reasonOf(r, ids[i]), "every skip explains itself")
		_, exists := s.emu.Instance(ids[i])
		assert.True(t, exists, "%s never released", fleet[i].InstanceName)
	}
	assert.Equal(t, "released", outcomes(r)[ids[5]])
	for _, c := range s.mutating() {
		for _, id := range ids[:5] {
			for _, v := range c.Params {
				assert.NotEqual(t, id, v, "no mutating call names a guarded instance")
			}
		}
	}
	// The protection tag holds for stop and autorelease too.
	r = s.response("stop", mustJSON(t, map[string]any{"instanceIds": ids[:1]}))
	assert.Equal(t, "skipped", outcomes(r)[ids[0]])
	r = s.response("autorelease", mustJSON(t, map[string]any{"instanceIds": ids[:2], "after": "3h"}))
	assert.Equal(t, map[string]string{ids[0]: "skipped", ids[1]: "skipped"}, outcomes(r), "no auto-release time on protected or deletion-protected instances")

	// The cap refuses the whole request: nothing is touched.
	capStack := newStack(t, quick, map[string]string{"MAX_INSTANCES": "2"})
	cids, err := capStack.add([]ecsemu.Instance{{Tags: managed()}, {Tags: managed()}, {Tags: managed()}})
	require.NoError(t, err)
	_, err = capStack.invoke("stop", mustJSON(t, map[string]any{"instanceIds": cids}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than the cap of 2")
	assert.Empty(t, capStack.mutating())
}

func TestDryRunMakesNoMutatingCall(t *testing.T) {
	t.Parallel()
	s := newStack(t, quick, map[string]string{"DRY_RUN": "true"})
	ids, err := s.add([]ecsemu.Instance{
		{Tags: managed("lifecycle", "ephemeral", "ecs-release:ttl", "4h")},
		{Status: ecsemu.StatusStopped, Tags: managed("lifecycle", "ephemeral")},
	})
	require.NoError(t, err)
	timer := timerEvent(t, map[string]any{"selector": map[string]any{"tags": map[string]string{"lifecycle": "ephemeral"}}, "then": "release", "snapshot": true, "dryRun": false})
	stopRaw, err := s.invoke("stop", timer)
	require.NoError(t, err)
	var stop handler.Response
	require.NoError(t, json.Unmarshal(stopRaw, &stop))
	assert.True(t, stop.DryRun)
	assert.Equal(t, map[string]string{ids[0]: "would-stop", ids[1]: "already-stopped"}, outcomes(&stop))
	rel := s.response("release", destination(t, stop.RequestID, timer, stopRaw))
	assert.Equal(t, map[string]string{ids[0]: "would-release", ids[1]: "would-release"}, outcomes(rel))
	ar := s.response("autorelease", `{"sweep":true}`)
	assert.Equal(t, map[string]string{ids[0]: "would-set-auto-release"}, outcomes(ar))
	assert.Empty(t, s.mutating(), "the emulator saw no mutating call")
	assert.NotZero(t, s.emu.CallCounts()["DescribeInstances"])
}

func TestSameEventDeliveredTwiceActsOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t, quick, nil)
	ids, err := s.add([]ecsemu.Instance{{Tags: managed()}, {Tags: managed()}})
	require.NoError(t, err)
	event := mustJSON(t, map[string]any{"specversion": "1.0", "id": "dup-1", "source": "batch.jobs", "type": "job:Completed",
		"data": map[string]any{"instanceIds": ids, "status": "completed"}})
	first := s.response("release", event)
	assert.Equal(t, map[string]string{ids[0]: "released", ids[1]: "released"}, outcomes(first))
	second := s.response("release", event)
	assert.Equal(t, map[string]string{ids[0]: "skipped", ids[1]: "skipped"}, outcomes(second))
	assert.Equal(t, handler.CodeNotFound, codeOf(second, ids[0]), "gone before the second delivery looked: not found")
	counts := map[string]int{}
	for _, c := range s.mutating() {
		counts[c.Action]++
	}
	assert.Equal(t, map[string]int{"StopInstances": 1, "DeleteInstances": 1}, counts)
}

func TestAutoReleaseSetStatusAndInvalidInput(t *testing.T) {
	t.Parallel()
	s := newStack(t, quick, nil)
	ids, err := s.add([]ecsemu.Instance{{Tags: managed()}})
	require.NoError(t, err)
	r := s.response("autorelease", mustJSON(t, map[string]any{"instanceIds": ids, "after": "2h"}))
	require.Equal(t, "auto-release-set", outcomes(r)[ids[0]])
	in, _ := s.emu.Instance(ids[0])
	assert.NotEmpty(t, in.AutoReleaseTime)

	status := mustJSON(t, map[string]any{"version": "v1", "rawPath": "/autorelease", "isBase64Encoded": false, "body": "",
		"headers": map[string]string{}, "queryParameters": map[string]string{"instanceId": ids[0]},
		"requestContext": map[string]any{"requestId": "q-1", "http": map[string]string{"method": "GET", "path": "/autorelease"}}})
	raw, err := s.invoke("autorelease", status)
	require.NoError(t, err)
	var httpResp fcevents.HTTPTriggerResponse
	require.NoError(t, json.Unmarshal(raw, &httpResp))
	require.Equal(t, 200, httpResp.StatusCode)
	assert.Contains(t, httpResp.Body, `"outcome":"status"`)
	assert.Contains(t, httpResp.Body, `"autoReleaseTime":"`)

	_, err = s.invoke("autorelease", mustJSON(t, map[string]any{"instanceIds": ids, "after": "5m"}))
	require.Error(t, err, "a time outside the window fails the invocation with a clear message")
	assert.Contains(t, err.Error(), "at least 30m")
	_, err = s.invoke("stop", `{"instanceIds":["not-an-id"]}`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "instanceIds[0]")
}

// DEBUG=sdk makes the Alibaba Cloud SDK print every request line (the
// signed query with the STS token URL-encoded) and every answer to stdout,
// which is the function's log. Whatever the environment sets, no secret
// reaches the log in any encoding.
func TestSDKDebugOutputNeverShowsSecrets(t *testing.T) {
	t.Parallel()
	s := newStack(t, ecsemu.Options{}, map[string]string{"DEBUG": "sdk,signer,tea"})
	ids, err := s.add([]ecsemu.Instance{{Tags: managed("pool", "dbg"), CreationTime: "2026-01-01T00:00Z"}})
	require.NoError(t, err)
	resp := s.response("stop", fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]))
	require.Equal(t, "stopping", outcomes(resp)[ids[0]])
	text := s.logs["stop"].String()
	assert.Empty(t, handlertest.FindSecrets(text, stsToken, s.emu.AccessKeySecret()))
	assert.False(t, strings.Contains(text, "Signature="), "no signed request line is printed")
}
