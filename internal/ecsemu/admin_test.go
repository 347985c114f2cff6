package ecsemu_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// admin calls an admin endpoint and decodes its JSON answer.
func admin(t *testing.T, env *ecsemutest.Env, method, pathAndQuery, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, env.Endpoint()+"/_emulator/"+pathAndQuery, strings.NewReader(body))
	require.NoError(t, err)
	resp := do(t, req)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"))
	var m map[string]any
	require.NoError(t, json.Unmarshal(resp.Body, &m), "%s", resp.Body)
	return resp.Status, m
}

func TestAdminAdvanceAndNow(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{StopDelay: 10 * time.Minute})
	ids := env.AddRunning(t, 1)
	_, err := env.Client.StopInstance(stopReq(ids[0]))
	require.NoError(t, err)

	code, m := admin(t, env, "GET", "now", "")
	assert.Equal(t, 200, code)
	assert.Equal(t, "2026-11-26T12:00:00Z", m["now"])

	code, m = admin(t, env, "POST", "advance?by=10m", "")
	assert.Equal(t, 200, code)
	assert.Equal(t, "2026-11-26T12:10:00Z", m["now"])
	assert.Equal(t, ecsemu.StatusStopped, describe(t, env.Client, ids[0]).Status, "the advance applied the stop")

	for _, bad := range []string{"advance", "advance?by=soon", "advance?by=-1m", "advance?by=10"} {
		code, m = admin(t, env, "POST", bad, "")
		assert.Equal(t, 400, code, bad)
		assert.Contains(t, m["error"], "duration", bad)
	}
	assert.Equal(t, ecsemutest.Epoch.Add(10*time.Minute), env.Emu.Now(), "bad input moves nothing")

	code, m = admin(t, env, "GET", "advance?by=1m", "")
	assert.Equal(t, http.StatusMethodNotAllowed, code)
	assert.Contains(t, m["error"], "POST")
}

func TestAdminStuck(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{StopDelay: time.Minute})
	ids := env.AddRunning(t, 2)

	code, m := admin(t, env, "POST", "stuck?instanceId="+ids[0]+","+ids[1], "")
	require.Equal(t, 200, code, "%v", m)
	assert.Equal(t, true, m["stuck"], "stuck defaults to true")
	assert.Equal(t, []any{ids[0], ids[1]}, m["instanceIds"])

	sreq := ecs.CreateStopInstancesRequest()
	sreq.InstanceId = &ids
	_, err := env.Client.StopInstances(sreq)
	require.NoError(t, err)
	require.NoError(t, env.Emu.Advance(time.Hour))
	assert.Equal(t, ecsemu.StatusStopping, status(t, env, ids[0]))

	code, _ = admin(t, env, "POST", "stuck?instanceId="+ids[0]+"&stuck=false", "")
	require.Equal(t, 200, code)
	assert.Equal(t, ecsemu.StatusStopped, status(t, env, ids[0]))
	assert.Equal(t, ecsemu.StatusStopping, status(t, env, ids[1]))

	cases := []struct {
		query  string
		status int
		want   string
	}{
		{"stuck", 400, "instanceId is required"},
		{"stuck?instanceId=" + ids[1] + "&stuck=maybe", 400, "stuck=\"maybe\""},
		{"stuck?instanceId=i-nosuch", 404, "i-nosuch"},
	}
	for _, tc := range cases {
		code, m := admin(t, env, "POST", tc.query, "")
		assert.Equal(t, tc.status, code, tc.query)
		assert.Contains(t, m["error"], tc.want, tc.query)
	}
	assert.Equal(t, ecsemu.StatusStopping, status(t, env, ids[1]), "bad input changes nothing")
}

func TestAdminSecurityLockAndFailSnapshots(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{SnapshotDelay: time.Minute})
	ids := env.AddRunning(t, 1)

	code, m := admin(t, env, "POST", "security-lock?instanceId="+ids[0], "")
	require.Equal(t, 200, code, "%v", m)
	_, err := env.Client.StopInstance(stopReq(ids[0]))
	requireServerError(t, err, 403, "InstanceLockedForSecurity")
	in := describe(t, env.Client, ids[0])
	require.Len(t, in.OperationLocks.LockReason, 1)
	assert.Equal(t, "security", in.OperationLocks.LockReason[0].LockReason)

	code, _ = admin(t, env, "POST", "security-lock?instanceId="+ids[0]+"&locked=false", "")
	require.Equal(t, 200, code)
	assert.Empty(t, describe(t, env.Client, ids[0]).OperationLocks.LockReason)

	code, m = admin(t, env, "POST", "security-lock?instanceId=i-nosuch", "")
	assert.Equal(t, 404, code)
	assert.Contains(t, m["error"], "i-nosuch")

	code, _ = admin(t, env, "POST", "fail-snapshots?instanceId="+ids[0]+"&fail=true", "")
	require.Equal(t, 200, code)
	_, err = env.Client.CreateSnapshot(snapshotReq(systemDisk(t, env, ids[0])))
	require.NoError(t, err)
	require.NoError(t, env.Emu.Advance(time.Minute))
	snaps := env.Emu.Snapshots()
	require.Len(t, snaps, 1)
	assert.Equal(t, ecsemu.SnapshotFailed, snaps[0].Status)

	code, m = admin(t, env, "POST", "fail-snapshots?instanceId="+ids[0]+"&fail=perhaps", "")
	assert.Equal(t, 400, code)
	assert.Contains(t, m["error"], "fail=")
}

func TestAdminFaults(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	ids := env.AddRunning(t, 1)

	code, m := admin(t, env, "POST", "faults?throttleRate=1", "")
	require.Equal(t, 200, code, "%v", m)
	assert.Equal(t, 1.0, m["ThrottleRate"])
	_, err := env.Client.StopInstance(stopReq(ids[0]))
	requireServerError(t, err, 400, "Throttling.User")

	code, _ = admin(t, env, "POST", "faults?errorRate=1", "")
	require.Equal(t, 200, code)
	_, err = env.Client.StopInstance(stopReq(ids[0]))
	requireServerError(t, err, 500, "InternalError")

	// Admin endpoints are never subject to faults.
	code, _ = admin(t, env, "GET", "instances", "")
	assert.Equal(t, 200, code)

	for _, tc := range []struct{ query, want string }{
		{"faults?throttleRate=lots", "throttleRate=\"lots\" is not a number"},
		{"faults?errorRate=2", "error rate"},
		{"faults?throttleRate=0.7&errorRate=0.7", "exceed 1"},
		{"faults?maxQps=-3", "negative"},
	} {
		code, m := admin(t, env, "POST", tc.query, "")
		assert.Equal(t, 400, code, tc.query)
		assert.Contains(t, m["error"], tc.want, tc.query)
	}
	_, err = env.Client.StopInstance(stopReq(ids[0]))
	requireServerError(t, err, 500, "InternalError")

	code, _ = admin(t, env, "POST", "faults", "")
	require.Equal(t, 200, code, "no parameters: no faults")
	_, err = env.Client.StopInstance(stopReq(ids[0]))
	require.NoError(t, err)
}

func TestAdminFleet(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	code, m := admin(t, env, "POST", "fleet", `[
		{"InstanceId":"i-ci001","InstanceName":"ci-runner-1","Status":"Stopped",
		 "Tags":{"Tag":[{"TagKey":"team","TagValue":"ci"}]},
		 "Disks":{"Disk":[{"Type":"data","Size":100,"DeleteWithInstance":false}]}},
		{"InstanceName":"generated-id"}]`)
	require.Equal(t, 200, code, "%v", m)
	added := m["instanceIds"].([]any)
	require.Len(t, added, 2)
	assert.Equal(t, "i-ci001", added[0])
	in := describe(t, env.Client, "i-ci001")
	require.NotNil(t, in)
	assert.Equal(t, ecsemu.StatusStopped, in.Status)
	assert.Equal(t, "ci-runner-1", in.InstanceName)
	assert.Len(t, env.Emu.Disks(), 3)

	cases := []struct{ name, body, want string }{
		{"not JSON", `{`, "not a JSON array"},
		{"an object", `{"InstanceId":"i-x"}`, "not a JSON array"},
		{"unknown field", `[{"Statuss":"Running"}]`, "Statuss"},
		{"bad Status", `[{"Status":"Sleeping"}]`, "Status"},
		{"bad charge type", `[{"InstanceChargeType":"Free"}]`, "InstanceChargeType"},
		{"bad ID", `[{"InstanceId":"vm-1"}]`, "InstanceId"},
		{"duplicate ID", `[{"InstanceId":"i-ci001"}]`, "i-ci001"},
		{"bad time", `[{"AutoReleaseTime":"tomorrow"}]`, "AutoReleaseTime"},
		{"PrePaid auto-release", `[{"InstanceChargeType":"PrePaid","AutoReleaseTime":"2026-12-01T00:00Z"}]`, "AutoReleaseTime"},
		{"bad disk type", `[{"Disks":{"Disk":[{"Type":"floppy"}]}}]`, "Disks.Disk[0].Type"},
		{"two system disks", `[{"Disks":{"Disk":[{"Type":"system"},{"Type":"system"}]}}]`, "system disks"},
		{"second entry bad", `[{"InstanceId":"i-fine"},{"Status":"Sleeping"}]`, "fleet[1]"},
	}
	for _, tc := range cases {
		code, m := admin(t, env, "POST", "fleet", tc.body)
		assert.Equal(t, 400, code, tc.name)
		assert.Contains(t, m["error"], tc.want, tc.name)
	}
	assert.Len(t, env.Emu.Instances(), 2, "a rejected fleet adds nothing")
}

func TestAdminListings(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	ids := env.AddRunning(t, 2)
	_, err := env.Client.CreateSnapshot(snapshotReq(systemDisk(t, env, ids[0])))
	require.NoError(t, err)
	sts := newClient(t, env, "secret-token")
	_, err = sts.StopInstance(stopReq(ids[1]))
	require.NoError(t, err)
	_, err = env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	require.NoError(t, err)

	t.Run("instances", func(t *testing.T) {
		t.Parallel()
		code, m := admin(t, env, "GET", "instances", "")
		require.Equal(t, 200, code)
		list := m["Instances"].([]any)
		require.Len(t, list, 2)
		first := list[0].(map[string]any)
		assert.Equal(t, ids[0], first["InstanceId"])
		assert.Equal(t, "Running", first["Status"])
	})
	t.Run("disks", func(t *testing.T) {
		t.Parallel()
		code, m := admin(t, env, "GET", "disks", "")
		require.Equal(t, 200, code)
		assert.Len(t, m["Disks"].([]any), 2)
	})
	t.Run("snapshots", func(t *testing.T) {
		t.Parallel()
		code, m := admin(t, env, "GET", "snapshots", "")
		require.Equal(t, 200, code)
		assert.Len(t, m["Snapshots"].([]any), 1)
	})
	t.Run("calls, token redacted", func(t *testing.T) {
		t.Parallel()
		code, m := admin(t, env, "GET", "calls", "")
		require.Equal(t, 200, code)
		calls := m["calls"].([]any)
		require.Len(t, calls, 3)
		stop := calls[1].(map[string]any)
		assert.Equal(t, "StopInstance", stop["action"])
		assert.Equal(t, "(redacted)", stop["securityToken"])
		assert.Equal(t, true, stop["mutating"])
		assert.EqualValues(t, 200, stop["status"])
		assert.NotContains(t, string(mustJSON(t, m)), "secret-token")
		_, hasToken := calls[0].(map[string]any)["securityToken"]
		assert.False(t, hasToken, "no token, no field")
		// The emulator's own record still has the token.
		assert.Equal(t, "secret-token", env.Emu.Calls()[1].SecurityToken)
	})
	t.Run("calls by action", func(t *testing.T) {
		t.Parallel()
		code, m := admin(t, env, "GET", "calls?action=DescribeInstances", "")
		require.Equal(t, 200, code)
		calls := m["calls"].([]any)
		require.Len(t, calls, 1)
		assert.Equal(t, "DescribeInstances", calls[0].(map[string]any)["action"])
	})
	t.Run("stats", func(t *testing.T) {
		t.Parallel()
		code, m := admin(t, env, "GET", "stats", "")
		require.Equal(t, 200, code)
		assert.Equal(t, map[string]any{"CreateSnapshot": 1.0, "StopInstance": 1.0, "DescribeInstances": 1.0}, m["calls"])
	})
	t.Run("unknown endpoint", func(t *testing.T) {
		t.Parallel()
		code, m := admin(t, env, "GET", "nothing-here", "")
		assert.Equal(t, 404, code)
		assert.Contains(t, m["error"], "unknown admin endpoint")
	})
	t.Run("listing needs GET", func(t *testing.T) {
		t.Parallel()
		code, m := admin(t, env, "POST", "instances", "")
		assert.Equal(t, http.StatusMethodNotAllowed, code)
		assert.Contains(t, m["error"], "GET")
	})
}

func TestAdminResetCalls(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	_, err := env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	require.NoError(t, err)
	code, _ := admin(t, env, "POST", "reset-calls", "")
	require.Equal(t, 200, code)
	assert.Empty(t, env.Emu.Calls())
	code, m := admin(t, env, "GET", "stats", "")
	require.Equal(t, 200, code)
	assert.Empty(t, m["calls"])
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
