package ecsemu_test

import (
	"math"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
)

func TestOperatorChangesFollowECSRules(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{StartDelay: 10 * time.Second, StopDelay: 20 * time.Second})
	ids := env.AddFleet(t, ecsemu.Instance{Status: ecsemu.StatusStopped}, ecsemu.Instance{})
	stopped, running := ids[0], ids[1]

	require.Error(t, env.Emu.OperatorStart(running), "a Running instance cannot be started")
	require.NoError(t, env.Emu.OperatorStart(stopped))
	in, _ := env.Emu.Instance(stopped)
	assert.Equal(t, ecsemu.StatusStarting, in.Status)
	require.NoError(t, env.Emu.Advance(10*time.Second))
	in, _ = env.Emu.Instance(stopped)
	assert.Equal(t, ecsemu.StatusRunning, in.Status)

	require.NoError(t, env.Emu.OperatorStop(running, false))
	require.NoError(t, env.Emu.Advance(20*time.Second))
	in, _ = env.Emu.Instance(running)
	assert.Equal(t, ecsemu.StatusStopped, in.Status)
	assert.Equal(t, "KeepCharging", in.StoppedMode, "an operator's console stop")

	require.NoError(t, env.Emu.SetTag(running, "ecs-release:protect", "true"))
	require.NoError(t, env.Emu.SetTag(running, "ecs-release:protect", "yes"))
	require.NoError(t, env.Emu.SetDeletionProtection(running, true))
	require.NoError(t, env.Emu.SetLock(running, "financial", true))
	in, _ = env.Emu.Instance(running)
	assert.Equal(t, []ecsemu.Tag{{TagKey: "ecs-release:protect", TagValue: "yes"}}, in.Tags.Tag)
	assert.True(t, in.DeletionProtection)
	assert.Equal(t, []ecsemu.LockReason{{LockReason: "financial"}}, in.OperationLocks.LockReason)
	require.NoError(t, env.Emu.RemoveTag(running, "ecs-release:protect"))
	require.NoError(t, env.Emu.SetLock(running, "financial", false))
	in, _ = env.Emu.Instance(running)
	assert.Empty(t, in.Tags.Tag)
	assert.Empty(t, in.OperationLocks.LockReason)

	at := env.Emu.Now().Add(time.Hour)
	require.NoError(t, env.Emu.SetAutoReleaseTime(running, at))
	require.NoError(t, env.Emu.Advance(time.Hour+time.Minute))
	_, exists := env.Emu.Instance(running)
	assert.False(t, exists, "an operator's auto-release time releases like any other")

	require.NoError(t, env.Emu.OperatorRelease(stopped))
	_, exists = env.Emu.Instance(stopped)
	assert.False(t, exists)
	assert.Error(t, env.Emu.SetTag(stopped, "k", "v"), "unknown instance")
	assert.Empty(t, env.Emu.Calls(), "operator changes are not API calls")
}

func TestWitnessRecordsStatesAtEachCall(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{Witness: true, StopDelay: 30 * time.Second, SnapshotDelay: time.Minute})
	ids := env.AddFleet(t, ecsemu.Instance{Tags: ecsemu.TagSet{Tag: []ecsemu.Tag{{TagKey: "team", TagValue: "ci"}}}})
	id := ids[0]
	began := env.Emu.Now()

	d := ecs.CreateDescribeInstancesRequest()
	d.InstanceIds = `["` + id + `"]`
	_, err := env.Client.DescribeInstances(d)
	require.NoError(t, err)
	s := ecs.CreateStopInstancesRequest()
	s.InstanceId = &[]string{id}
	s.StoppedMode = "StopCharging"
	_, err = env.Client.StopInstances(s)
	require.NoError(t, err)
	require.NoError(t, env.Emu.Advance(30*time.Second))
	require.NoError(t, env.Emu.SetTag(id, "ecs-release:protect", "true"))
	disks := env.Emu.Disks()
	require.Len(t, disks, 1)
	c := ecs.CreateCreateSnapshotRequest()
	c.DiskId = disks[0].DiskId
	_, err = env.Client.CreateSnapshot(c)
	require.NoError(t, err)
	require.NoError(t, env.Emu.Advance(time.Minute))
	del := ecs.CreateDeleteInstancesRequest()
	del.InstanceId = &[]string{id}
	del.Force = requests.NewBoolean(false)
	_, err = env.Client.DeleteInstances(del)
	require.NoError(t, err)

	calls := env.Emu.Calls()
	require.Len(t, calls, 4)
	require.Len(t, calls[0].Returned, 1, "DescribeInstances: the instances it returned")
	assert.Equal(t, ecsemu.StatusRunning, calls[0].Returned[0].Status)
	assert.Empty(t, calls[0].Before, "reads carry no Before")
	require.Len(t, calls[1].Before, 1)
	assert.Equal(t, ecsemu.StatusRunning, calls[1].Before[0].Status, "StopInstances: the state before the stop")
	assert.True(t, calls[1].Before[0].StopIssuedAt.Before(began), "no stop issued before")
	require.Len(t, calls[2].Before, 1, "CreateSnapshot names the instance through its disk")
	assert.Equal(t, ecsemu.StatusStopped, calls[2].Before[0].Status)
	assert.Equal(t, began, calls[2].Before[0].StopIssuedAt, "the precise time the stop was requested")
	del0 := calls[3].Before[0]
	assert.Equal(t, "true", del0.Tags["ecs-release:protect"], "DeleteInstances: the tags at that call")
	require.Len(t, del0.Disks, 1)
	require.Len(t, del0.Disks[0].Snapshots, 1)
	assert.Equal(t, ecsemu.SnapshotAccomplished, del0.Disks[0].Snapshots[0].Status)
}

func TestFaultSettingsRefuseNaN(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	for _, f := range []ecsemu.Faults{{ThrottleRate: nan}, {ErrorRate: nan}, {SpikeRate: nan}, {MaxQPS: nan}, {MaxQPS: math.Inf(1)}} {
		_, err := ecsemu.New(ecsemu.Options{Faults: f})
		assert.Error(t, err, "%+v", f)
	}
}
