package ecsemu_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// lifecycleFleet has one instance per interesting state. IDs are fixed so
// that table cases can name them.
func lifecycleFleet() []ecsemu.Instance {
	security := ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security"}}}
	return []ecsemu.Instance{
		{InstanceId: "i-running", Status: ecsemu.StatusRunning},
		{InstanceId: "i-running2", Status: ecsemu.StatusRunning},
		{InstanceId: "i-stopped", Status: ecsemu.StatusStopped},
		{InstanceId: "i-stopped2", Status: ecsemu.StatusStopped},
		{InstanceId: "i-prepaid", Status: ecsemu.StatusRunning, InstanceChargeType: ecsemu.PrePaid},
		{InstanceId: "i-prepaidstopped", Status: ecsemu.StatusStopped, InstanceChargeType: ecsemu.PrePaid},
		{InstanceId: "i-protected", Status: ecsemu.StatusStopped, DeletionProtection: true},
		{InstanceId: "i-locked", Status: ecsemu.StatusRunning, OperationLocks: security},
		{InstanceId: "i-lockedstopped", Status: ecsemu.StatusStopped, OperationLocks: security},
	}
}

// lifecycleEnv is an emulator with lifecycleFleet and no delays.
func lifecycleEnv(t *testing.T) *ecsemutest.Env {
	t.Helper()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, lifecycleFleet()...)
	return env
}

// snapshotAll returns every instance keyed by ID.
func snapshotAll(env *ecsemutest.Env) map[string]ecsemu.Instance {
	out := map[string]ecsemu.Instance{}
	for _, in := range env.Emu.Instances() {
		out[in.InstanceId] = in
	}
	return out
}

// apiCase is one call of a single-instance action and its expected error.
type apiCase struct {
	name   string
	call   func(c *ecs.Client) error
	status int    // 0: success
	code   string // expected error code
}

func runErrorCases(t *testing.T, cases []apiCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := lifecycleEnv(t)
			before := snapshotAll(env)
			err := tc.call(env.Client)
			if tc.status == 0 {
				require.NoError(t, err)
				return
			}
			requireServerError(t, err, tc.status, tc.code)
			assert.Equal(t, before, snapshotAll(env), "a failed call changes nothing")
		})
	}
}

func TestStopInstance(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		id       string
		mode     string
		force    bool
		wantMode string
	}{
		{"default mode is KeepCharging", "i-running", "", false, "KeepCharging"},
		{"StopCharging recorded", "i-running", "StopCharging", false, "StopCharging"},
		{"KeepCharging recorded", "i-running", "KeepCharging", false, "KeepCharging"},
		{"ForceStop", "i-running", "StopCharging", true, "StopCharging"},
		{"PrePaid ignores StopCharging", "i-prepaid", "StopCharging", false, "KeepCharging"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{StopDelay: time.Minute})
			env.AddFleet(t, lifecycleFleet()...)
			req := stopReq(tc.id)
			req.StoppedMode = tc.mode
			if tc.force {
				req.ForceStop = requests.NewBoolean(true)
			}
			resp, err := env.Client.StopInstance(req)
			require.NoError(t, err)
			assert.NotEmpty(t, resp.RequestId)
			assert.Equal(t, ecsemu.StatusStopping, status(t, env, tc.id))

			require.NoError(t, env.Emu.Advance(time.Minute))
			in := describe(t, env.Client, tc.id)
			require.NotNil(t, in)
			assert.Equal(t, ecsemu.StatusStopped, in.Status)
			assert.Equal(t, tc.wantMode, in.StoppedMode)

			calls := env.Emu.MutatingCalls()
			require.Len(t, calls, 1)
			assert.Equal(t, "StopInstance", calls[0].Action)
			assert.Equal(t, tc.id, calls[0].Params["InstanceId"])
			assert.Equal(t, http.StatusOK, calls[0].Status)
		})
	}
}

func TestStopInstanceErrors(t *testing.T) {
	t.Parallel()
	stop := func(id string, mut ...func(*ecs.StopInstanceRequest)) func(c *ecs.Client) error {
		return func(c *ecs.Client) error {
			r := stopReq(id)
			for _, m := range mut {
				m(r)
			}
			_, err := c.StopInstance(r)
			return err
		}
	}
	dry := func(r *ecs.StopInstanceRequest) { r.DryRun = requests.NewBoolean(true) }
	runErrorCases(t, []apiCase{
		{"Stopped", stop("i-stopped"), 403, "IncorrectInstanceStatus"},
		{"not found", stop("i-nosuch"), 404, "InvalidInstanceId.NotFound"},
		{"security lock", stop("i-locked"), 403, "InstanceLockedForSecurity"},
		{"InstanceId missing", stop(""), 400, "MissingParameter"},
		{"bad StoppedMode", stop("i-running", func(r *ecs.StopInstanceRequest) { r.StoppedMode = "Hibernate" }), 400, "InvalidParameter.StoppedMode"},
		{"bad ForceStop", stop("i-running", func(r *ecs.StopInstanceRequest) { r.ForceStop = "yes" }), 400, "InvalidParameter"},
		{"DryRun passes", stop("i-running", dry), 400, "DryRunOperation"},
		{"DryRun on Stopped reports the real error", stop("i-stopped", dry), 403, "IncorrectInstanceStatus"},
		{"DryRun on unknown", stop("i-nosuch", dry), 404, "InvalidInstanceId.NotFound"},
	})
}

func TestStopInstanceDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	env := lifecycleEnv(t)
	req := stopReq("i-running")
	req.DryRun = requests.NewBoolean(true)
	_, err := env.Client.StopInstance(req)
	requireServerError(t, err, 400, "DryRunOperation")
	assert.Equal(t, ecsemu.StatusRunning, status(t, env, "i-running"))
	assert.Empty(t, env.Emu.MutatingCalls())
	calls := env.Emu.Calls()
	require.Len(t, calls, 1)
	assert.True(t, calls[0].DryRun)
	assert.False(t, calls[0].Mutating)
	assert.Equal(t, "DryRunOperation", calls[0].Code)
}

func TestStopInstances(t *testing.T) {
	t.Parallel()
	type result struct{ code, prev, cur string }
	cases := []struct {
		name    string
		ids     []string
		mode    string // BatchOptimization
		dryRun  bool
		force   bool
		status  int    // 0: success
		code    string // error code of the whole call
		results map[string]result
		after   map[string]string // status after the call
	}{
		{
			name: "AllTogether default", ids: []string{"i-running", "i-running2"},
			results: map[string]result{"i-running": {"200", "Running", "Stopping"}, "i-running2": {"200", "Running", "Stopping"}},
			after:   map[string]string{"i-running": "Stopping", "i-running2": "Stopping"},
		},
		{
			name: "AllTogether explicit, ForceStop", ids: []string{"i-running", "i-running2"}, mode: "AllTogether", force: true,
			results: map[string]result{"i-running": {"200", "Running", "Stopping"}, "i-running2": {"200", "Running", "Stopping"}},
			after:   map[string]string{"i-running": "Stopping", "i-running2": "Stopping"},
		},
		{
			name: "AllTogether one Stopped fails all", ids: []string{"i-running", "i-stopped"}, mode: "AllTogether",
			status: 403, code: "IncorrectInstanceStatus",
			after: map[string]string{"i-running": "Running", "i-stopped": "Stopped"},
		},
		{
			name: "AllTogether one unknown fails all", ids: []string{"i-running", "i-nosuch"},
			status: 404, code: "InvalidInstanceId.NotFound",
			after: map[string]string{"i-running": "Running"},
		},
		{
			name: "AllTogether one locked fails all", ids: []string{"i-running", "i-locked"},
			status: 403, code: "InstanceLockedForSecurity",
			after: map[string]string{"i-running": "Running", "i-locked": "Running"},
		},
		{
			name: "SuccessFirst mixed", ids: []string{"i-running", "i-stopped", "i-nosuch", "i-locked", "i-prepaid"}, mode: "SuccessFirst",
			results: map[string]result{
				"i-running": {"200", "Running", "Stopping"},
				"i-stopped": {"IncorrectInstanceStatus", "Stopped", "Stopped"},
				"i-nosuch":  {"InvalidInstanceId.NotFound", "", ""},
				"i-locked":  {"InstanceLockedForSecurity", "Running", "Running"},
				"i-prepaid": {"200", "Running", "Stopping"},
			},
			after: map[string]string{"i-running": "Stopping", "i-stopped": "Stopped", "i-locked": "Running", "i-prepaid": "Stopping"},
		},
		{
			name: "AllTogether DryRun", ids: []string{"i-running", "i-running2"}, dryRun: true,
			status: 400, code: "DryRunOperation",
			after: map[string]string{"i-running": "Running", "i-running2": "Running"},
		},
		{
			name: "AllTogether DryRun with a failing check", ids: []string{"i-running", "i-stopped"}, dryRun: true,
			status: 403, code: "IncorrectInstanceStatus",
			after: map[string]string{"i-running": "Running"},
		},
		{
			name: "SuccessFirst DryRun is DRYRUN.SUCCESS for every instance", ids: []string{"i-running", "i-stopped", "i-nosuch"}, mode: "SuccessFirst", dryRun: true,
			results: map[string]result{
				"i-running": {"DRYRUN.SUCCESS", "Running", "Running"},
				"i-stopped": {"DRYRUN.SUCCESS", "Stopped", "Stopped"},
				"i-nosuch":  {"DRYRUN.SUCCESS", "", ""},
			},
			after: map[string]string{"i-running": "Running", "i-stopped": "Stopped"},
		},
		{
			name: "duplicate IDs are handled once", ids: []string{"i-running", "i-running"}, mode: "SuccessFirst",
			results: map[string]result{"i-running": {"200", "Running", "Stopping"}},
			after:   map[string]string{"i-running": "Stopping"},
		},
		{name: "101 IDs", ids: manyIDs(101), status: 403, code: "InvalidParameter.ToManyInstanceIds"},
		{name: "101 IDs SuccessFirst", ids: manyIDs(101), mode: "SuccessFirst", status: 403, code: "InvalidParameter.ToManyInstanceIds"},
		{name: "no IDs", status: 400, code: "MissingParameter"},
		{name: "bad BatchOptimization", ids: []string{"i-running"}, mode: "Sometimes", status: 400, code: "InvalidParameter.BatchOptimization"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{StopDelay: time.Hour})
			env.AddFleet(t, lifecycleFleet()...)
			req := ecs.CreateStopInstancesRequest()
			if tc.ids != nil {
				ids := tc.ids
				req.InstanceId = &ids
			}
			req.BatchOptimization = tc.mode
			req.StoppedMode = "StopCharging"
			if tc.dryRun {
				req.DryRun = requests.NewBoolean(true)
			}
			if tc.force {
				req.ForceStop = requests.NewBoolean(true)
			}
			resp, err := env.Client.StopInstances(req)
			if tc.status != 0 {
				requireServerError(t, err, tc.status, tc.code)
			} else {
				require.NoError(t, err)
				got := map[string]result{}
				for _, r := range resp.InstanceResponses.InstanceResponse {
					got[r.InstanceId] = result{r.Code, r.PreviousStatus, r.CurrentStatus}
					if r.Code == "200" {
						assert.Equal(t, "success", r.Message)
					} else {
						assert.NotEmpty(t, r.Message)
					}
				}
				assert.Equal(t, tc.results, got)
				assert.Len(t, resp.InstanceResponses.InstanceResponse, len(tc.results))
			}
			for id, want := range tc.after {
				assert.Equal(t, want, status(t, env, id), id)
			}
			if tc.dryRun {
				assert.Empty(t, env.Emu.MutatingCalls(), "a dry run is not a mutating call")
			}
			if tc.after["i-running"] == ecsemu.StatusStopping {
				in, _ := env.Emu.Instance("i-running")
				assert.Equal(t, "StopCharging", in.StoppedMode)
			}
		})
	}
}

func TestStartInstance(t *testing.T) {
	t.Parallel()
	t.Run("Stopped to Starting to Running", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{StartDelay: 30 * time.Second})
		env.AddFleet(t, lifecycleFleet()...)
		_, err := env.Client.StartInstance(startReq("i-stopped"))
		require.NoError(t, err)
		in := describe(t, env.Client, "i-stopped")
		require.NotNil(t, in)
		assert.Equal(t, ecsemu.StatusStarting, in.Status)
		assert.Equal(t, "Not-applicable", in.StoppedMode)
		require.NoError(t, env.Emu.Advance(29*time.Second))
		assert.Equal(t, ecsemu.StatusStarting, status(t, env, "i-stopped"))
		require.NoError(t, env.Emu.Advance(time.Second))
		in = describe(t, env.Client, "i-stopped")
		require.NotNil(t, in)
		assert.Equal(t, ecsemu.StatusRunning, in.Status)
		assert.Equal(t, minute(ecsemutest.Epoch.Add(30*time.Second)), in.StartTime)
	})
	startCall := func(id string, dryRun bool) func(c *ecs.Client) error {
		return func(c *ecs.Client) error {
			r := startReq(id)
			if dryRun {
				r.DryRun = requests.NewBoolean(true)
			}
			_, err := c.StartInstance(r)
			return err
		}
	}
	runErrorCases(t, []apiCase{
		{"Running", startCall("i-running", false), 403, "IncorrectInstanceStatus"},
		{"not found", startCall("i-nosuch", false), 404, "InvalidInstanceId.NotFound"},
		{"security lock", startCall("i-lockedstopped", false), 403, "InstanceLockedForSecurity"},
		{"DryRun passes", startCall("i-stopped", true), 400, "DryRunOperation"},
		{"DryRun on Running", startCall("i-running", true), 403, "IncorrectInstanceStatus"},
	})
}

func TestStartInstances(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		ids     []string
		mode    string
		dryRun  bool
		status  int
		code    string
		results map[string]string // id → Code
		after   map[string]string
	}{
		{name: "AllTogether", ids: []string{"i-stopped", "i-stopped2"},
			results: map[string]string{"i-stopped": "200", "i-stopped2": "200"},
			after:   map[string]string{"i-stopped": "Starting", "i-stopped2": "Starting"}},
		{name: "AllTogether one Running", ids: []string{"i-stopped", "i-running"}, status: 403, code: "IncorrectInstanceStatus",
			after: map[string]string{"i-stopped": "Stopped"}},
		{name: "SuccessFirst", ids: []string{"i-stopped", "i-running", "i-lockedstopped"}, mode: "SuccessFirst",
			results: map[string]string{"i-stopped": "200", "i-running": "IncorrectInstanceStatus", "i-lockedstopped": "InstanceLockedForSecurity"},
			after:   map[string]string{"i-stopped": "Starting", "i-running": "Running", "i-lockedstopped": "Stopped"}},
		{name: "DryRun AllTogether", ids: []string{"i-stopped"}, dryRun: true, status: 400, code: "DryRunOperation",
			after: map[string]string{"i-stopped": "Stopped"}},
		{name: "DryRun SuccessFirst", ids: []string{"i-stopped", "i-running"}, mode: "SuccessFirst", dryRun: true,
			results: map[string]string{"i-stopped": "DRYRUN.SUCCESS", "i-running": "DRYRUN.SUCCESS"},
			after:   map[string]string{"i-stopped": "Stopped", "i-running": "Running"}},
		{name: "101 IDs", ids: manyIDs(101), status: 403, code: "InvalidParameter.ToManyInstanceIds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{StartDelay: time.Hour})
			env.AddFleet(t, lifecycleFleet()...)
			req := ecs.CreateStartInstancesRequest()
			ids := tc.ids
			req.InstanceId = &ids
			req.BatchOptimization = tc.mode
			if tc.dryRun {
				req.DryRun = requests.NewBoolean(true)
			}
			resp, err := env.Client.StartInstances(req)
			if tc.status != 0 {
				requireServerError(t, err, tc.status, tc.code)
			} else {
				require.NoError(t, err)
				got := map[string]string{}
				for _, r := range resp.InstanceResponses.InstanceResponse {
					got[r.InstanceId] = r.Code
					if r.Code == "200" {
						assert.Equal(t, "Stopped", r.PreviousStatus)
						assert.Equal(t, "Starting", r.CurrentStatus)
					}
				}
				assert.Equal(t, tc.results, got)
			}
			for id, want := range tc.after {
				assert.Equal(t, want, status(t, env, id), id)
			}
			if tc.dryRun {
				assert.Empty(t, env.Emu.MutatingCalls())
			}
		})
	}
}

func TestDeleteInstance(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		id    string
		force bool
	}{
		{"Stopped", "i-stopped", false},
		{"Stopped with Force", "i-stopped", true},
		{"Running with Force", "i-running", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := lifecycleEnv(t)
			_, err := env.Client.DeleteInstance(deleteReq(tc.id, tc.force))
			require.NoError(t, err)
			_, ok := env.Emu.Instance(tc.id)
			assert.False(t, ok, "released")
			assert.Nil(t, describe(t, env.Client, tc.id))
			for _, d := range env.Emu.Disks() {
				assert.NotEqual(t, tc.id, d.InstanceId, "the system disk goes with the instance")
			}
			// A second release finds nothing.
			_, err = env.Client.DeleteInstance(deleteReq(tc.id, tc.force))
			requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
		})
	}
}

func TestDeleteInstanceErrors(t *testing.T) {
	t.Parallel()
	del := func(id string, force bool, mut ...func(*ecs.DeleteInstanceRequest)) func(c *ecs.Client) error {
		return func(c *ecs.Client) error {
			r := deleteReq(id, force)
			for _, m := range mut {
				m(r)
			}
			_, err := c.DeleteInstance(r)
			return err
		}
	}
	dry := func(r *ecs.DeleteInstanceRequest) { r.DryRun = requests.NewBoolean(true) }
	runErrorCases(t, []apiCase{
		{"Running without Force", del("i-running", false), 403, "IncorrectInstanceStatus"},
		{"not found", del("i-nosuch", true), 404, "InvalidInstanceId.NotFound"},
		{"deletion protection", del("i-protected", false), 403, "InvalidOperation.DeletionProtection"},
		{"deletion protection with Force", del("i-protected", true), 403, "InvalidOperation.DeletionProtection"},
		{"PrePaid", del("i-prepaidstopped", false), 403, "ChargeTypeViolation"},
		{"PrePaid with Force", del("i-prepaid", true), 403, "ChargeTypeViolation"},
		{"PrePaid unexpired with TerminateSubscription", del("i-prepaidstopped", false, func(r *ecs.DeleteInstanceRequest) {
			r.TerminateSubscription = requests.NewBoolean(true)
		}), 403, "ChargeTypeViolation"},
		// A security lock does not refuse a release (documented; see
		// hazards_test.go).
		{"DryRun passes", del("i-stopped", false, dry), 400, "DryRunOperation"},
		{"DryRun with Force on Running", del("i-running", true, dry), 400, "DryRunOperation"},
		{"DryRun on Running without Force", del("i-running", false, dry), 403, "IncorrectInstanceStatus"},
		{"bad Force", del("i-stopped", false, func(r *ecs.DeleteInstanceRequest) { r.Force = "maybe" }), 400, "InvalidParameter"},
	})
}

func TestDeleteInstanceExpiredPrePaid(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-expired", Status: ecsemu.StatusStopped, InstanceChargeType: ecsemu.PrePaid, ExpiredTime: "2026-11-01T00:00Z"})
	_, err := env.Client.DeleteInstance(deleteReq("i-expired", false))
	requireServerError(t, err, 403, "ChargeTypeViolation")
	req := deleteReq("i-expired", false)
	req.TerminateSubscription = requests.NewBoolean(true)
	_, err = env.Client.DeleteInstance(req)
	require.NoError(t, err)
	_, ok := env.Emu.Instance("i-expired")
	assert.False(t, ok)
}

func TestDeleteInstancePendingWithForce(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{PendingDelay: time.Minute, StartDelay: time.Minute})
	run := ecs.CreateRunInstancesRequest()
	resp, err := env.Client.RunInstances(run)
	require.NoError(t, err)
	require.Len(t, resp.InstanceIdSets.InstanceIdSet, 1)
	id := resp.InstanceIdSets.InstanceIdSet[0]
	require.Equal(t, ecsemu.StatusPending, status(t, env, id))

	_, err = env.Client.DeleteInstance(deleteReq(id, true))
	requireServerError(t, err, 403, "IncorrectInstanceStatus.Initializing")
	_, err = env.Client.DeleteInstance(deleteReq(id, false))
	requireServerError(t, err, 403, "IncorrectInstanceStatus")

	require.NoError(t, env.Emu.Advance(2*time.Minute))
	_, err = env.Client.DeleteInstance(deleteReq(id, true))
	require.NoError(t, err, "once Running, Force releases it")
}

func TestDeleteInstances(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		ids      []string
		force    bool
		dryRun   bool
		status   int
		code     string
		released []string
	}{
		{name: "Stopped", ids: []string{"i-stopped", "i-stopped2"}, released: []string{"i-stopped", "i-stopped2"}},
		{name: "Force", ids: []string{"i-stopped", "i-running"}, force: true, released: []string{"i-stopped", "i-running"}},
		{name: "Running without Force", ids: []string{"i-stopped", "i-running"}, status: 403, code: "IncorrectInstanceStatus"},
		{name: "protected instance fails the batch", ids: []string{"i-stopped", "i-protected", "i-stopped2"}, force: true,
			status: 403, code: "InvalidOperation.DeletionProtection"},
		{name: "PrePaid fails the batch", ids: []string{"i-stopped", "i-prepaidstopped"}, status: 403, code: "ChargeTypeViolation"},
		{name: "security-locked is released", ids: []string{"i-stopped", "i-lockedstopped"}, released: []string{"i-stopped", "i-lockedstopped"}},
		{name: "unknown fails the batch", ids: []string{"i-stopped", "i-nosuch"}, status: 404, code: "InvalidInstanceId.NotFound"},
		{name: "DryRun", ids: []string{"i-stopped", "i-running"}, force: true, dryRun: true, status: 400, code: "DryRunOperation"},
		{name: "DryRun with a failing check", ids: []string{"i-stopped", "i-protected"}, dryRun: true, status: 403, code: "InvalidOperation.DeletionProtection"},
		{name: "101 IDs", ids: manyIDs(101), force: true, status: 403, code: "InvalidParameter.ToManyInstanceIds"},
		{name: "no IDs", status: 400, code: "MissingParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := lifecycleEnv(t)
			before := snapshotAll(env)
			req := ecs.CreateDeleteInstancesRequest()
			if tc.ids != nil {
				ids := tc.ids
				req.InstanceId = &ids
			}
			if tc.force {
				req.Force = requests.NewBoolean(true)
			}
			if tc.dryRun {
				req.DryRun = requests.NewBoolean(true)
			}
			resp, err := env.Client.DeleteInstances(req)
			if tc.status != 0 {
				requireServerError(t, err, tc.status, tc.code)
				assert.Equal(t, before, snapshotAll(env), "nothing in the batch is released")
			} else {
				require.NoError(t, err)
				assert.NotEmpty(t, resp.RequestId)
				after := snapshotAll(env)
				for _, id := range tc.released {
					assert.NotContains(t, after, id)
				}
				assert.Len(t, after, len(before)-len(tc.released))
			}
			if tc.dryRun {
				assert.Empty(t, env.Emu.MutatingCalls())
			}
		})
	}
}

func TestDeleteInstancesClientToken(t *testing.T) {
	t.Parallel()
	env := lifecycleEnv(t)
	req := func(token string, ids ...string) *ecs.DeleteInstancesRequest {
		r := ecs.CreateDeleteInstancesRequest()
		r.InstanceId = &ids
		r.ClientToken = token
		return r
	}
	_, err := env.Client.DeleteInstances(req("tok-1", "i-stopped"))
	require.NoError(t, err)
	_, ok := env.Emu.Instance("i-stopped")
	require.False(t, ok)

	t.Run("replay succeeds although the instance is gone", func(t *testing.T) {
		resp, err := env.Client.DeleteInstances(req("tok-1", "i-stopped"))
		require.NoError(t, err)
		assert.NotEmpty(t, resp.RequestId)
	})
	t.Run("same token, other parameters", func(t *testing.T) {
		_, err := env.Client.DeleteInstances(req("tok-1", "i-stopped2"))
		requireServerError(t, err, 400, "IdempotentParameterMismatch")
		_, ok := env.Emu.Instance("i-stopped2")
		assert.True(t, ok, "a mismatched replay releases nothing")
	})
	t.Run("without a token a repeat is NotFound", func(t *testing.T) {
		_, err := env.Client.DeleteInstances(req("", "i-stopped"))
		requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
	})
	t.Run("a failed call does not consume the token", func(t *testing.T) {
		_, err := env.Client.DeleteInstances(req("tok-2", "i-running"))
		requireServerError(t, err, 403, "IncorrectInstanceStatus")
		_, err = env.Client.DeleteInstances(req("tok-2", "i-stopped2"))
		require.NoError(t, err)
	})
	t.Run("token longer than 64", func(t *testing.T) {
		long := strings.Repeat("t", 65)
		_, err := env.Client.DeleteInstances(req(long, "i-running2"))
		requireServerError(t, err, 400, "InvalidParameter")
	})
}

func TestModifyInstanceAutoReleaseTime(t *testing.T) {
	t.Parallel()
	now := ecsemutest.Epoch
	cases := []struct {
		name string
		at   string
		want string // as DescribeInstances reports it
	}{
		{"seconds are truncated", ts(now.Add(2*time.Hour + 37*time.Second)), minute(now.Add(2 * time.Hour))},
		{"59 seconds truncated, not rounded", ts(now.Add(time.Hour + 59*time.Second)), minute(now.Add(time.Hour))},
		{"exactly 30 minutes ahead", ts(now.Add(30 * time.Minute)), minute(now.Add(30 * time.Minute))},
		{"exactly 3 years ahead", ts(now.AddDate(3, 0, 0)), minute(now.AddDate(3, 0, 0))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := lifecycleEnv(t)
			_, err := env.Client.ModifyInstanceAutoReleaseTime(autoReleaseReq("i-running", tc.at))
			require.NoError(t, err)
			in := describe(t, env.Client, "i-running")
			require.NotNil(t, in)
			assert.Equal(t, tc.want, in.AutoReleaseTime)
		})
	}

	t.Run("cancel by omitting the time", func(t *testing.T) {
		t.Parallel()
		env := lifecycleEnv(t)
		_, err := env.Client.ModifyInstanceAutoReleaseTime(autoReleaseReq("i-running", ts(now.Add(time.Hour))))
		require.NoError(t, err)
		require.Equal(t, minute(now.Add(time.Hour)), describe(t, env.Client, "i-running").AutoReleaseTime)

		_, err = env.Client.ModifyInstanceAutoReleaseTime(autoReleaseReq("i-running", ""))
		require.NoError(t, err)
		assert.Equal(t, "", describe(t, env.Client, "i-running").AutoReleaseTime)
		calls := env.Emu.MutatingCalls()
		require.Len(t, calls, 2)
		assert.NotContains(t, calls[1].Params, "AutoReleaseTime", "the SDK does not send an empty AutoReleaseTime")

		// The cancelled timer does not fire.
		require.NoError(t, env.Emu.Advance(2*time.Hour))
		assert.Equal(t, ecsemu.StatusRunning, status(t, env, "i-running"))
	})
	t.Run("a new time replaces the old", func(t *testing.T) {
		t.Parallel()
		env := lifecycleEnv(t)
		_, err := env.Client.ModifyInstanceAutoReleaseTime(autoReleaseReq("i-running", ts(now.Add(time.Hour))))
		require.NoError(t, err)
		_, err = env.Client.ModifyInstanceAutoReleaseTime(autoReleaseReq("i-running", ts(now.Add(3*time.Hour))))
		require.NoError(t, err)
		require.NoError(t, env.Emu.Advance(2*time.Hour))
		assert.Equal(t, ecsemu.StatusRunning, status(t, env, "i-running"), "the replaced time does not fire")
		require.NoError(t, env.Emu.Advance(time.Hour))
		assert.Equal(t, "", status(t, env, "i-running"))
	})
	t.Run("works on a protected instance", func(t *testing.T) {
		t.Parallel()
		env := lifecycleEnv(t)
		_, err := env.Client.ModifyInstanceAutoReleaseTime(autoReleaseReq("i-protected", ts(now.Add(time.Hour))))
		require.NoError(t, err)
		assert.Equal(t, minute(now.Add(time.Hour)), describe(t, env.Client, "i-protected").AutoReleaseTime)
	})

	modify := func(id, at string) func(c *ecs.Client) error {
		return func(c *ecs.Client) error {
			_, err := c.ModifyInstanceAutoReleaseTime(autoReleaseReq(id, at))
			return err
		}
	}
	runErrorCases(t, []apiCase{
		{"29 minutes ahead", modify("i-running", ts(now.Add(29*time.Minute))), 400, "InvalidAutoReleaseTime.Malformed"},
		{"30 minutes ahead minus a second", modify("i-running", ts(now.Add(30*time.Minute-time.Second))), 400, "InvalidAutoReleaseTime.Malformed"},
		{"in the past", modify("i-running", ts(now.Add(-time.Hour))), 400, "InvalidAutoReleaseTime.Malformed"},
		{"3 years and a minute ahead", modify("i-running", ts(now.AddDate(3, 0, 0).Add(time.Minute))), 400, "InvalidAutoReleaseTime.Malformed"},
		{"malformed", modify("i-running", "tomorrow"), 400, "InvalidAutoReleaseTime.Malformed"},
		{"not UTC", modify("i-running", "2026-11-27T12:00:00+08:00"), 400, "InvalidAutoReleaseTime.Malformed"},
		{"slashes", modify("i-running", "2026/11/27 12:00:00"), 400, "InvalidAutoReleaseTime.Malformed"},
		{"PrePaid", modify("i-prepaid", ts(now.Add(time.Hour))), 403, "ChargeTypeViolation"},
		{"PrePaid cancel", modify("i-prepaid", ""), 403, "ChargeTypeViolation"},
		{"not found", modify("i-nosuch", ts(now.Add(time.Hour))), 404, "NoSuchResource"},
		{"security lock", modify("i-locked", ts(now.Add(time.Hour))), 403, "InstanceLockedForSecurity"},
		{"InstanceId missing", modify("", ts(now.Add(time.Hour))), 400, "MissingParameter"},
	})
}

func TestModifyInstanceAttributeDeletionProtection(t *testing.T) {
	t.Parallel()
	t.Run("on and off", func(t *testing.T) {
		t.Parallel()
		env := lifecycleEnv(t)
		_, err := env.Client.ModifyInstanceAttribute(protectReq("i-stopped", true))
		require.NoError(t, err)
		assert.True(t, describe(t, env.Client, "i-stopped").DeletionProtection)
		_, err = env.Client.DeleteInstance(deleteReq("i-stopped", false))
		requireServerError(t, err, 403, "InvalidOperation.DeletionProtection")

		_, err = env.Client.ModifyInstanceAttribute(protectReq("i-stopped", false))
		require.NoError(t, err)
		assert.False(t, describe(t, env.Client, "i-stopped").DeletionProtection)
		_, err = env.Client.DeleteInstance(deleteReq("i-stopped", false))
		require.NoError(t, err)
	})
	t.Run("other attributes leave protection alone", func(t *testing.T) {
		t.Parallel()
		env := lifecycleEnv(t)
		req := ecs.CreateModifyInstanceAttributeRequest()
		req.InstanceId = "i-protected"
		req.InstanceName = "renamed"
		req.Description = "a description"
		_, err := env.Client.ModifyInstanceAttribute(req)
		require.NoError(t, err)
		in := describe(t, env.Client, "i-protected")
		assert.True(t, in.DeletionProtection)
		assert.Equal(t, "renamed", in.InstanceName)
		assert.Equal(t, "a description", in.Description)
	})
	modify := func(id string, on bool) func(c *ecs.Client) error {
		return func(c *ecs.Client) error {
			_, err := c.ModifyInstanceAttribute(protectReq(id, on))
			return err
		}
	}
	runErrorCases(t, []apiCase{
		{"not found", modify("i-nosuch", true), 404, "InvalidInstanceId.NotFound"},
		{"security lock", modify("i-locked", true), 403, "InstanceLockedForSecurity"},
		{"PrePaid", modify("i-prepaid", true), 403, "ChargeTypeViolation"},
		{"bad boolean", func(c *ecs.Client) error {
			r := protectReq("i-running", true)
			r.DeletionProtection = "on"
			_, err := c.ModifyInstanceAttribute(r)
			return err
		}, 400, "InvalidParameter"},
	})
}
