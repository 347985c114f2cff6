package handler_test

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
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

func TestScheduledCleanupThroughStopDestinationRelease(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 40 * time.Second}, nil)
	now := w.Env.Emu.Now()
	old := now.Add(-20 * time.Hour).Format("2006-01-02T15:04Z")
	no := false
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{InstanceName: "ci-1", CreationTime: old, Tags: tags("lifecycle", "ephemeral"), Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Size: 50, DeleteWithInstance: &no}}}},
		ecsemu.Instance{InstanceName: "ci-2", CreationTime: old, Status: ecsemu.StatusStopped, Tags: tags("lifecycle", "ephemeral"), EipAddress: ecsemu.EipAddress{AllocationId: "eip-123", IpAddress: "47.1.2.3"}},
		ecsemu.Instance{InstanceName: "ci-young", Tags: tags("lifecycle", "ephemeral")},
		ecsemu.Instance{InstanceName: "ci-protected", CreationTime: old, Tags: tags("lifecycle", "ephemeral", "ecs-release:protect", "true")},
		ecsemu.Instance{InstanceName: "web", CreationTime: old},
	)
	timer := `{"triggerTime":"2026-11-26T02:00:00Z","triggerName":"nightly-stop","payload":"{\"selector\":{\"tags\":{\"lifecycle\":\"ephemeral\"},\"olderThan\":\"12h\"},\"then\":\"release\",\"reason\":\"nightly cleanup\"}"}`
	stop, err := w.invoke(handler.NewStop(w.Deps()), timer)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[0]: "stopping", ids[1]: "already-stopped", ids[3]: "skipped"}, outcomes(stop))
	assert.Equal(t, handler.CodeProtected, outcomeOf(stop, ids[3]).Code)
	require.Len(t, stop.Next, 1, "one request handed over, with its stop time")
	assert.ElementsMatch(t, ids[:2], stop.Next[0].InstanceIDs)
	assert.Equal(t, "nightly cleanup", stop.Next[0].Reason)
	assert.Equal(t, stop.RequestID, stop.Next[0].OriginRequestID)
	assert.NotEmpty(t, stop.Next[0].StoppedAt)
	in, _ := w.Env.Emu.Instance(ids[0])
	assert.Equal(t, "StopCharging", in.StoppedMode, "stop sends StoppedMode explicitly")

	rel, err := w.invoke(handler.NewRelease(w.Deps()), destinationRecord(t, stop, false))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[0]: "released", ids[1]: "released"}, outcomes(rel))
	left := map[string]bool{}
	for _, in := range w.Env.Emu.Instances() {
		left[in.InstanceId] = true
	}
	assert.Equal(t, map[string]bool{ids[2]: true, ids[3]: true, ids[4]: true}, left)

	receipts := w.LogRecords("release receipt")
	require.Len(t, receipts, 2, "one receipt per released instance")
	byID := map[string]map[string]any{}
	for _, r := range receipts {
		byID[r["instanceId"].(string)] = r["receipt"].(map[string]any)
	}
	r0 := byID[ids[0]]
	inst := r0["instance"].(map[string]any)
	for _, k := range []string{"instanceType", "imageId", "zoneId", "vSwitchId", "securityGroupIds"} {
		assert.NotEmpty(t, inst[k], "receipt has %s", k)
	}
	assert.Len(t, r0["disks"], 2)
	assert.NotEmpty(t, r0["deleteRequestId"])
	assert.Contains(t, fmt.Sprint(r0["leftovers"]), "not deleted with the instance")
	assert.Contains(t, fmt.Sprint(byID[ids[1]]["leftovers"]), "eip-123")
	assert.NotContains(t, w.LogText(), testToken)
	assert.NotContains(t, w.LogText(), w.Env.Emu.AccessKeySecret())
}

func TestJobCompletionEventReleasesWithSnapshotFirst(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 30 * time.Second, SnapshotDelay: 90 * time.Second}, nil)
	ids := w.Env.AddFleet(t, ecsemu.Instance{InstanceName: "batch-worker"}, ecsemu.Instance{InstanceName: "other"})
	event := fmt.Sprintf(`{"specversion":"1.0","id":"evt-42","source":"batch.jobs","type":"job:Completed","subject":"jobs/nightly-etl","time":"2026-11-26T03:00:00Z","datacontenttype":"application/json","data":{"instanceId":%q,"status":"succeeded","jobId":"etl-77","snapshot":true}}`, ids[0])
	resp, err := w.invoke(handler.NewRelease(w.Deps()), event)
	require.NoError(t, err)
	o := outcomeOf(resp, ids[0])
	assert.Equal(t, "released", o.Outcome, o.Reason)
	require.Len(t, o.SnapshotIDs, 1)
	snaps := w.Env.Emu.Snapshots()
	require.Len(t, snaps, 1)
	assert.Equal(t, "accomplished", snaps[0].Status, "released only after the snapshot was accomplished")
	assert.Equal(t, o.SnapshotIDs[0], snaps[0].SnapshotId)
	_, exists := w.Env.Emu.Instance(ids[0])
	assert.False(t, exists)
	_, exists = w.Env.Emu.Instance(ids[1])
	assert.True(t, exists)
	// Order of calls: stop, wait, snapshot, wait, delete.
	var order []string
	for _, c := range w.Env.Emu.MutatingCalls() {
		order = append(order, c.Action)
	}
	assert.Equal(t, []string{"StopInstances", "CreateSnapshot", "DeleteInstances"}, order)
}

func TestFailedSnapshotBlocksRelease(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{SnapshotDelay: time.Minute}, nil)
	ids := w.Env.AddFleet(t, ecsemu.Instance{Status: ecsemu.StatusStopped})
	w.Env.Emu.FailSnapshotsOf(ids[0], true)
	_, err := w.invoke(handler.NewRelease(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q],"snapshot":true}`, ids[0]))
	require.Error(t, err, "a retryable failure fails the event invocation so FC retries")
	assert.Contains(t, err.Error(), ids[0])
	_, exists := w.Env.Emu.Instance(ids[0])
	assert.True(t, exists, "never released without a completed snapshot")
	for _, c := range w.Env.Emu.MutatingCalls() {
		assert.NotEqual(t, "DeleteInstances", c.Action)
	}
}

func TestKeepOnFailureStopsButKeeps(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	ids := w.Env.AddRunning(t, 1)
	event := fmt.Sprintf(`{"specversion":"1.0","id":"evt-9","source":"batch.jobs","type":"job:Completed","data":{"instanceId":%q,"status":"failed","keepOnFailure":true}}`, ids[0])
	resp, err := w.invoke(handler.NewRelease(w.Deps()), event)
	require.NoError(t, err)
	o := outcomeOf(resp, ids[0])
	assert.Equal(t, "stopping", o.Outcome)
	assert.Contains(t, o.Reason, "keepOnFailure")
	in, exists := w.Env.Emu.Instance(ids[0])
	require.True(t, exists)
	assert.Contains(t, []string{"Stopping", "Stopped"}, in.Status)
}

func TestGuards(t *testing.T) {
	t.Parallel()
	security := ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security"}}}
	cases := []struct {
		name     string
		inst     ecsemu.Instance
		vars     map[string]string
		fn       func(handler.Deps) *handler.Handler
		event    string // %s = instance ID
		code     string
		outcome  string
		extraIDs bool
	}{
		{"protect tag on stop", ecsemu.Instance{Tags: tags("ecs-release:protect", "true")}, nil, handler.NewStop, `{"instanceIds":[%q]}`, handler.CodeProtected, "skipped", false},
		{"protect tag on release", ecsemu.Instance{Status: ecsemu.StatusStopped, Tags: tags("ecs-release:protect", "true")}, nil, handler.NewRelease, `{"instanceIds":[%q]}`, handler.CodeProtected, "skipped", false},
		{"protect tag on autorelease", ecsemu.Instance{Tags: tags("ecs-release:protect", "true")}, nil, handler.NewAutoRelease, `{"instanceIds":[%q],"after":"2h"}`, handler.CodeProtected, "skipped", false},
		{"custom protect tag", ecsemu.Instance{Status: ecsemu.StatusStopped, Tags: tags("keep", "yes")}, map[string]string{"PROTECT_TAG": "keep=yes"}, handler.NewRelease, `{"instanceIds":[%q]}`, handler.CodeProtected, "skipped", false},
		{"deletion protection on release", ecsemu.Instance{Status: ecsemu.StatusStopped, DeletionProtection: true}, nil, handler.NewRelease, `{"instanceIds":[%q],"force":true}`, handler.CodeDeletionProtection, "skipped", false},
		{"deletion protection blocks auto-release", ecsemu.Instance{DeletionProtection: true}, nil, handler.NewAutoRelease, `{"instanceIds":[%q],"after":"2h"}`, handler.CodeDeletionProtection, "skipped", false},
		{"prepaid on release", ecsemu.Instance{Status: ecsemu.StatusStopped, InstanceChargeType: "PrePaid"}, nil, handler.NewRelease, `{"instanceIds":[%q]}`, handler.CodePrePaid, "skipped", false},
		{"prepaid on autorelease", ecsemu.Instance{InstanceChargeType: "PrePaid"}, nil, handler.NewAutoRelease, `{"instanceIds":[%q],"after":"2h"}`, handler.CodePrePaid, "skipped", false},
		{"prepaid not stopped on the way to release", ecsemu.Instance{InstanceChargeType: "PrePaid"}, nil, handler.NewStop, `{"instanceIds":[%q],"then":"release"}`, handler.CodePrePaid, "skipped", false},
		{"security lock on stop", ecsemu.Instance{OperationLocks: security}, nil, handler.NewStop, `{"instanceIds":[%q]}`, handler.CodeLockedSecurity, "skipped", false},
		{"financial lock on release", ecsemu.Instance{Status: ecsemu.StatusStopped, OperationLocks: ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "financial"}}}}, nil, handler.NewRelease, `{"instanceIds":[%q]}`, handler.CodeLockedFinancial, "skipped", false},
		{"recycling lock on autorelease", ecsemu.Instance{OperationLocks: ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "recycling"}}}}, nil, handler.NewAutoRelease, `{"instanceIds":[%q],"after":"2h"}`, handler.CodeLockedRecycling, "skipped", false},
		{"security lock on release", ecsemu.Instance{Status: ecsemu.StatusStopped, OperationLocks: security}, nil, handler.NewRelease, `{"instanceIds":[%q]}`, handler.CodeLockedSecurity, "skipped", false},
		{"outside managed scope", ecsemu.Instance{Status: ecsemu.StatusStopped, Tags: tags("team", "web")}, map[string]string{"MANAGED_TAG": "team=ci"}, handler.NewRelease, `{"instanceIds":[%q]}`, handler.CodeOutOfScope, "skipped", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, ecsemu.Options{}, tc.vars)
			ids := w.Env.AddFleet(t, tc.inst)
			before, _ := w.Env.Emu.Instance(ids[0])
			resp, err := w.invoke(tc.fn(w.Deps()), fmt.Sprintf(tc.event, ids[0]))
			require.NoError(t, err)
			o := outcomeOf(resp, ids[0])
			assert.Equal(t, tc.outcome, o.Outcome)
			assert.Equal(t, tc.code, o.Code)
			assert.NotEmpty(t, o.Reason, "every skip explains itself")
			assert.Empty(t, w.Env.Emu.MutatingCalls(), "a guarded instance gets no mutating call")
			after, exists := w.Env.Emu.Instance(ids[0])
			require.True(t, exists)
			assert.Equal(t, before, after, "unchanged")
		})
	}
}

func TestManagedScopeRefusesHTTPCallerAndNarrowsSelectors(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"MANAGED_TAG": "ecs-release:managed=true"})
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{Status: ecsemu.StatusStopped, Tags: tags("team", "ci")},
		ecsemu.Instance{Status: ecsemu.StatusStopped, Tags: tags("team", "ci", "ecs-release:managed", "true")},
	)
	httpEvent := func(body string) string {
		return mustJSON(t, map[string]any{"version": "v1", "rawPath": "/release", "body": body, "isBase64Encoded": false,
			"headers": map[string]string{"Content-Type": "application/json"}, "queryParameters": map[string]string{},
			"requestContext": map[string]any{"requestId": "http-1", "http": map[string]string{"method": "POST", "path": "/release"}}})
	}
	out, err := handler.NewRelease(w.Deps()).Handle(w.ctx(time.Minute), json.RawMessage(httpEvent(fmt.Sprintf(`{"instanceIds":[%q]}`, ids[0]))))
	require.NoError(t, err)
	httpResp, ok := out.(fcevents.HTTPTriggerResponse)
	require.True(t, ok, "answered in the HTTP trigger's shape: %T", out)
	assert.Equal(t, 200, httpResp.StatusCode)
	var resp handler.Response
	require.NoError(t, json.Unmarshal([]byte(httpResp.Body), &resp))
	assert.Equal(t, "skipped", outcomeOf(&resp, ids[0]).Outcome)
	assert.Equal(t, handler.CodeOutOfScope, outcomeOf(&resp, ids[0]).Code)
	_, exists := w.Env.Emu.Instance(ids[0])
	assert.True(t, exists, "an instance outside the managed scope is refused even though it exists")

	resp2, err := w.invoke(handler.NewRelease(w.Deps()), `{"selector":{"tags":{"team":"ci"}}}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[1]: "released"}, outcomes(resp2), "a selector never reaches outside the scope")
	assert.Contains(t, strings.Join(callParams(w, "DescribeInstances"), " "), "ecs-release:managed", "the scope is a server-side filter")
}

func callParams(w *world, action string) []string {
	var out []string
	for _, c := range w.Env.Emu.Calls() {
		if c.Action == action {
			for k, v := range c.Params {
				out = append(out, k+"="+v)
			}
		}
	}
	return out
}

func TestCapRefusesTheWholeRequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"MAX_INSTANCES": "5"})
	w.Env.AddRunning(t, 6, ecsemu.Tag{TagKey: "pool", TagValue: "a"})
	_, err := w.invoke(handler.NewStop(w.Deps()), `{"selector":{"tags":{"pool":"a"}}}`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "matches 6 instances, more than the cap of 5")
	assert.Empty(t, w.Env.Emu.MutatingCalls(), "nothing touched")

	_, err = w.invoke(handler.NewStop(w.Deps()), `{"selector":{"tags":{"pool":"a"}},"maxInstances":3}`)
	assert.ErrorContains(t, err, "cap of 3")
	_, err = w.invoke(handler.NewStop(w.Deps()), `{"selector":{"tags":{"pool":"a"}},"maxInstances":50}`)
	assert.ErrorContains(t, err, "above the deployment's cap of 5", "an event cannot raise the cap")
	assert.Empty(t, w.Env.Emu.MutatingCalls())
}

func TestDryRunMakesNoMutatingCall(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"DRY_RUN": "true"})
	ids := w.Env.AddFleet(t, ecsemu.Instance{Tags: tags("pool", "a")}, ecsemu.Instance{Status: ecsemu.StatusStopped, Tags: tags("pool", "a", "ecs-release:ttl", "4h")})
	stop, err := w.invoke(handler.NewStop(w.Deps()), `{"selector":{"tags":{"pool":"a"}},"then":"release","dryRun":false}`)
	require.NoError(t, err)
	assert.True(t, stop.DryRun, "an event cannot turn dry run off")
	assert.Equal(t, "deployment", stop.DryRunSource)
	assert.Equal(t, map[string]string{ids[0]: "would-stop", ids[1]: "already-stopped"}, outcomes(stop))
	require.Len(t, stop.Next, 1)
	assert.True(t, stop.Next[0].IsDryRun(), "the hand-over stays a dry run")
	rel, err := w.invoke(handler.NewRelease(w.Deps()), destinationRecord(t, stop, true))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[0]: "would-release", ids[1]: "would-release"}, outcomes(rel))
	ar, err := w.invoke(handler.NewAutoRelease(w.Deps()), `{"sweep":true}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[1]: "would-set-auto-release"}, outcomes(ar))
	ar, err = w.invoke(handler.NewAutoRelease(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q],"after":"3h"}`, ids[0]))
	require.NoError(t, err)
	assert.Equal(t, "would-set-auto-release", outcomeOf(ar, ids[0]).Outcome)
	assert.Empty(t, w.Env.Emu.MutatingCalls(), "the emulator's record proves dry run made no mutating call")
	assert.Positive(t, w.Env.Emu.CallCounts()["DescribeInstances"], "but it read and decided on the same path")
}

func TestRequestDryRunIsHonouredWhenDeploymentActs(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"DRY_RUN": "false"})
	ids := w.Env.AddRunning(t, 1)
	resp, err := w.invoke(handler.NewStop(w.Deps()), fmt.Sprintf(`{"instanceIds":[%q],"dryRun":true}`, ids[0]))
	require.NoError(t, err)
	assert.Equal(t, "request", resp.DryRunSource)
	assert.Equal(t, "would-stop", outcomeOf(resp, ids[0]).Outcome)
	assert.Empty(t, w.Env.Emu.MutatingCalls())
}

func TestSameEventTwiceActsOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second}, nil)
	ids := w.Env.AddRunning(t, 2)
	event := fmt.Sprintf(`{"specversion":"1.0","id":"evt-dup","source":"batch.jobs","type":"job:Completed","data":{"instanceIds":[%q,%q],"status":"done"}}`, ids[0], ids[1])
	first, err := w.invoke(handler.NewRelease(w.Deps()), event)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[0]: "released", ids[1]: "released"}, outcomes(first))
	second, err := w.invoke(handler.NewRelease(w.Deps()), event)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[0]: "skipped", ids[1]: "skipped"}, outcomes(second))
	for _, id := range ids {
		assert.Equal(t, handler.CodeNotFound, outcomeOf(second, id).Code, "not seen by this invocation: not found, not claimed released")
	}
	counts := map[string]int{}
	for _, c := range w.Env.Emu.MutatingCalls() {
		counts[c.Action]++
	}
	assert.Equal(t, map[string]int{"StopInstances": 1, "DeleteInstances": 1}, counts, "the duplicate made no mutating call")
}

func TestDeadlineLeavesStuckInstanceForTheRetry(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second}, nil)
	ids := w.Env.AddRunning(t, 3)
	require.NoError(t, w.Env.Emu.SetStuck(true, ids[1]))
	event := fmt.Sprintf(`{"instanceIds":[%q,%q,%q]}`, ids[0], ids[1], ids[2])
	h := handler.NewRelease(w.Deps())
	_, err := h.Handle(w.ctx(3*time.Minute), json.RawMessage(event))
	require.Error(t, err, "unfinished work fails the invocation so FC retries it")
	assert.Contains(t, err.Error(), ids[1])
	assert.Contains(t, err.Error(), "Unfinished")
	_, exists := w.Env.Emu.Instance(ids[0])
	assert.False(t, exists, "what could finish, finished")
	require.NoError(t, w.Env.Emu.SetStuck(false, ids[1]))
	retry, err := w.invoke(h, event)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[0]: "skipped", ids[1]: "released", ids[2]: "skipped"}, outcomes(retry))
	assert.Equal(t, handler.CodeNotFound, outcomeOf(retry, ids[0]).Code, "released by the first attempt: this one only knows it is not there")
	assert.Empty(t, w.Env.Emu.Instances())
}

func TestAutoRelease(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"SWEEP_SPREAD": "0s"})
	now := w.Env.Emu.Now()
	created := now.Add(-time.Hour).Format("2006-01-02T15:04Z")
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{CreationTime: created, Tags: tags("ecs-release:ttl", "4h")},
		ecsemu.Instance{CreationTime: now.Add(-10 * time.Hour).Format("2006-01-02T15:04Z"), Tags: tags("ecs-release:ttl", "2h")},
		ecsemu.Instance{Tags: tags("ecs-release:ttl", "soon")},
		ecsemu.Instance{Tags: tags("ecs-release:ttl", "1d"), AutoReleaseTime: now.Add(5 * time.Hour).Format("2006-01-02T15:04Z")},
		ecsemu.Instance{},
	)
	ar := handler.NewAutoRelease(w.Deps())
	sweep, err := w.invoke(ar, `{"sweep":true,"reason":"hourly"}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[0]: "auto-release-set", ids[1]: "auto-release-set", ids[2]: "skipped", ids[3]: "skipped"}, outcomes(sweep))
	in0, _ := w.Env.Emu.Instance(ids[0])
	created0, _ := time.Parse("2006-01-02T15:04Z", created)
	assert.Equal(t, created0.Add(4*time.Hour).Format("2006-01-02T15:04Z"), in0.AutoReleaseTime, "CreationTime + TTL")
	in1, _ := w.Env.Emu.Instance(ids[1])
	set1, _ := time.Parse("2006-01-02T15:04Z", in1.AutoReleaseTime)
	assert.WithinDuration(t, w.Clock.Now().Add(31*time.Minute), set1, 2*time.Minute, "past due: now + 30 min (+slack)")
	assert.Contains(t, outcomeOf(sweep, ids[3]).Reason, "keeps existing")
	again, err := w.invoke(ar, `{"sweep":true}`)
	require.NoError(t, err)
	assert.Equal(t, "skipped", outcomeOf(again, ids[0]).Outcome, "a second sweep changes nothing")

	set, err := w.invoke(ar, fmt.Sprintf(`{"instanceIds":[%q],"after":"2h30m"}`, ids[4]))
	require.NoError(t, err)
	o := outcomeOf(set, ids[4])
	assert.Equal(t, "auto-release-set", o.Outcome)
	at, _ := time.Parse(time.RFC3339, o.AutoReleaseTime)
	assert.False(t, at.Before(w.Clock.Now().Add(150*time.Minute)), "after is rounded up, never earlier than asked")

	out, err := ar.Handle(w.ctx(time.Minute), json.RawMessage(mustJSON(t, map[string]any{"version": "v1", "rawPath": "/autorelease", "body": "", "isBase64Encoded": false,
		"headers": map[string]string{}, "queryParameters": map[string]string{"instanceId": ids[4] + "," + ids[0] + ",i-nosuchinstance"},
		"requestContext": map[string]any{"requestId": "q", "http": map[string]string{"method": "GET", "path": "/autorelease"}}})))
	require.NoError(t, err)
	httpResp := out.(fcevents.HTTPTriggerResponse)
	require.Equal(t, 200, httpResp.StatusCode, httpResp.Body)
	var status handler.Response
	require.NoError(t, json.Unmarshal([]byte(httpResp.Body), &status))
	assert.Equal(t, map[string]string{ids[4]: "status", ids[0]: "status", "i-nosuchinstance": "skipped"}, outcomes(&status))
	assert.Equal(t, o.AutoReleaseTime, outcomeOf(&status, ids[4]).AutoReleaseTime, "GET reports the current setting")
	// An unknown ID is said to be not found, in the region looked in.
	unknown := outcomeOf(&status, "i-nosuchinstance")
	assert.Equal(t, handler.CodeNotFound, unknown.Code)
	assert.Contains(t, unknown.Reason, "not found in region cn-hangzhou")
	assert.Empty(t, unknown.AutoReleaseTime)

	cancel, err := w.invoke(ar, fmt.Sprintf(`{"instanceIds":[%q,%q],"cancel":true}`, ids[4], ids[2]))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[4]: "auto-release-cancelled", ids[2]: "auto-release-cancelled"}, outcomes(cancel))
	in4, _ := w.Env.Emu.Instance(ids[4])
	assert.Empty(t, in4.AutoReleaseTime)

	before := w.Env.Emu.CallCounts()["ModifyInstanceAutoReleaseTime"]
	for bad, msg := range map[string]string{
		`{"instanceIds":[%q],"after":"10m"}`:                            "after: auto-release time",
		`{"instanceIds":[%q],"autoReleaseTime":"2031-01-01T00:00:00Z"}`: "more than 3 years from now",
	} {
		_, err := w.invoke(ar, fmt.Sprintf(bad, ids[4]))
		require.Error(t, err)
		assert.Contains(t, err.Error(), msg)
	}
	assert.Equal(t, before, w.Env.Emu.CallCounts()["ModifyInstanceAutoReleaseTime"], "refused before any call")
}

func TestInvalidConfigurationFailsBeforeAnyCall(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, map[string]string{"DRY_RUN": "maybe", "MAX_INSTANCES": "-1"})
	w.Env.AddRunning(t, 1)
	_, err := w.invoke(handler.NewStop(w.Deps()), `{"selector":{"tags":{"a":"*"}}}`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DRY_RUN")
	assert.Contains(t, err.Error(), "MAX_INSTANCES")
	assert.Empty(t, w.Env.Emu.Calls())
}

func TestNothingHandedOverIsANoOp(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	stop, err := w.invoke(handler.NewStop(w.Deps()), `{"selector":{"tags":{"none":"here"}},"then":"release"}`)
	require.NoError(t, err)
	assert.Empty(t, stop.Next)
	rel, err := w.invoke(handler.NewRelease(w.Deps()), destinationRecord(t, stop, false))
	require.NoError(t, err, "not an error, so FC does not retry it")
	assert.Empty(t, rel.Instances)
}
