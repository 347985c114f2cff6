package ecsemu_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// advancer moves time forward one of the two ways a test can: the
// emulator's own offset (Emulator.Advance) or the injected fake clock.
type advancer struct {
	name string
	move func(t *testing.T, env *ecsemutest.Env, d time.Duration)
}

var advancers = []advancer{
	{"Emulator.Advance", func(t *testing.T, env *ecsemutest.Env, d time.Duration) { require.NoError(t, env.Emu.Advance(d)) }},
	{"clock.Fake.Advance", func(t *testing.T, env *ecsemutest.Env, d time.Duration) { env.Clock.Advance(d) }},
}

func TestStopDelay(t *testing.T) {
	t.Parallel()
	const stopDelay = 4 * time.Minute
	cases := []struct {
		name  string
		force bool
		opts  ecsemu.Options
		delay time.Duration
	}{
		{"StopDelay", false, ecsemu.Options{StopDelay: stopDelay}, stopDelay},
		{"ForceStop defaults to a quarter", true, ecsemu.Options{StopDelay: stopDelay}, stopDelay / 4},
		{"ForceStopDelay set", true, ecsemu.Options{StopDelay: stopDelay, ForceStopDelay: 10 * time.Second}, 10 * time.Second},
	}
	for _, tc := range cases {
		for _, adv := range advancers {
			t.Run(tc.name+"/"+adv.name, func(t *testing.T) {
				t.Parallel()
				env := start(t, tc.opts)
				ids := env.AddRunning(t, 1)
				req := stopReq(ids[0])
				if tc.force {
					req.ForceStop = requests.NewBoolean(true)
				}
				_, err := env.Client.StopInstance(req)
				require.NoError(t, err)

				adv.move(t, env, tc.delay-time.Second)
				assert.Equal(t, ecsemu.StatusStopping, describe(t, env.Client, ids[0]).Status, "not before the delay")
				_, err = env.Client.StartInstance(startReq(ids[0]))
				requireServerError(t, err, 403, "IncorrectInstanceStatus")

				adv.move(t, env, time.Second)
				assert.Equal(t, ecsemu.StatusStopped, describe(t, env.Client, ids[0]).Status)
				_, err = env.Client.StartInstance(startReq(ids[0]))
				require.NoError(t, err)
			})
		}
	}
}

func TestForceStopIsQuicker(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{StopDelay: time.Minute})
	ids := env.AddRunning(t, 2)
	req := ecs.CreateStopInstancesRequest()
	req.InstanceId = &[]string{ids[0]}
	_, err := env.Client.StopInstances(req)
	require.NoError(t, err)
	req = ecs.CreateStopInstancesRequest()
	req.InstanceId = &[]string{ids[1]}
	req.ForceStop = requests.NewBoolean(true)
	_, err = env.Client.StopInstances(req)
	require.NoError(t, err)

	require.NoError(t, env.Emu.Advance(15*time.Second))
	assert.Equal(t, ecsemu.StatusStopping, status(t, env, ids[0]))
	assert.Equal(t, ecsemu.StatusStopped, status(t, env, ids[1]))
	require.NoError(t, env.Emu.Advance(45*time.Second))
	assert.Equal(t, ecsemu.StatusStopped, status(t, env, ids[0]))
}

func TestStuckInStopping(t *testing.T) {
	t.Parallel()
	t.Run("stays Stopping past any delay until released", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{StopDelay: time.Minute})
		ids := env.AddRunning(t, 2)
		require.NoError(t, env.Emu.SetStuck(true, ids[0]))
		sreq := ecs.CreateStopInstancesRequest()
		sreq.InstanceId = &ids
		_, err := env.Client.StopInstances(sreq)
		require.NoError(t, err)

		require.NoError(t, env.Emu.Advance(24*time.Hour))
		assert.Equal(t, ecsemu.StatusStopping, describe(t, env.Client, ids[0]).Status)
		assert.Equal(t, ecsemu.StatusStopped, describe(t, env.Client, ids[1]).Status, "others are not affected")
		env.Clock.Advance(30 * 24 * time.Hour)
		assert.Equal(t, ecsemu.StatusStopping, describe(t, env.Client, ids[0]).Status)

		// A stuck instance cannot be stopped or started again.
		_, err = env.Client.StartInstance(startReq(ids[0]))
		requireServerError(t, err, 403, "IncorrectInstanceStatus")
		_, err = env.Client.StopInstance(stopReq(ids[0]))
		requireServerError(t, err, 403, "IncorrectInstanceStatus")

		require.NoError(t, env.Emu.SetStuck(false, ids[0]))
		assert.Equal(t, ecsemu.StatusStopped, describe(t, env.Client, ids[0]).Status, "the delay is long over: Stopped at once")
	})
	t.Run("a stuck instance can be force-released", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{StopDelay: time.Minute})
		ids := env.AddRunning(t, 1)
		require.NoError(t, env.Emu.SetStuck(true, ids[0]))
		_, err := env.Client.StopInstance(stopReq(ids[0]))
		require.NoError(t, err)
		require.NoError(t, env.Emu.Advance(time.Hour))
		_, err = env.Client.DeleteInstance(deleteReq(ids[0], false))
		requireServerError(t, err, 403, "IncorrectInstanceStatus")
		_, err = env.Client.DeleteInstance(deleteReq(ids[0], true))
		require.NoError(t, err)
		assert.Empty(t, env.Emu.Instances())
	})
	t.Run("released before the delay ends finishes on time", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{StopDelay: time.Minute})
		ids := env.AddRunning(t, 1)
		require.NoError(t, env.Emu.SetStuck(true, ids[0]))
		_, err := env.Client.StopInstance(stopReq(ids[0]))
		require.NoError(t, err)
		require.NoError(t, env.Emu.Advance(30*time.Second))
		require.NoError(t, env.Emu.SetStuck(false, ids[0]))
		assert.Equal(t, ecsemu.StatusStopping, status(t, env, ids[0]))
		require.NoError(t, env.Emu.Advance(30*time.Second))
		assert.Equal(t, ecsemu.StatusStopped, status(t, env, ids[0]))
	})
	t.Run("stuck after the stop began", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{StopDelay: time.Minute})
		ids := env.AddRunning(t, 1)
		_, err := env.Client.StopInstance(stopReq(ids[0]))
		require.NoError(t, err)
		require.NoError(t, env.Emu.SetStuck(true, ids[0]))
		require.NoError(t, env.Emu.Advance(time.Hour))
		assert.Equal(t, ecsemu.StatusStopping, status(t, env, ids[0]))
	})
	t.Run("fleet instance in Stopping", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{StopDelay: time.Minute})
		ids := env.AddFleet(t, ecsemu.Instance{Status: ecsemu.StatusStopping})
		assert.Equal(t, ecsemu.StatusStopping, status(t, env, ids[0]))
		require.NoError(t, env.Emu.Advance(time.Minute))
		assert.Equal(t, ecsemu.StatusStopped, status(t, env, ids[0]))
	})
	t.Run("unknown ID changes nothing", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{StopDelay: time.Minute})
		ids := env.AddRunning(t, 1)
		require.Error(t, env.Emu.SetStuck(true, ids[0], "i-nosuch"))
		_, err := env.Client.StopInstance(stopReq(ids[0]))
		require.NoError(t, err)
		require.NoError(t, env.Emu.Advance(time.Minute))
		assert.Equal(t, ecsemu.StatusStopped, status(t, env, ids[0]), "the known ID was not made stuck either")
	})
}

func TestAutoRelease(t *testing.T) {
	t.Parallel()
	for _, adv := range advancers {
		t.Run(adv.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{})
			keep, drop := false, true
			ids := env.AddFleet(t,
				ecsemu.Instance{InstanceId: "i-plain"},
				ecsemu.Instance{InstanceId: "i-protected", DeletionProtection: true},
				ecsemu.Instance{InstanceId: "i-stopped", Status: ecsemu.StatusStopped},
				ecsemu.Instance{InstanceId: "i-later"},
				ecsemu.Instance{InstanceId: "i-disks", Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{
					{Size: 100, DeleteWithInstance: &keep, DiskName: "survivor"},
					{Size: 20, DeleteWithInstance: &drop},
				}}},
			)
			require.Len(t, ids, 5)
			at := ecsemutest.Epoch.Add(time.Hour)
			for _, id := range []string{"i-plain", "i-protected", "i-stopped", "i-disks"} {
				_, err := env.Client.ModifyInstanceAutoReleaseTime(autoReleaseReq(id, ts(at)))
				require.NoError(t, err)
			}
			_, err := env.Client.ModifyInstanceAutoReleaseTime(autoReleaseReq("i-later", ts(at.Add(time.Hour))))
			require.NoError(t, err)

			// A snapshot of the instance survives its release.
			sn, err := env.Client.CreateSnapshot(snapshotReq(systemDisk(t, env, "i-disks")))
			require.NoError(t, err)
			var survivor string
			for _, d := range env.Emu.Disks() {
				if d.DiskName == "survivor" {
					survivor = d.DiskId
				}
			}
			require.NotEmpty(t, survivor)

			adv.move(t, env, time.Hour-time.Second)
			assert.Len(t, env.Emu.Instances(), 5, "nothing released before the time")
			resp, err := env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
			require.NoError(t, err)
			assert.Equal(t, 5, resp.TotalCount)

			adv.move(t, env, time.Second)
			// The emulator's own view (no API call yet) already shows it.
			assert.Equal(t, []string{"i-later"}, sortedIDs(env.Emu.Instances()))
			disks := env.Emu.Disks()
			require.Len(t, disks, 2, "the i-later system disk and the survivor")
			resp, err = env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
			require.NoError(t, err)
			require.Equal(t, 1, resp.TotalCount)
			assert.Equal(t, "i-later", resp.Instances.Instance[0].InstanceId)

			// The disk kept on release is Available and detached.
			dreq := ecs.CreateDescribeDisksRequest()
			dreq.DiskIds = jsonList(survivor)
			dresp, err := env.Client.DescribeDisks(dreq)
			require.NoError(t, err)
			require.Len(t, dresp.Disks.Disk, 1)
			d := dresp.Disks.Disk[0]
			assert.Equal(t, "Available", d.Status)
			assert.Equal(t, "", d.InstanceId)
			assert.Equal(t, "", d.Device)
			assert.False(t, d.DeleteWithInstance)
			assert.Equal(t, ts(at), d.DetachedTime)

			// The snapshot survives.
			sreq := ecs.CreateDescribeSnapshotsRequest()
			sreq.SnapshotIds = jsonList(sn.SnapshotId)
			sresp, err := env.Client.DescribeSnapshots(sreq)
			require.NoError(t, err)
			require.Len(t, sresp.Snapshots.Snapshot, 1)
			assert.Equal(t, ecsemu.SnapshotAccomplished, sresp.Snapshots.Snapshot[0].Status)

			// Released instances are gone for every action.
			_, err = env.Client.DeleteInstance(deleteReq("i-protected", true))
			requireServerError(t, err, 404, "InvalidInstanceId.NotFound")

			adv.move(t, env, time.Hour)
			assert.Empty(t, env.Emu.Instances())
		})
	}
}

func TestAutoReleaseFromFleet(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t,
		ecsemu.Instance{InstanceId: "i-soon", AutoReleaseTime: "2026-11-26T12:10Z", DeletionProtection: true},
		ecsemu.Instance{InstanceId: "i-past", AutoReleaseTime: "2026-11-26T11:00:00Z"},
	)
	_, ok := env.Emu.Instance("i-past")
	assert.False(t, ok, "a fleet instance whose time has passed is released at once")
	require.NoError(t, env.Emu.Advance(9*time.Minute))
	assert.Equal(t, ecsemu.StatusRunning, status(t, env, "i-soon"))
	require.NoError(t, env.Emu.Advance(time.Minute))
	assert.Equal(t, "", status(t, env, "i-soon"))
}

func TestClock(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	assert.Equal(t, ecsemutest.Epoch, env.Emu.Now())
	require.NoError(t, env.Emu.Advance(time.Hour))
	env.Clock.Advance(time.Minute)
	assert.Equal(t, ecsemutest.Epoch.Add(time.Hour+time.Minute), env.Emu.Now())
	assert.Error(t, env.Emu.Advance(-time.Second))
	assert.Equal(t, ecsemutest.Epoch.Add(time.Hour+time.Minute), env.Emu.Now())

	// Calls are stamped with emulator time.
	_, err := env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	require.NoError(t, err)
	calls := env.Emu.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, ecsemutest.Epoch.Add(time.Hour+time.Minute), calls[0].Time)
}

// The emulator's accessors apply what is due before answering, whichever
// way time moved.
func TestAccessorsApplyDueEvents(t *testing.T) {
	t.Parallel()
	keep := false
	fleet := ecsemu.Instance{InstanceId: "i-timed", AutoReleaseTime: "2026-11-26T13:00Z",
		Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Size: 100, DeleteWithInstance: &keep}}}}
	for _, adv := range advancers {
		t.Run(adv.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{})
			env.AddFleet(t, fleet)
			adv.move(t, env, 2*time.Hour)
			// Disks first: no other call has looked at the store since.
			disks := env.Emu.Disks()
			require.Len(t, disks, 1, "the system disk went with the released instance")
			assert.Equal(t, "Available", disks[0].Status)
			assert.Equal(t, "", disks[0].InstanceId)
			assert.Equal(t, "2026-11-26T13:00:00Z", disks[0].DetachedTime, "detached when the instance was released, not when time was next looked at")
			assert.Empty(t, env.Emu.Instances())
		})
	}
}

// Many clients at once, with the clock moving and the record being read:
// the emulator serialises them (run with -race).
func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{StopDelay: time.Second, StartDelay: time.Second})
	const workers, rounds = 6, 5
	ids := env.AddRunning(t, workers)
	errs := make(chan error, workers*rounds*3)
	done := make(chan struct{})
	var clients []*ecs.Client
	for range workers {
		clients = append(clients, newClient(t, env, ""))
	}
	for w := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			c, id := clients[w], ids[w]
			for range rounds {
				if _, err := c.StopInstance(stopReq(id)); err != nil {
					errs <- err
					return
				}
				for status(t, env, id) != ecsemu.StatusStopped {
					if err := env.Emu.Advance(100 * time.Millisecond); err != nil {
						errs <- err
						return
					}
				}
				if _, err := c.StartInstance(startReq(id)); err != nil {
					errs <- err
					return
				}
				for status(t, env, id) != ecsemu.StatusRunning {
					if err := env.Emu.Advance(100 * time.Millisecond); err != nil {
						errs <- err
						return
					}
				}
				if _, err := c.DescribeInstances(ecs.CreateDescribeInstancesRequest()); err != nil {
					errs <- err
					return
				}
				_ = env.Emu.Calls()
				resp, err := http.Get(env.Endpoint() + "/_emulator/stats")
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
			}
		}()
	}
	for range workers {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, workers*rounds, env.Emu.CallCounts()["StopInstance"])
	assert.Equal(t, workers*rounds, env.Emu.CallCounts()["StartInstance"])
	for _, id := range ids {
		assert.Equal(t, ecsemu.StatusRunning, status(t, env, id))
	}
}
