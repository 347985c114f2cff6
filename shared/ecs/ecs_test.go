package ecs_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/waiter"
)

func TestListPagesOver250Instances(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{})
	ids := f.env.AddRunning(t, 260, tag("team", "ci"))
	f.env.AddRunning(t, 15, tag("team", "web"))
	var pages []int
	seen := map[string]int{}
	err := f.c.List(f.ctx(t, time.Minute), ecs.Selector{Tags: map[string]string{"team": "ci"}}, func(page []ecs.Instance) error {
		pages = append(pages, len(page))
		for _, in := range page {
			seen[in.ID]++
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []int{100, 100, 60}, pages, "pages of at most 100, streamed")
	assert.Len(t, seen, 260)
	for _, id := range ids {
		assert.Equal(t, 1, seen[id], "instance %s seen once", id)
	}
	assert.Equal(t, 3, f.c.Stats().Calls["DescribeInstances"])
}

func TestListSelectorFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{})
	now := f.env.Emu.Now()
	ids := f.env.AddFleet(t,
		ecsemu.Instance{InstanceName: "ci-runner-1", CreationTime: now.Add(-5 * time.Hour).Format("2006-01-02T15:04Z"), Tags: ecsemu.TagSet{Tag: []ecsemu.Tag{tag("team", "ci"), tag("expires", now.Add(-time.Hour).Format(time.RFC3339))}}},
		ecsemu.Instance{InstanceName: "ci-runner-2", CreationTime: now.Add(-1 * time.Hour).Format("2006-01-02T15:04Z"), Tags: ecsemu.TagSet{Tag: []ecsemu.Tag{tag("team", "ci"), tag("expires", now.Add(time.Hour).Format(time.RFC3339))}}},
		ecsemu.Instance{InstanceName: "web-1", Status: ecsemu.StatusStopped, Tags: ecsemu.TagSet{Tag: []ecsemu.Tag{tag("team", "web")}}},
		ecsemu.Instance{InstanceName: "ci-prepaid", InstanceChargeType: ecsemu.PrePaid, Tags: ecsemu.TagSet{Tag: []ecsemu.Tag{tag("team", "ci")}}},
	)
	cases := []struct {
		name string
		sel  ecs.Selector
		want []string
	}{
		{"tag any value", ecs.Selector{Tags: map[string]string{"team": ecs.AnyValue}}, ids},
		{"tag and charge type", ecs.Selector{Tags: map[string]string{"team": "ci"}, ChargeType: ecs.PostPaid}, ids[:2]},
		{"name glob", ecs.Selector{Name: "ci-runner-*"}, ids[:2]},
		{"age", ecs.Selector{Name: "ci-*", CreatedBefore: now.Add(-2 * time.Hour)}, ids[:1]},
		{"expired tag", ecs.Selector{ExpireTag: "expires", ExpiredAt: now}, ids[:1]},
		{"one status server-side", ecs.Selector{Statuses: []string{"Stopped"}}, ids[2:3]},
		{"several statuses client-side", ecs.Selector{Statuses: []string{"Stopped", "Running"}, ChargeType: ecs.PostPaid}, ids[:3]},
		{"IDs", ecs.Selector{IDs: []string{ids[3], ids[0], "i-gone"}}, []string{ids[0], ids[3]}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.c.ListAll(f.ctx(t, time.Minute), tc.sel)
			require.NoError(t, err)
			var gotIDs []string
			for _, in := range got {
				gotIDs = append(gotIDs, in.ID)
			}
			assert.ElementsMatch(t, tc.want, gotIDs)
		})
	}
}

func TestStopReportsPerInstanceResults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{StopDelay: time.Minute})
	ids := f.env.AddFleet(t,
		ecsemu.Instance{},
		ecsemu.Instance{Status: ecsemu.StatusStopped},
		ecsemu.Instance{OperationLocks: ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security"}}}},
	)
	res, err := f.c.Stop(f.ctx(t, time.Minute), append(ids, "i-missing"), ecs.StopOptions{StoppedMode: ecs.StopCharging})
	require.NoError(t, err)
	require.Len(t, res, 4)
	assert.NoError(t, res[0].Err)
	assert.Equal(t, "Stopping", res[0].CurrentStatus)
	assert.ErrorIs(t, res[1].Err, ecs.ErrIncorrectStatus)
	assert.ErrorIs(t, res[2].Err, ecs.ErrLocked)
	assert.ErrorIs(t, res[3].Err, ecs.ErrNotFound)
	assert.Equal(t, 1, f.c.Stats().Calls["StopInstances"], "one SuccessFirst call for the batch")
	in, _ := f.env.Emu.Instance(ids[0])
	assert.Equal(t, "StopCharging", in.StoppedMode, "StoppedMode sent explicitly")

	_, err = f.c.Stop(f.ctx(t, time.Minute), ids, ecs.StopOptions{})
	assert.ErrorIs(t, err, ecs.ErrInvalidParameter, "a stop without an explicit StoppedMode is refused")
}

func TestReleaseIsolatesTheDeletionProtectedInstance(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{})
	fleet := make([]ecsemu.Instance, 100)
	for i := range fleet {
		fleet[i].Status = ecsemu.StatusStopped
	}
	fleet[37].DeletionProtection = true
	ids := f.env.AddFleet(t, fleet...)
	res := f.c.Release(f.ctx(t, time.Minute), ids, ecs.ReleaseOptions{})
	require.Len(t, res, 100)
	for i, r := range res {
		if i == 37 {
			assert.ErrorIs(t, r.Err, ecs.ErrDeletionProtection)
			assert.Equal(t, "InvalidOperation.DeletionProtection", ecs.Code(r.Err))
			continue
		}
		assert.NoError(t, r.Err, "instance %d", i)
	}
	left := f.env.Emu.Instances()
	require.Len(t, left, 1, "every other instance is released")
	assert.Equal(t, ids[37], left[0].InstanceId)
	calls := f.c.Stats().Calls["DeleteInstances"]
	assert.LessOrEqual(t, calls, 1+2*7, "binary split: at most 2 calls per level")
	t.Logf("DeleteInstances calls to isolate one protected instance among 100: %d", calls)
}

func TestReleaseTreatsGoneAsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{})
	ids := f.env.AddFleet(t, ecsemu.Instance{Status: ecsemu.StatusStopped}, ecsemu.Instance{Status: ecsemu.StatusStopped})
	res := f.c.Release(f.ctx(t, time.Minute), []string{ids[0], "i-alreadygone", ids[1]}, ecs.ReleaseOptions{})
	assert.NoError(t, res[0].Err)
	assert.ErrorIs(t, res[1].Err, ecs.ErrNotFound)
	assert.NoError(t, res[2].Err)
	assert.Empty(t, f.env.Emu.Instances())
}

func TestThirtyPercentThrottlingStillCompletes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{StopDelay: 30 * time.Second, Faults: ecsemu.Faults{ThrottleRate: 0.3}, Seed: 42},
		func(c *ecs.Config) { c.MaxAttempts = 20 })
	ids := f.env.AddRunning(t, 300, tag("pool", "batch"))
	ctx := f.ctx(t, 15*time.Minute)
	found, err := f.c.ListAll(ctx, ecs.Selector{Tags: map[string]string{"pool": "batch"}})
	require.NoError(t, err)
	require.Len(t, found, 300)
	stop, err := f.c.Stop(ctx, ids, ecs.StopOptions{StoppedMode: ecs.StopCharging})
	require.NoError(t, err)
	for _, r := range stop {
		require.NoError(t, r.Err)
	}
	wr, err := f.c.WaitStopped(ctx, ids, waiter.Options{MinDelay: 5 * time.Second, MaxDelay: 30 * time.Second, MaxWait: 10 * time.Minute})
	require.NoError(t, err)
	assert.Len(t, wr.Done, 300)
	for _, r := range f.c.Release(ctx, ids, ecs.ReleaseOptions{}) {
		require.NoError(t, r.Err)
	}
	assert.Empty(t, f.env.Emu.Instances())
	st := f.c.Stats()
	assert.Positive(t, st.Throttled, "throttling happened and was retried")
	assert.Equal(t, st.TotalRetries, st.Throttled)
	t.Logf("calls %d, retried after throttling %d", st.TotalCalls, st.Throttled)
}

func TestWaiterReportsStuckInstanceAtDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{StopDelay: 20 * time.Second})
	ids := f.env.AddRunning(t, 3)
	require.NoError(t, f.env.Emu.SetStuck(true, ids[1]))
	ctx := f.ctx(t, 5*time.Minute)
	_, err := f.c.Stop(ctx, ids, ecs.StopOptions{StoppedMode: ecs.StopCharging})
	require.NoError(t, err)
	start := f.clock.Now()
	res, err := f.c.WaitStopped(ctx, ids, waiter.Options{MinDelay: 2 * time.Second, MaxDelay: 15 * time.Second, MaxWait: 30 * time.Minute, Margin: 30 * time.Second})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{ids[0], ids[2]}, res.Done)
	assert.Equal(t, []string{ids[1]}, res.Pending, "the stuck instance is reported, not waited on forever")
	elapsed := f.clock.Now().Sub(start)
	assert.InDelta(t, (5*time.Minute - 30*time.Second).Seconds(), elapsed.Seconds(), 1, "wait ends at the ctx deadline minus the margin")
	in, _ := f.env.Emu.Instance(ids[1])
	assert.Equal(t, "Stopping", in.Status)
}

func TestWaiterTreatsRestartAsTerminal(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{StopDelay: time.Minute})
	ids := f.env.AddRunning(t, 2)
	ctx := f.ctx(t, 10*time.Minute)
	_, err := f.c.Stop(ctx, ids, ecs.StopOptions{StoppedMode: ecs.StopCharging})
	require.NoError(t, err)
	require.NoError(t, f.env.Emu.Advance(time.Minute))
	// Someone starts the first one again.
	start := f.env.NewClient(t, f.env.Emu.Region(), "")
	startReq := newStartRequest(ids[0])
	_, err = start.StartInstance(startReq)
	require.NoError(t, err)
	res, err := f.c.WaitStopped(ctx, ids, waiter.Options{MinDelay: time.Second, MaxWait: time.Minute})
	require.NoError(t, err)
	assert.Equal(t, []string{ids[1]}, res.Done)
	assert.Contains(t, res.Failed[ids[0]], "restarted")
}

func TestStopAndRelease1000InstancesInAtMost40Calls(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{StopDelay: 10 * time.Second})
	f.env.AddRunning(t, 1000, tag("lifecycle", "ephemeral"))
	ctx := f.ctx(t, 10*time.Minute)
	found, err := f.c.ListAll(ctx, ecs.Selector{Tags: map[string]string{"lifecycle": "ephemeral"}, ChargeType: ecs.PostPaid})
	require.NoError(t, err)
	require.Len(t, found, 1000)
	ids := make([]string, len(found))
	for i, in := range found {
		ids[i] = in.ID
	}
	stop, err := f.c.Stop(ctx, ids, ecs.StopOptions{StoppedMode: ecs.StopCharging})
	require.NoError(t, err)
	for _, r := range stop {
		require.NoError(t, r.Err)
	}
	before := f.c.Stats().Calls["DescribeInstances"]
	wr, err := f.c.WaitStopped(ctx, ids, waiter.Options{MinDelay: 5 * time.Second, MaxWait: 5 * time.Minute})
	require.NoError(t, err)
	require.Len(t, wr.Done, 1000)
	polls := f.c.Stats().Calls["DescribeInstances"] - before
	for _, r := range f.c.Release(ctx, ids, ecs.ReleaseOptions{}) {
		require.NoError(t, r.Err)
	}
	assert.Empty(t, f.env.Emu.Instances())
	total := f.c.Stats().TotalCalls - polls
	assert.LessOrEqual(t, total, 40, "list + stop + release of 1,000 instances")
	assert.Equal(t, total, f.env.Emu.CallCounts()["DescribeInstances"]+f.env.Emu.CallCounts()["StopInstances"]+f.env.Emu.CallCounts()["DeleteInstances"]-polls, "the emulator saw the same calls")
	t.Logf("1,000 instances: %d calls without waiter polls (%d polls)", total, polls)
}

func TestSTSTokenReachesTheEmulator(t *testing.T) {
	t.Parallel()
	env := ecsemutest.Start(t, ecsemu.Options{})
	env.AddRunning(t, 1)
	ctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{
		Credentials: fccontext.Credentials{AccessKeyId: env.Emu.AccessKeyID(), AccessKeySecret: env.Emu.AccessKeySecret(), SecurityToken: "sts-token-from-fc"},
	})
	getenv := mapEnv(map[string]string{ecs.EnvEndpoint: env.Endpoint(), ecs.EnvAccessKeyID: "LTAIenvKeyIgnored", ecs.EnvAccessSecret: "x"})
	c, err := ecs.NewForInvocation(ctx, env.Emu.Region(), getenv, ecs.Config{})
	require.NoError(t, err)
	got, err := c.ListAll(ctx, ecs.Selector{})
	require.NoError(t, err)
	assert.Len(t, got, 1)
	calls := env.Emu.Calls()
	require.NotEmpty(t, calls)
	assert.Equal(t, "sts-token-from-fc", calls[len(calls)-1].SecurityToken, "the FC context's STS token was sent and signed")
}

func TestCredentialsFallBackToEnvironmentWithToken(t *testing.T) {
	t.Parallel()
	env := ecsemutest.Start(t, ecsemu.Options{})
	getenv := mapEnv(map[string]string{
		ecs.EnvEndpoint: env.Endpoint(), ecs.EnvAccessKeyID: env.Emu.AccessKeyID(),
		ecs.EnvAccessSecret: env.Emu.AccessKeySecret(), ecs.EnvSecurityToken: "sts-token-from-env",
	})
	c, err := ecs.NewForInvocation(context.Background(), env.Emu.Region(), getenv, ecs.Config{})
	require.NoError(t, err)
	_, err = c.ListAll(context.Background(), ecs.Selector{})
	require.NoError(t, err)
	calls := env.Emu.Calls()
	assert.Equal(t, "sts-token-from-env", calls[len(calls)-1].SecurityToken, "the legacy env provider would drop it; ours sends it")

	_, err = ecs.NewForInvocation(context.Background(), "cn-hangzhou", mapEnv(nil), ecs.Config{})
	assert.ErrorIs(t, err, ecs.ErrNoCredentials)
}

func TestECSEndpointRouting(t *testing.T) {
	t.Parallel()
	env := ecsemutest.Start(t, ecsemu.Options{})
	env.AddRunning(t, 2)
	base := map[string]string{ecs.EnvAccessKeyID: env.Emu.AccessKeyID(), ecs.EnvAccessSecret: env.Emu.AccessKeySecret()}
	t.Run("emulator", func(t *testing.T) {
		m := map[string]string{ecs.EnvEndpoint: env.Endpoint()}
		maps.Copy(m, base)
		c, err := ecs.NewForInvocation(context.Background(), "cn-hangzhou", mapEnv(m), ecs.Config{})
		require.NoError(t, err)
		got, err := c.ListAll(context.Background(), ecs.Selector{})
		require.NoError(t, err)
		assert.Len(t, got, 2)
	})
	t.Run("parse", func(t *testing.T) {
		for raw, want := range map[string]ecs.Endpoint{
			"":                          {Scheme: "HTTPS"},
			"http://127.0.0.1:8080":     {Scheme: "HTTP", Host: "127.0.0.1:8080"},
			"https://ecs.example.test/": {Scheme: "HTTPS", Host: "ecs.example.test"},
		} {
			got, err := ecs.ParseEndpoint(raw)
			require.NoError(t, err, raw)
			assert.Equal(t, want, got, raw)
		}
		for _, bad := range []string{"127.0.0.1:8080", "ftp://h", "http://h/path", "http://", "http://u:p@h"} {
			_, err := ecs.ParseEndpoint(bad)
			assert.ErrorContains(t, err, "ECS_ENDPOINT", bad)
		}
		_, err := ecs.ParseEndpoint("http://LTAIkey:s3cret%2Fx@ecs.example.test")
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "s3cret", "credentials in the URL are never repeated")
	})
	t.Run("unreachable endpoint is a transport error", func(t *testing.T) {
		m := map[string]string{ecs.EnvEndpoint: "http://127.0.0.1:1"}
		maps.Copy(m, base)
		c, err := ecs.NewForInvocation(context.Background(), "cn-hangzhou", mapEnv(m), ecs.Config{MaxAttempts: 1})
		require.NoError(t, err)
		_, err = c.ListAll(context.Background(), ecs.Selector{})
		assert.ErrorIs(t, err, ecs.ErrTransport)
		assert.True(t, ecs.Retryable(err))
		assert.NotContains(t, err.Error(), "Signature=", "the signed URL is not in the message")
	})
}

func TestAutoReleaseTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{})
	ids := f.env.AddFleet(t, ecsemu.Instance{}, ecsemu.Instance{InstanceChargeType: ecsemu.PrePaid})
	ctx := f.ctx(t, time.Minute)
	// The client's clock and the emulator's are both "now" here.
	want := f.clock.Now().Add(2*time.Hour + 17*time.Second)
	set, _, err := f.c.SetAutoReleaseTime(ctx, ids[0], want)
	require.NoError(t, err)
	assert.Equal(t, want.UTC().Truncate(time.Minute), set)
	in, _ := f.env.Emu.Instance(ids[0])
	assert.Equal(t, set.Format("2006-01-02T15:04Z"), in.AutoReleaseTime)

	_, err = f.c.CancelAutoReleaseTime(ctx, ids[0])
	require.NoError(t, err)
	in, _ = f.env.Emu.Instance(ids[0])
	assert.Empty(t, in.AutoReleaseTime)

	_, _, err = f.c.SetAutoReleaseTime(ctx, ids[1], want)
	assert.ErrorIs(t, err, ecs.ErrChargeType)

	before := f.env.Emu.CallCounts()["ModifyInstanceAutoReleaseTime"]
	for name, bad := range map[string]time.Time{"too soon": f.clock.Now().Add(29 * time.Minute), "too late": f.clock.Now().AddDate(3, 1, 0)} {
		_, _, err := f.c.SetAutoReleaseTime(ctx, ids[0], bad)
		assert.ErrorIs(t, err, ecs.ErrInvalidParameter, name)
	}
	assert.Equal(t, before, f.env.Emu.CallCounts()["ModifyInstanceAutoReleaseTime"], "invalid times are refused before any call")
}

func TestDeadlineStopsCallsBeforeTheyStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{})
	f.env.AddRunning(t, 1)
	_, err := f.c.ListAll(f.ctx(t, 100*time.Millisecond), ecs.Selector{})
	assert.ErrorIs(t, err, ecs.ErrDeadline)
	assert.False(t, ecs.Retryable(err))
	assert.Zero(t, f.env.Emu.CallCounts()["DescribeInstances"], "no call started with too little time left")
}

func TestRetriesServerErrorsButNotClientErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{})
	ids := f.env.AddFleet(t, ecsemu.Instance{Status: ecsemu.StatusStopped})
	f.env.Emu.InjectError("DeleteInstances", "InternalError", "boom", 2)
	res := f.c.Release(f.ctx(t, time.Minute), ids, ecs.ReleaseOptions{})
	require.NoError(t, res[0].Err)
	assert.Equal(t, 2, f.c.Stats().Retries["DeleteInstances"])

	f.env.Emu.InjectError("DescribeInstances", "InvalidParameter", "bad", 1)
	_, err := f.c.ListAll(f.ctx(t, time.Minute), ecs.Selector{})
	assert.ErrorIs(t, err, ecs.ErrInvalidParameter)
	assert.Zero(t, f.c.Stats().Retries["DescribeInstances"], "4xx other than throttling is not retried")
}

func TestAuthFailureIsClassifiedAndSecretsStayOut(t *testing.T) {
	t.Parallel()
	env := ecsemutest.Start(t, ecsemu.Options{})
	secret, token := "very-secret-value-123", "sts-token-secret-456"
	c, err := ecs.New(ecs.Config{Region: "cn-hangzhou", Credentials: ecs.Credentials{AccessKeyID: env.Emu.AccessKeyID(), AccessKeySecret: secret, SecurityToken: token}, Endpoint: ecs.Endpoint{Scheme: "HTTP", Host: env.Host()}})
	require.NoError(t, err)
	_, err = c.ListAll(context.Background(), ecs.Selector{})
	require.ErrorIs(t, err, ecs.ErrAuth)
	assert.Equal(t, "SignatureDoesNotMatch", ecs.Code(err))
	assert.NotContains(t, err.Error(), secret)
	assert.NotContains(t, err.Error(), token, "the server string to sign (which holds the token) is redacted")
	assert.NotContains(t, ecs.Credentials{AccessKeyID: "id", AccessKeySecret: secret, SecurityToken: token}.String(), secret)
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestWaitProbesOneBatchUntilItIsDone(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{StopDelay: 30 * time.Second})
	ids := f.env.AddRunning(t, 500)
	ctx := f.ctx(t, 10*time.Minute)
	_, err := f.c.Stop(ctx, ids, ecs.StopOptions{StoppedMode: ecs.StopCharging})
	require.NoError(t, err)
	before := f.c.Stats().Calls["DescribeInstances"]
	res, err := f.c.WaitStopped(ctx, ids, waiter.Options{MinDelay: 5 * time.Second, MaxDelay: 5 * time.Second, MaxWait: 5 * time.Minute, StatesKnown: true})
	require.NoError(t, err)
	assert.Len(t, res.Done, 500)
	polls := f.c.Stats().Calls["DescribeInstances"] - before
	// 6 probe rounds of one call while stopping, then the other 4 batches once.
	assert.LessOrEqual(t, polls, 6+4, "probe polling: %d calls", polls)
	t.Logf("waiting for 500 instances took %d DescribeInstances calls over %d rounds", polls, res.Checks)
}

func TestSnapshotPlansAdoptRetryAndRenew(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{SnapshotDelay: 40 * time.Second, StartDelay: time.Second, StopDelay: time.Second})
	no := false
	old := f.clock.Now().Add(-24 * time.Hour).Format(ecs.MinuteLayout)
	ids := f.env.AddFleet(t,
		ecsemu.Instance{Status: ecsemu.StatusStopped, StartTime: old, Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Size: 100, DeleteWithInstance: &no}}}},
		ecsemu.Instance{Status: ecsemu.StatusStopped, StartTime: old},
	)
	f.env.Emu.FailSnapshotsOf(ids[1], true)
	ctx := f.ctx(t, time.Hour)
	opts := ecs.SnapshotOptions{Name: "release-backup", Description: "before release", Tags: map[string]string{"ecs-release:origin": "https://jobs.example/1"}}
	plan := func() map[string]*ecs.SnapshotPlan {
		described, err := f.c.Describe(ctx, ids)
		require.NoError(t, err)
		var insts []ecs.Instance
		for _, id := range ids {
			if in, ok := described[id]; ok {
				insts = append(insts, in)
			}
		}
		plans, errs := f.c.PlanSnapshots(ctx, insts)
		require.Empty(t, errs)
		return plans
	}
	create := func(p *ecs.SnapshotPlan) []string {
		var out []string
		for _, d := range p.ToCreate() {
			id, err := f.c.CreateSnapshot(ctx, p, d, opts)
			require.NoError(t, err)
			out = append(out, id)
		}
		return out
	}
	first := plan()
	assert.Len(t, first[ids[0]].ToCreate(), 2)
	assert.Equal(t, old, first[ids[0]].Start)
	made := append(create(first[ids[0]]), create(first[ids[1]])...)
	require.Len(t, made, 3)
	wres, err := waiter.Wait(ctx, made, f.c.SnapshotCheck(), waiter.Options{MinDelay: 10 * time.Second, MaxWait: 10 * time.Minute, Clock: f.clock})
	require.NoError(t, err)
	assert.Len(t, wres.Done, 2)
	assert.Len(t, wres.Failed, 1, "the failing instance's snapshot fails")
	for _, s := range f.env.Emu.Snapshots() {
		for _, tag := range s.Tags.Tag {
			assert.NotContains(t, tag.TagValue, "https://", "tag values are made valid")
		}
	}

	// A retry (same or other request id) adopts the accomplished snapshots;
	// the failed one changes the token, so the retry takes a new one.
	second := plan()
	assert.Empty(t, second[ids[0]].ToCreate(), "both disks adopted")
	require.Len(t, second[ids[1]].ToCreate(), 1)
	assert.Len(t, second[ids[1]].Failed[second[ids[1]].Disks[0].ID], 1)
	f.env.Emu.FailSnapshotsOf(ids[1], false)
	renewed := create(second[ids[1]])
	assert.NotContains(t, made, renewed[0], "not the failed snapshot again")
	again := create(second[ids[1]])
	assert.Equal(t, renewed, again, "the same call retried gets the same snapshot")
	assert.Len(t, f.env.Emu.Snapshots(), 4)

	// After the instance ran again (a later minute), nothing is adopted.
	start := f.env.NewClient(t, f.env.Emu.Region(), "")
	_, err = start.StartInstance(newStartRequest(ids[0]))
	require.NoError(t, err)
	require.NoError(t, f.env.Emu.Advance(2*time.Minute))
	_, err = f.c.Stop(ctx, ids[:1], ecs.StopOptions{StoppedMode: ecs.StopCharging})
	require.NoError(t, err)
	require.NoError(t, f.env.Emu.Advance(time.Minute))
	third := plan()
	assert.NotEqual(t, old, third[ids[0]].Start)
	assert.Len(t, third[ids[0]].ToCreate(), 2, "snapshots from before the restart do not count")
	fresh := create(third[ids[0]])
	for _, id := range fresh {
		assert.NotContains(t, made, id)
	}
}

func TestPlanSnapshotsOfInstanceWithoutDisks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ecsemu.Options{})
	_, errs := f.c.PlanSnapshots(f.ctx(t, time.Minute), []ecs.Instance{{ID: "i-nodisks", StartTime: f.clock.Now()}})
	assert.ErrorIs(t, errs["i-nodisks"], ecs.ErrSnapshotFailed)
}
