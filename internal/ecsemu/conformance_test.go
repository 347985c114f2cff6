package ecsemu_test

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// confTranscript logs the transcript of every scenario that passed:
// go test ./internal/ecsemu -run TestConformance -v -conformance.transcript
var confTranscript = flag.Bool("conformance.transcript", false, "log the transcript of each conformance scenario")

// confSeed is the seed of every conformance emulator: both runs of a
// scenario generate the same IDs.
const confSeed = 20261126

// confScenario is one behaviour, written once against confClient and run
// through every SDK flavor on a fresh emulator with the same options, seed
// and fleet. It asserts the expected behaviour itself; the runner then
// requires the transcripts of the runs to be equal.
type confScenario struct {
	name  string
	opts  ecsemu.Options
	fleet func() []ecsemu.Instance
	run   func(r *confRun, ids []string)
}

// confRun is one run of a scenario through one SDK.
type confRun struct {
	t      *testing.T
	env    *ecsemutest.Env
	flavor confFlavor
	// c is the SDK's client for the default region, recording into log.
	c   confClient
	log *[]string
}

// client returns another recording client of the run's SDK with any key
// pair.
func (r *confRun) client(keyID, secret string) confClient {
	return confRecording{next: r.flavor.client(r.t, r.env, region, keyID, secret), log: r.log}
}

// advance moves the emulator clock (and writes it into the transcript).
func (r *confRun) advance(d time.Duration) {
	r.t.Helper()
	require.NoError(r.t, r.env.Emu.Advance(d))
	*r.log = append(*r.log, "advance "+d.String())
}

// list is DescribeInstances with q, a page of 100 unless q pages itself;
// it checks TotalCount against the page.
func (r *confRun) list(q confInstQuery) confInstPage {
	r.t.Helper()
	if q.PageNumber == 0 && q.PageSize == 0 && q.MaxResults == 0 && q.NextToken == "" {
		q.PageSize = 100
	}
	p := called(r.c.DescribeInstances(q)).ok(r.t)
	assert.Equal(r.t, len(p.Instances), p.TotalCount, "TotalCount of %+v", q)
	return p
}

// ids is the instance IDs DescribeInstances returns for q.
func (r *confRun) ids(q confInstQuery) []string {
	r.t.Helper()
	return r.list(q).ids()
}

// one is DescribeInstances' view of one instance, which must exist.
func (r *confRun) one(id string) confInstance {
	r.t.Helper()
	p := r.list(confInstQuery{IDs: []string{id}})
	require.Len(r.t, p.Instances, 1, "instance %s", id)
	return p.Instances[0]
}

// status is an instance's status by DescribeInstances ("" when absent).
func (r *confRun) status(id string) string {
	r.t.Helper()
	p := r.list(confInstQuery{IDs: []string{id}})
	if len(p.Instances) == 0 {
		return ""
	}
	return p.Instances[0].Status
}

// TestConformance runs every scenario through the classic SDK and through
// the v7 SDK (default settings: ACS3-HMAC-SHA256, POST). Each run asserts
// the expected behaviour; when both pass, their transcripts (every call,
// its arguments and its normalised answer) must be equal, so any
// divergence between the two SDKs' views of the emulator fails.
func TestConformance(t *testing.T) {
	t.Parallel()
	for _, sc := range confScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			logs := make([][]string, len(confFlavors))
			passed := true
			for i, fl := range confFlavors {
				ok := t.Run(fl.name, func(t *testing.T) {
					opts := sc.opts
					opts.Seed = confSeed
					env := ecsemutest.Start(t, opts)
					var ids []string
					if sc.fleet != nil {
						ids = env.AddFleet(t, sc.fleet()...)
					}
					r := &confRun{t: t, env: env, flavor: fl, log: &logs[i]}
					r.c = r.client(env.Emu.AccessKeyID(), env.Emu.AccessKeySecret())
					sc.run(r, ids)
				})
				passed = passed && ok
			}
			if !passed {
				t.Log("a run failed; transcripts not compared")
				return
			}
			require.NotEmpty(t, logs[0], "the scenario made no call")
			for i := 1; i < len(confFlavors); i++ {
				require.Equal(t, logs[0], logs[i], "%s and %s saw different answers", confFlavors[0].name, confFlavors[i].name)
			}
			if *confTranscript {
				t.Log(strings.Join(logs[0], "\n"))
			}
		})
	}
}

func confTagSet(kvs ...string) ecsemu.TagSet {
	var s ecsemu.TagSet
	for i := 0; i+1 < len(kvs); i += 2 {
		s.Tag = append(s.Tag, ecsemu.Tag{TagKey: kvs[i], TagValue: kvs[i+1]})
	}
	return s
}

// confFleetOf returns n default instances, each with the given tags.
func confFleetOf(n int, tags ecsemu.TagSet) func() []ecsemu.Instance {
	return func() []ecsemu.Instance {
		out := make([]ecsemu.Instance, n)
		for i := range out {
			out[i].Tags = ecsemu.TagSet{Tag: append([]ecsemu.Tag(nil), tags.Tag...)}
		}
		return out
	}
}

const (
	confRunning  = ecsemu.StatusRunning
	confStopped  = ecsemu.StatusStopped
	confStopping = ecsemu.StatusStopping
	confStarting = ecsemu.StatusStarting
	confNoSuchID = "i-nosuch0000"
)

// confRegionless are the actions without RegionId in ECS's API (and in
// the v7 request models): the instance is found by its ID alone.
var confRegionless = map[string]bool{
	"StopInstance": true, "StartInstance": true, "DeleteInstance": true,
	"DescribeInstanceAttribute": true, "ModifyInstanceAttribute": true,
}

func confScenarios() []confScenario {
	return []confScenario{
		{
			name: "stop, Stopped after the delay, start, Running",
			opts: ecsemu.Options{StopDelay: 2 * time.Minute, StartDelay: time.Minute},
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{{InstanceId: "i-life1", InstanceName: "life-1"}}
			},
			run: func(r *confRun, ids []string) {
				t, c, id := r.t, r.c, ids[0]
				require.NoError(t, c.StopInstance(id, confStopOpts{Mode: "StopCharging"}))
				assert.Equal(t, confStopping, called(c.DescribeInstanceAttribute(id)).ok(t).Status)
				requireConfError(t, c.StopInstance(id, confStopOpts{}), 403, "IncorrectInstanceStatus")
				requireConfError(t, c.StartInstance(id, false), 403, "IncorrectInstanceStatus")
				r.advance(time.Minute)
				assert.Equal(t, confStopping, r.status(id), "Stopping lasts StopDelay")
				r.advance(time.Minute)
				in := r.one(id)
				assert.Equal(t, confStopped, in.Status)
				assert.Equal(t, "StopCharging", in.StoppedMode)

				require.NoError(t, c.StartInstance(id, false))
				a := called(c.DescribeInstanceAttribute(id)).ok(t)
				assert.Equal(t, confAttr{ID: id, Name: "life-1", Status: confStarting, Region: region, Zone: region + "-a",
					ChargeType: ecsemu.PostPaid, StoppedMode: "Not-applicable", InstanceType: "ecs.g7.large",
					VpcID: "vpc-emulator0000000000"}, a)
				r.advance(time.Minute)
				st := called(c.DescribeInstanceStatus([]string{id}, 0, 0)).ok(t)
				assert.Equal(t, confStatusPage{Statuses: []confIDStatus{{id, confRunning}}, TotalCount: 1, PageNumber: 1, PageSize: 10}, st)
				assert.Equal(t, confRunning, r.one(id).Status)

				// A forced stop takes ForceStopDelay (StopDelay/4 by default) and
				// without StoppedMode stops in KeepCharging.
				require.NoError(t, c.StopInstance(id, confStopOpts{Force: true}))
				r.advance(30 * time.Second)
				in = r.one(id)
				assert.Equal(t, confStopped, in.Status)
				assert.Equal(t, "KeepCharging", in.StoppedMode)
			},
		},
		{
			name: "StopInstances and StartInstances, AllTogether and SuccessFirst",
			opts: ecsemu.Options{StopDelay: time.Minute, StartDelay: time.Minute},
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{{InstanceId: "i-bat1"}, {InstanceId: "i-bat2"}, {InstanceId: "i-bat3"}, {InstanceId: "i-bat4", Status: confStopped}}
			},
			run: func(r *confRun, ids []string) {
				t, c := r.t, r.c
				b1, b2, b3, b4 := ids[0], ids[1], ids[2], ids[3]
				called(c.StopInstances([]string{b1, b2}, confStopOpts{DryRun: true})).fails(t, 400, "DryRunOperation")
				called(c.StopInstances([]string{b1, b4}, confStopOpts{})).fails(t, 403, "IncorrectInstanceStatus")
				called(c.StopInstances([]string{b1, confNoSuchID}, confStopOpts{})).fails(t, 404, "InvalidInstanceId.NotFound")
				called(c.StopInstances([]string{b1}, confStopOpts{Batch: "Sometimes"})).fails(t, 400, "InvalidParameter.BatchOptimization")
				called(c.StopInstances(manyIDs(101), confStopOpts{})).fails(t, 403, "InvalidParameter.ToManyInstanceIds")
				assert.Equal(t, []string{b1, b2, b3}, r.ids(confInstQuery{Status: confRunning}), "AllTogether: a failed batch stops nothing")

				res := called(c.StopInstances([]string{b1, b2}, confStopOpts{Mode: "KeepCharging"})).ok(t)
				assert.Equal(t, []confBatchResult{{b1, "200", confRunning, confStopping}, {b2, "200", confRunning, confStopping}}, res)
				res = called(c.StopInstances([]string{b3, b4, confNoSuchID}, confStopOpts{Batch: "SuccessFirst", Force: true})).ok(t)
				assert.Equal(t, []confBatchResult{
					{b3, "200", confRunning, confStopping},
					{b4, "IncorrectInstanceStatus", confStopped, confStopped},
					{confNoSuchID, "InvalidInstanceId.NotFound", "", ""},
				}, res)
				res = called(c.StopInstances([]string{b1, confNoSuchID}, confStopOpts{Batch: "SuccessFirst", DryRun: true})).ok(t)
				assert.Equal(t, []confBatchResult{{b1, "DRYRUN.SUCCESS", confStopping, confStopping}, {confNoSuchID, "DRYRUN.SUCCESS", "", ""}}, res)

				r.advance(time.Minute)
				assert.Equal(t, []string{b1, b2, b3, b4}, r.ids(confInstQuery{Status: confStopped}))
				res = called(c.StartInstances([]string{b1, b2}, "SuccessFirst", false)).ok(t)
				assert.Equal(t, []confBatchResult{{b1, "200", confStopped, confStarting}, {b2, "200", confStopped, confStarting}}, res)
				called(c.StartInstances([]string{b3, b1}, "", false)).fails(t, 403, "IncorrectInstanceStatus")
				called(c.StartInstances([]string{b3, b4}, "", true)).fails(t, 400, "DryRunOperation")
				res = called(c.StartInstances([]string{b3, b4}, "AllTogether", false)).ok(t)
				assert.Equal(t, []confBatchResult{{b3, "200", confStopped, confStarting}, {b4, "200", confStopped, confStarting}}, res)
				r.advance(time.Minute)
				assert.Equal(t, []string{b1, b2, b3, b4}, r.ids(confInstQuery{Status: confRunning}))
			},
		},
		{
			name: "DeleteInstance needs Stopped or Force; DeleteInstances is all-or-nothing and idempotent",
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{{InstanceId: "i-del1"}, {InstanceId: "i-del2", Status: confStopped}, {InstanceId: "i-del3"}, {InstanceId: "i-del4", Status: confStopped}}
			},
			run: func(r *confRun, ids []string) {
				t, c := r.t, r.c
				d1, d2, d3, d4 := ids[0], ids[1], ids[2], ids[3]
				requireConfError(t, c.DeleteInstance(d1, false, false), 403, "IncorrectInstanceStatus")
				requireConfError(t, c.DeleteInstance(d1, true, true), 400, "DryRunOperation")
				assert.Equal(t, confRunning, r.status(d1))
				require.NoError(t, c.DeleteInstance(d1, true, false))
				assert.Equal(t, "", r.status(d1))
				called(c.DescribeInstanceAttribute(d1)).fails(t, 404, "InvalidInstanceId.NotFound")
				requireConfError(t, c.DeleteInstance(d1, true, false), 404, "InvalidInstanceId.NotFound")
				require.NoError(t, c.DeleteInstance(d2, false, false), "a Stopped instance needs no Force")

				requireConfError(t, c.DeleteInstances([]string{d4, d3}, false, false, ""), 403, "IncorrectInstanceStatus")
				requireConfError(t, c.DeleteInstances([]string{d4, confNoSuchID}, true, false, ""), 404, "InvalidInstanceId.NotFound")
				requireConfError(t, c.DeleteInstances([]string{d3, d4}, true, true, ""), 400, "DryRunOperation")
				assert.Equal(t, []string{d3, d4}, r.ids(confInstQuery{}), "refused batches release nothing")
				require.NoError(t, c.DeleteInstances([]string{d3, d4}, true, false, "conf-delete-1"))
				require.NoError(t, c.DeleteInstances([]string{d3, d4}, true, false, "conf-delete-1"), "the same ClientToken and parameters replay the answer")
				requireConfError(t, c.DeleteInstances([]string{d3}, true, false, "conf-delete-1"), 400, "IdempotentParameterMismatch")
				p := called(c.DescribeInstances(confInstQuery{})).ok(t)
				assert.Empty(t, p.Instances)
				assert.Zero(t, p.TotalCount)
			},
		},
		{
			name: "deletion protection blocks DeleteInstance and DeleteInstances",
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{{InstanceId: "i-prot1"}, {InstanceId: "i-prot2"}, {InstanceId: "i-prepaid", InstanceChargeType: ecsemu.PrePaid}}
			},
			run: func(r *confRun, ids []string) {
				t, c := r.t, r.c
				p1, p2, pre := ids[0], ids[1], ids[2]
				assert.False(t, r.one(p1).DeletionProtection)
				require.NoError(t, c.ModifyInstanceAttribute(p1, true))
				assert.True(t, r.one(p1).DeletionProtection)
				requireConfError(t, c.DeleteInstance(p1, true, false), 403, "InvalidOperation.DeletionProtection")
				requireConfError(t, c.DeleteInstances([]string{p2, p1}, true, false, ""), 403, "InvalidOperation.DeletionProtection")
				assert.Equal(t, []string{p1, p2, pre}, r.ids(confInstQuery{}))
				requireConfError(t, c.ModifyInstanceAttribute(pre, true), 403, "ChargeTypeViolation")
				requireConfError(t, c.DeleteInstance(pre, true, false), 403, "ChargeTypeViolation")
				require.NoError(t, c.ModifyInstanceAttribute(p1, false))
				assert.False(t, r.one(p1).DeletionProtection)
				require.NoError(t, c.DeleteInstance(p1, true, false))
				assert.Equal(t, []string{p2, pre}, r.ids(confInstQuery{}))
			},
		},
		{
			name: "auto-release: set, refuse, cancel, fire on Advance",
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{{InstanceId: "i-ar1"}, {InstanceId: "i-ar2"}, {InstanceId: "i-ar3", DeletionProtection: true}, {InstanceId: "i-arpre", InstanceChargeType: ecsemu.PrePaid}}
			},
			run: func(r *confRun, ids []string) {
				t, c := r.t, r.c
				a1, a2, a3, pre := ids[0], ids[1], ids[2], ids[3]
				now := r.env.Emu.Now()
				require.NoError(t, c.ModifyInstanceAutoReleaseTime(a1, ts(now.Add(2*time.Hour))))
				assert.Equal(t, minute(now.Add(2*time.Hour)), r.one(a1).AutoReleaseTime)
				require.NoError(t, c.ModifyInstanceAutoReleaseTime(a2, ts(now.Add(time.Hour+30*time.Second))))
				assert.Equal(t, minute(now.Add(time.Hour)), r.one(a2).AutoReleaseTime, "seconds are truncated")
				require.NoError(t, c.ModifyInstanceAutoReleaseTime(a3, ts(now.Add(time.Hour))))

				requireConfError(t, c.ModifyInstanceAutoReleaseTime(a1, ts(now.Add(10*time.Minute))), 400, "InvalidAutoReleaseTime.Malformed")
				requireConfError(t, c.ModifyInstanceAutoReleaseTime(a1, ts(now.AddDate(3, 0, 1))), 400, "InvalidAutoReleaseTime.Malformed")
				requireConfError(t, c.ModifyInstanceAutoReleaseTime(a1, "tomorrow"), 400, "InvalidAutoReleaseTime.Malformed")
				requireConfError(t, c.ModifyInstanceAutoReleaseTime(pre, ts(now.Add(2*time.Hour))), 403, "ChargeTypeViolation")
				requireConfError(t, c.ModifyInstanceAutoReleaseTime(confNoSuchID, ts(now.Add(2*time.Hour))), 404, "NoSuchResource")
				assert.Equal(t, minute(now.Add(2*time.Hour)), r.one(a1).AutoReleaseTime, "refused calls change nothing")

				require.NoError(t, c.ModifyInstanceAutoReleaseTime(a1, ""), "no AutoReleaseTime cancels")
				assert.Equal(t, "", r.one(a1).AutoReleaseTime)
				r.advance(59 * time.Minute)
				assert.Equal(t, []string{a1, a2, a3, pre}, r.ids(confInstQuery{}))
				r.advance(time.Minute)
				assert.Equal(t, []string{a1, pre}, r.ids(confInstQuery{}), "released at their time, deletion protection or not")
				called(c.DescribeInstanceAttribute(a3)).fails(t, 404, "InvalidInstanceId.NotFound")
				r.advance(2 * time.Hour)
				assert.Equal(t, []string{a1, pre}, r.ids(confInstQuery{}), "a cancelled time releases nothing")
			},
		},
		{
			name: "snapshots of disks",
			opts: ecsemu.Options{SnapshotDelay: 4 * time.Minute},
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{
					{InstanceId: "i-snap1", Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Size: 100}}}},
					{InstanceId: "i-snapnew", Status: ecsemu.StatusPending},
				}
			},
			run: func(r *confRun, ids []string) {
				t, c := r.t, r.c
				s1, fresh := ids[0], ids[1]
				disks := called(c.DescribeDisks(confDiskQuery{InstanceID: s1})).ok(t)
				require.Len(t, disks.Disks, 2)
				assert.Equal(t, 2, disks.TotalCount)
				sys, data := disks.Disks[0], disks.Disks[1]
				assert.Equal(t, confDisk{ID: sys.ID, InstanceID: s1, Type: "system", Category: "cloud_essd", Status: "In_use", Device: "/dev/xvda", Size: 40, DeleteWithInstance: true}, sys)
				assert.Equal(t, confDisk{ID: data.ID, InstanceID: s1, Type: "data", Category: "cloud_essd", Status: "In_use", Device: "/dev/xvdb", Size: 100, Portable: true}, data)
				assert.Equal(t, []string{sys.ID}, called(c.DescribeDisks(confDiskQuery{InstanceID: s1, DiskType: "system"})).ok(t).ids())
				freshDisks := called(c.DescribeDisks(confDiskQuery{InstanceID: fresh})).ok(t).Disks
				require.Len(t, freshDisks, 1)

				snap1 := called(c.CreateSnapshot(sys.ID, "before-release")).ok(t)
				called(c.CreateSnapshot(sys.ID, "again")).fails(t, 403, "IncorrectDiskStatus.CreatingSnapshot")
				snap2 := called(c.CreateSnapshot(data.ID, "data-disk")).ok(t)
				called(c.CreateSnapshot("d-nosuch0000", "missing")).fails(t, 404, "InvalidDiskId.NotFound")
				called(c.CreateSnapshot(data.ID, "1-starts-with-a-digit")).fails(t, 400, "InvalidSnapshotName.Malformed")
				called(c.CreateSnapshot(freshDisks[0].ID, "never-started")).fails(t, 400, "IncorrectInstanceStatus")

				p := called(c.DescribeSnapshots(confSnapQuery{InstanceID: s1})).ok(t)
				require.Equal(t, []string{snap1, snap2}, p.ids())
				assert.Equal(t, 2, p.TotalCount)
				assert.Equal(t, confSnapshot{ID: snap1, Name: "before-release", Status: "progressing", Progress: "0%",
					SourceDiskID: sys.ID, SourceDiskSize: "40", SourceDiskType: "system"}, p.Snapshots[0])
				assert.Equal(t, "100", p.Snapshots[1].SourceDiskSize)
				r.advance(2 * time.Minute)
				assert.Equal(t, "50%", called(c.DescribeSnapshots(confSnapQuery{IDs: []string{snap1}})).ok(t).Snapshots[0].Progress)
				r.advance(2 * time.Minute)
				p = called(c.DescribeSnapshots(confSnapQuery{Status: "accomplished"})).ok(t)
				require.Equal(t, []string{snap1, snap2}, p.ids())
				assert.Equal(t, "100%", p.Snapshots[0].Progress)
				assert.Equal(t, []string{snap2}, called(c.DescribeSnapshots(confSnapQuery{DiskID: data.ID})).ok(t).ids())
				assert.Empty(t, called(c.DescribeSnapshots(confSnapQuery{Status: "progressing"})).ok(t).Snapshots)
				called(c.DescribeSnapshots(confSnapQuery{Status: "finished"})).fails(t, 404, "InvalidStatus.NotFound")

				require.NoError(t, c.TagResources("snapshot", []string{snap1}, []confKV{{"keep", "yes"}}))
				assert.Equal(t, []confKV{{"keep", "yes"}}, called(c.DescribeSnapshots(confSnapQuery{IDs: []string{snap1}})).ok(t).Snapshots[0].Tags)
				require.NoError(t, c.TagResources("disk", []string{data.ID}, []confKV{{"role", "data"}}))
				assert.Equal(t, []confKV{{"role", "data"}}, called(c.DescribeDisks(confDiskQuery{IDs: []string{data.ID}})).ok(t).Disks[0].Tags)
				rows := called(c.ListTagResources(confTagQuery{ResourceType: "snapshot", IDs: []string{snap1, snap2}})).ok(t)
				assert.Equal(t, confTagPage{Rows: []confTagRow{{snap1, "snapshot", "keep", "yes"}}}, rows)

				// Releasing the instance deletes the disk deleted with it, detaches
				// the other and keeps the snapshots.
				require.NoError(t, c.DeleteInstance(s1, true, false))
				left := called(c.DescribeDisks(confDiskQuery{IDs: []string{sys.ID, data.ID}})).ok(t).Disks
				require.Len(t, left, 1)
				assert.Equal(t, confDisk{ID: data.ID, Type: "data", Category: "cloud_essd", Status: "Available", Size: 100, Portable: true, Tags: []confKV{{"role", "data"}}}, left[0])
				assert.Equal(t, []string{snap1, snap2}, called(c.DescribeSnapshots(confSnapQuery{IDs: []string{snap1, snap2}})).ok(t).ids())
			},
		},
		{
			name: "tags on instances",
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{{InstanceId: "i-tag1"}, {InstanceId: "i-tag2", Tags: confTagSet("env", "dev")}, {InstanceId: "i-tag3"}}
			},
			run: func(r *confRun, ids []string) {
				t, c := r.t, r.c
				t1, t2, t3 := ids[0], ids[1], ids[2]
				require.NoError(t, c.TagResources("instance", []string{t1, t2}, []confKV{{"env", "prod"}, {"team", "core"}}))
				assert.Equal(t, []confKV{{"env", "prod"}, {"team", "core"}}, r.one(t2).Tags, "an existing key is overwritten")
				assert.Nil(t, r.one(t3).Tags)
				assert.Equal(t, []string{t1, t2}, r.ids(confInstQuery{Tags: []confKV{{"env", "prod"}}}))
				assert.Equal(t, []string{t1, t2}, r.ids(confInstQuery{Tags: []confKV{{Key: "team"}}}))
				assert.Equal(t, []string{}, r.ids(confInstQuery{Tags: []confKV{{"env", "dev"}}}))
				both := confTagPage{Rows: []confTagRow{
					{t1, "instance", "env", "prod"}, {t1, "instance", "team", "core"},
					{t2, "instance", "env", "prod"}, {t2, "instance", "team", "core"},
				}}
				assert.Equal(t, both, called(c.ListTagResources(confTagQuery{ResourceType: "instance", IDs: []string{t2, t1}})).ok(t))
				assert.Equal(t, both, called(c.ListTagResources(confTagQuery{ResourceType: "instance", Tags: []confKV{{"team", "core"}}})).ok(t))

				require.NoError(t, c.UntagResources("instance", []string{t1}, []string{"team"}, false))
				assert.Equal(t, []confKV{{"env", "prod"}}, r.one(t1).Tags)
				require.NoError(t, c.UntagResources("instance", []string{t2}, nil, true))
				assert.Nil(t, r.one(t2).Tags)

				requireConfError(t, c.TagResources("instance", []string{confNoSuchID}, []confKV{{"a", "b"}}), 404, "InvalidResourceId.NotFound")
				requireConfError(t, c.TagResources("bucket", []string{t1}, []confKV{{"a", "b"}}), 404, "InvalidResourceType.NotFound")
				var many []confKV
				for i := range 21 {
					many = append(many, confKV{fmt.Sprintf("k%02d", i), "v"})
				}
				requireConfError(t, c.TagResources("instance", []string{t1}, many), 400, "NumberExceed.Tags")
				requireConfError(t, c.TagResources("instance", []string{t1}, []confKV{{"acs:owner", "x"}}), 400, "InvalidTagKey.Malformed")
				requireConfError(t, c.TagResources("instance", []string{t1}, []confKV{{"a", "1"}, {"a", "2"}}), 400, "Duplicate.TagKey")
				requireConfError(t, c.TagResources("instance", []string{t1}, nil), 404, "MissingParameter.Tags")
				requireConfError(t, c.TagResources("instance", manyIDs(51), []confKV{{"a", "b"}}), 400, "NumberExceed.ResourceIds")
				requireConfError(t, c.UntagResources("instance", []string{t1}, nil, false), 400, "MissingParameter")
				called(c.ListTagResources(confTagQuery{ResourceType: "instance"})).fails(t, 400, "MissingParameter")
				assert.Equal(t, []confKV{{"env", "prod"}}, r.one(t1).Tags, "refused calls change nothing")
			},
		},
		{
			name:  "ListTagResources pages of 50 rows",
			fleet: confFleetOf(30, confTagSet("a", "1", "b", "2", "c", "3")),
			run: func(r *confRun, ids []string) {
				t, c := r.t, r.c
				collect := func(q confTagQuery, wantPages int) []confTagRow {
					var rows []confTagRow
					for page := 1; ; page++ {
						require.LessOrEqual(t, page, wantPages, "too many pages")
						p := called(c.ListTagResources(q)).ok(t)
						rows = append(rows, p.Rows...)
						if page < wantPages {
							assert.Len(t, p.Rows, 50, "page %d", page)
							require.NotEmpty(t, p.NextToken, "page %d of %d: more rows exist", page, wantPages)
						} else {
							assert.Empty(t, p.NextToken, "last page")
							return rows
						}
						q.NextToken = p.NextToken
					}
				}
				want := func(ids []string) []confTagRow {
					var out []confTagRow
					for _, id := range ids {
						out = append(out, confTagRow{id, "instance", "a", "1"}, confTagRow{id, "instance", "b", "2"}, confTagRow{id, "instance", "c", "3"})
					}
					return out
				}
				assert.Equal(t, want(ids), collect(confTagQuery{ResourceType: "instance", Tags: []confKV{{"a", "1"}}}, 2))
				assert.Equal(t, want(ids[:20]), collect(confTagQuery{ResourceType: "instance", IDs: ids[:20]}, 2))
				assert.Equal(t, want(ids[:10]), collect(confTagQuery{ResourceType: "instance", IDs: ids[:10]}, 1))
				called(c.ListTagResources(confTagQuery{ResourceType: "instance", Tags: []confKV{{"a", "1"}}, NextToken: "garbage"})).fails(t, 400, "InvalidParameter.NextToken")
			},
		},
		{
			name: "DescribeInstances filters: InstanceIds, Status, Tag, name, charge type, zone, lock",
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{
					{InstanceId: "i-weba", InstanceName: "web-1", Tags: confTagSet("env", "prod", "team", "ci")},
					{InstanceId: "i-webb", InstanceName: "web-2", Status: confStopped, Tags: confTagSet("env", "dev")},
					{InstanceId: "i-dba", InstanceName: "db-1", InstanceChargeType: ecsemu.PrePaid, ZoneId: region + "-b", Tags: confTagSet("team", "db")},
					{InstanceId: "i-batch", InstanceName: "batch-x", Status: confStopped, Tags: confTagSet("auto-release", ""),
						OperationLocks: ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security"}}}},
				}
			},
			run: func(r *confRun, ids []string) {
				t, c := r.t, r.c
				cases := []struct {
					name string
					q    confInstQuery
					want []string
				}{
					{"no filter", confInstQuery{}, []string{"i-weba", "i-webb", "i-dba", "i-batch"}},
					{"InstanceIds, in creation order", confInstQuery{IDs: []string{"i-dba", "i-weba"}}, []string{"i-weba", "i-dba"}},
					{"InstanceIds with an unknown ID", confInstQuery{IDs: []string{"i-weba", confNoSuchID}}, []string{"i-weba"}},
					{"InstanceIds []", confInstQuery{IDs: []string{}}, []string{}},
					{"Status", confInstQuery{Status: confStopped}, []string{"i-webb", "i-batch"}},
					{"Tag key and value", confInstQuery{Tags: []confKV{{"env", "prod"}}}, []string{"i-weba"}},
					{"Tag key only", confInstQuery{Tags: []confKV{{Key: "env"}}}, []string{"i-weba", "i-webb"}},
					{"Tag key only, empty value", confInstQuery{Tags: []confKV{{Key: "auto-release"}}}, []string{"i-batch"}},
					{"two tags are ANDed", confInstQuery{Tags: []confKV{{"env", "prod"}, {"team", "ci"}}}, []string{"i-weba"}},
					{"InstanceName with *", confInstQuery{Name: "web-*"}, []string{"i-weba", "i-webb"}},
					{"InstanceName exact", confInstQuery{Name: "db-1"}, []string{"i-dba"}},
					{"InstanceChargeType", confInstQuery{ChargeType: ecsemu.PrePaid}, []string{"i-dba"}},
					{"ZoneId", confInstQuery{ZoneID: region + "-b"}, []string{"i-dba"}},
					{"LockReason", confInstQuery{LockReason: "security"}, []string{"i-batch"}},
					{"Status and InstanceIds", confInstQuery{Status: confRunning, IDs: []string{"i-weba", "i-webb"}}, []string{"i-weba"}},
				}
				for _, tc := range cases {
					assert.Equal(t, tc.want, r.ids(tc.q), tc.name)
				}
				dba := r.one("i-dba")
				assert.Equal(t, "db-1", dba.Name)
				assert.Equal(t, []confKV{{"team", "db"}}, dba.Tags)
				assert.Equal(t, []string{"security"}, r.one("i-batch").Locks)

				called(c.DescribeInstances(confInstQuery{Status: "Sleeping"})).fails(t, 404, "InvalidStatus.NotFound")
				called(c.DescribeInstances(confInstQuery{ChargeType: "Free"})).fails(t, 404, "InvalidInstanceChargeType.NotFound")
				called(c.DescribeInstances(confInstQuery{LockReason: "bored"})).fails(t, 404, "InvalidLockReason.NotFound")
				called(c.DescribeInstances(confInstQuery{IDs: manyIDs(101)})).fails(t, 400, "InvalidParameter")
				var tags []confKV
				for i := range 21 {
					tags = append(tags, confKV{Key: fmt.Sprintf("k%d", i)})
				}
				called(c.DescribeInstances(confInstQuery{Tags: tags})).fails(t, 400, "InvalidTagCount")
			},
		},
		{
			name: "DescribeInstances filters: VpcId, VSwitchId, SecurityGroupId, InstanceType, ImageId, PrivateIpAddresses",
			fleet: func() []ecsemu.Instance {
				vpc := func(vpcID, vsw, ip string) ecsemu.VpcAttributes {
					return ecsemu.VpcAttributes{VpcId: vpcID, VSwitchId: vsw, PrivateIpAddress: ecsemu.IPSet{IpAddress: []string{ip}}}
				}
				sgs := func(ids ...string) ecsemu.SecurityGroupSet { return ecsemu.SecurityGroupSet{SecurityGroupId: ids} }
				return []ecsemu.Instance{
					{InstanceId: "i-neta", VpcAttributes: vpc("vpc-a", "vsw-a1", "10.0.1.5"), SecurityGroupIds: sgs("sg-web"), InstanceType: "ecs.g7.large", ImageId: "img-ubuntu"},
					{InstanceId: "i-netb", Status: confStopped, VpcAttributes: vpc("vpc-a", "vsw-a2", "10.0.2.5"), SecurityGroupIds: sgs("sg-web", "sg-admin"), InstanceType: "ecs.c7.large", ImageId: "img-ubuntu"},
					{InstanceId: "i-netc", VpcAttributes: vpc("vpc-b", "vsw-b1", "10.1.1.5"), SecurityGroupIds: sgs("sg-db"), InstanceType: "ecs.r7.xlarge", ImageId: "img-centos"},
				}
			},
			run: func(r *confRun, ids []string) {
				t := r.t
				cases := []struct {
					name string
					q    confInstQuery
					want []string
				}{
					{"VpcId", confInstQuery{VpcID: "vpc-a"}, []string{"i-neta", "i-netb"}},
					{"VpcId of no instance", confInstQuery{VpcID: "vpc-nosuch"}, []string{}},
					{"VSwitchId", confInstQuery{VSwitchID: "vsw-a2"}, []string{"i-netb"}},
					{"VpcId and Status", confInstQuery{VpcID: "vpc-a", Status: confRunning}, []string{"i-neta"}},
					{"SecurityGroupId shared", confInstQuery{SecurityGroupID: "sg-web"}, []string{"i-neta", "i-netb"}},
					{"SecurityGroupId second of two", confInstQuery{SecurityGroupID: "sg-admin"}, []string{"i-netb"}},
					{"InstanceType", confInstQuery{InstanceType: "ecs.r7.xlarge"}, []string{"i-netc"}},
					{"ImageId", confInstQuery{ImageID: "img-ubuntu"}, []string{"i-neta", "i-netb"}},
					{"PrivateIpAddresses", confInstQuery{PrivateIPs: []string{"10.0.2.5", "10.1.1.5"}}, []string{"i-netb", "i-netc"}},
					{"VpcId and InstanceIds", confInstQuery{VpcID: "vpc-b", IDs: []string{"i-neta", "i-netc"}}, []string{"i-netc"}},
				}
				for _, tc := range cases {
					assert.Equal(t, tc.want, r.ids(tc.q), tc.name)
				}
				b := r.one("i-netb")
				assert.Equal(t, "vpc-a", b.VpcID)
				assert.Equal(t, "vsw-a2", b.VSwitchID)
				assert.Equal(t, []string{"sg-web", "sg-admin"}, b.SecurityGroups)
				assert.Equal(t, []string{"10.0.2.5"}, b.PrivateIPs)
				assert.Equal(t, "ecs.c7.large", b.InstanceType)
				assert.Equal(t, "img-ubuntu", b.ImageID)
			},
		},
		{
			name:  "pagination over 35 instances, PageNumber and NextToken modes",
			fleet: confFleetOf(35, ecsemu.TagSet{}),
			run: func(r *confRun, ids []string) {
				t, c := r.t, r.c
				require.Len(t, ids, 35)
				var seen []string
				for page := 1; ; page++ {
					require.LessOrEqual(t, page, 4, "PageNumber mode: too many pages")
					p := called(c.DescribeInstances(confInstQuery{PageNumber: page, PageSize: 10})).ok(t)
					assert.Equal(t, 35, p.TotalCount)
					assert.Equal(t, page, p.PageNumber)
					assert.Equal(t, 10, p.PageSize)
					seen = append(seen, p.ids()...)
					if len(seen) < 35 {
						assert.NotEmpty(t, p.NextToken, "page %d: more results exist, so a NextToken must be present", page)
						continue
					}
					assert.Empty(t, p.NextToken, "last page")
					break
				}
				assert.Equal(t, ids, seen, "PageNumber mode collects every instance once, in order")
				past := called(c.DescribeInstances(confInstQuery{PageNumber: 5, PageSize: 10})).ok(t)
				assert.Empty(t, past.Instances)
				assert.Equal(t, 35, past.TotalCount)
				assert.Empty(t, past.NextToken)

				first := called(c.DescribeInstances(confInstQuery{})).ok(t)
				assert.Equal(t, ids[:10], first.ids(), "default page size 10")
				assert.Equal(t, 1, first.PageNumber)
				assert.Equal(t, 10, first.PageSize)
				require.NotEmpty(t, first.NextToken)
				next := called(c.DescribeInstances(confInstQuery{NextToken: first.NextToken, MaxResults: 10})).ok(t)
				assert.Equal(t, ids[10:20], next.ids(), "a PageNumber page's NextToken continues in NextToken mode")

				seen = nil
				tok := ""
				for page := 1; ; page++ {
					require.LessOrEqual(t, page, 4, "NextToken mode: too many pages")
					p := called(c.DescribeInstances(confInstQuery{NextToken: tok, MaxResults: 10})).ok(t)
					assert.Equal(t, 35, p.TotalCount)
					seen = append(seen, p.ids()...)
					tok = p.NextToken
					if tok == "" {
						assert.Equal(t, 4, page)
						break
					}
				}
				assert.Equal(t, ids, seen, "NextToken mode collects every instance once, in order")

				st := called(c.DescribeInstanceStatus(nil, 1, 50)).ok(t)
				assert.Len(t, st.Statuses, 35)
				assert.Equal(t, 35, st.TotalCount)
				st = called(c.DescribeInstanceStatus(nil, 2, 20)).ok(t)
				require.Len(t, st.Statuses, 15)
				assert.Equal(t, confIDStatus{ids[20], confRunning}, st.Statuses[0])
				assert.Equal(t, 2, st.PageNumber)
				assert.Equal(t, 20, st.PageSize)

				var disks []string
				for page := 1; page <= 2; page++ {
					p := called(c.DescribeDisks(confDiskQuery{PageNumber: page, PageSize: 20})).ok(t)
					assert.Equal(t, 35, p.TotalCount)
					for _, d := range p.Disks {
						disks = append(disks, d.InstanceID)
					}
					assert.Equal(t, page == 1, p.NextToken != "", "DescribeDisks page %d NextToken %q", page, p.NextToken)
				}
				assert.Equal(t, ids, disks, "DescribeDisks PageNumber mode: one system disk per instance")
				disks, tok = nil, ""
				for page := 1; ; page++ {
					require.LessOrEqual(t, page, 2, "DescribeDisks NextToken mode: too many pages")
					p := called(c.DescribeDisks(confDiskQuery{NextToken: tok, MaxResults: 20})).ok(t)
					for _, d := range p.Disks {
						disks = append(disks, d.InstanceID)
					}
					if tok = p.NextToken; tok == "" {
						break
					}
				}
				assert.Equal(t, ids, disks, "DescribeDisks NextToken mode")

				called(c.DescribeInstances(confInstQuery{PageSize: 101})).fails(t, 400, "InvalidParameter")
				called(c.DescribeInstances(confInstQuery{MaxResults: 101})).fails(t, 400, "InvalidParameter")
				called(c.DescribeInstances(confInstQuery{NextToken: "garbage", MaxResults: 10})).fails(t, 400, "InvalidParameter.NextToken")
				called(c.DescribeInstanceStatus(nil, 1, 51)).fails(t, 400, "InvalidParameter")

				// A token stays valid when the instance it points at is released.
				p := called(c.DescribeInstances(confInstQuery{MaxResults: 10})).ok(t)
				require.NoError(t, c.DeleteInstance(ids[10], true, false))
				p = called(c.DescribeInstances(confInstQuery{NextToken: p.NextToken, MaxResults: 10})).ok(t)
				assert.Equal(t, ids[11:21], p.ids())
				assert.Equal(t, 34, p.TotalCount)
			},
		},
		{
			name: "DryRun answers DryRunOperation and changes nothing",
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{{InstanceId: "i-dry1"}, {InstanceId: "i-dry2", Status: confStopped}}
			},
			run: func(r *confRun, ids []string) {
				t, c := r.t, r.c
				d1, d2 := ids[0], ids[1]
				called(c.DescribeInstances(confInstQuery{DryRun: true})).fails(t, 400, "DryRunOperation")
				requireConfError(t, c.StopInstance(d1, confStopOpts{DryRun: true}), 400, "DryRunOperation")
				requireConfError(t, c.StopInstance(d2, confStopOpts{DryRun: true}), 403, "IncorrectInstanceStatus")
				requireConfError(t, c.StartInstance(d2, true), 400, "DryRunOperation")
				requireConfError(t, c.DeleteInstance(d1, true, true), 400, "DryRunOperation")
				requireConfError(t, c.DeleteInstances([]string{d1, d2}, true, true, ""), 400, "DryRunOperation")
				called(c.StopInstances([]string{d1}, confStopOpts{DryRun: true})).fails(t, 400, "DryRunOperation")
				called(c.StartInstances([]string{d2}, "", true)).fails(t, 400, "DryRunOperation")
				called(c.RunInstances(confRunSpec{Amount: 2, Name: "dry", DryRun: true})).fails(t, 400, "DryRunOperation")
				called(c.DescribeDisks(confDiskQuery{DryRun: true})).fails(t, 400, "DryRunOperation")
				called(c.DescribeSnapshots(confSnapQuery{DryRun: true})).fails(t, 400, "DryRunOperation")
				assert.Empty(t, r.env.Emu.MutatingCalls(), "a dry run is not a mutating call")
				p := r.list(confInstQuery{})
				require.Len(t, p.Instances, 2)
				assert.Equal(t, []string{confRunning, confStopped}, []string{p.Instances[0].Status, p.Instances[1].Status})
			},
		},
		{
			name: "unknown IDs: NotFound from actions, left out by Describe*",
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{{InstanceId: "i-known"}}
			},
			run: func(r *confRun, ids []string) {
				t, c, known := r.t, r.c, ids[0]
				requireConfError(t, c.StopInstance(confNoSuchID, confStopOpts{}), 404, "InvalidInstanceId.NotFound")
				requireConfError(t, c.StartInstance(confNoSuchID, false), 404, "InvalidInstanceId.NotFound")
				requireConfError(t, c.DeleteInstance(confNoSuchID, true, false), 404, "InvalidInstanceId.NotFound")
				called(c.DescribeInstanceAttribute(confNoSuchID)).fails(t, 404, "InvalidInstanceId.NotFound")
				requireConfError(t, c.ModifyInstanceAttribute(confNoSuchID, true), 404, "InvalidInstanceId.NotFound")
				requireConfError(t, c.ModifyInstanceAutoReleaseTime(confNoSuchID, ts(r.env.Emu.Now().Add(2*time.Hour))), 404, "NoSuchResource")
				called(c.StopInstances([]string{known, confNoSuchID}, confStopOpts{})).fails(t, 404, "InvalidInstanceId.NotFound")
				called(c.StartInstances([]string{confNoSuchID}, "", false)).fails(t, 404, "InvalidInstanceId.NotFound")
				requireConfError(t, c.DeleteInstances([]string{confNoSuchID}, true, false, ""), 404, "InvalidInstanceId.NotFound")
				called(c.CreateSnapshot("d-nosuch0000", "snap")).fails(t, 404, "InvalidDiskId.NotFound")
				requireConfError(t, c.TagResources("instance", []string{confNoSuchID}, []confKV{{"a", "b"}}), 404, "InvalidResourceId.NotFound")
				requireConfError(t, c.UntagResources("instance", []string{confNoSuchID}, []string{"a"}, false), 404, "InvalidResourceId.NotFound")

				assert.Equal(t, []string{known}, r.ids(confInstQuery{IDs: []string{confNoSuchID, known}}))
				assert.Empty(t, called(c.DescribeInstanceStatus([]string{confNoSuchID}, 0, 0)).ok(t).Statuses)
				assert.Empty(t, called(c.DescribeDisks(confDiskQuery{IDs: []string{"d-nosuch0000"}})).ok(t).Disks)
				assert.Empty(t, called(c.DescribeSnapshots(confSnapQuery{IDs: []string{"s-nosuch0000"}})).ok(t).Snapshots)
				assert.Empty(t, called(c.ListTagResources(confTagQuery{ResourceType: "instance", IDs: []string{confNoSuchID}})).ok(t).Rows)
				assert.Equal(t, confRunning, r.status(known))
			},
		},
		{
			name: "region-less lookups by ID: StopInstance, StartInstance, DeleteInstance, DescribeInstanceAttribute, ModifyInstanceAttribute",
			opts: ecsemu.Options{StopDelay: time.Minute, StartDelay: time.Minute},
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{{InstanceId: "i-nowhere1"}}
			},
			run: func(r *confRun, ids []string) {
				t, c, id := r.t, r.c, ids[0]
				a := called(c.DescribeInstanceAttribute(id)).ok(t)
				assert.Equal(t, confRunning, a.Status)
				assert.Equal(t, region, a.Region)
				require.NoError(t, c.ModifyInstanceAttribute(id, true))
				assert.True(t, r.one(id).DeletionProtection)
				require.NoError(t, c.ModifyInstanceAttribute(id, false))
				require.NoError(t, c.StopInstance(id, confStopOpts{}))
				r.advance(time.Minute)
				assert.Equal(t, confStopped, called(c.DescribeInstanceAttribute(id)).ok(t).Status)
				require.NoError(t, c.StartInstance(id, false))
				r.advance(time.Minute)
				assert.Equal(t, confRunning, called(c.DescribeInstanceAttribute(id)).ok(t).Status)
				require.NoError(t, c.DeleteInstance(id, true, false))
				assert.Equal(t, "", r.status(id))

				// The call record shows what went over the wire: the classic SDK
				// sends RegionId everywhere, the v7 SDK not on these five.
				seen := map[string]bool{}
				for _, call := range r.env.Emu.Calls() {
					if !confRegionless[call.Action] {
						continue
					}
					seen[call.Action] = true
					_, sent := call.Params["RegionId"]
					assert.Equal(t, r.flavor.sendsRegionAlways, sent, "%s: RegionId sent", call.Action)
				}
				assert.Len(t, seen, len(confRegionless), "every region-less action was called: %v", seen)
			},
		},
		{
			name: "RunInstances: Pending, Starting, Running; tags and disks; ClientToken",
			opts: ecsemu.Options{PendingDelay: 30 * time.Second, StartDelay: time.Minute},
			run: func(r *confRun, _ []string) {
				t, c := r.t, r.c
				now := r.env.Emu.Now()
				spec := confRunSpec{
					Amount: 2, Name: "worker", InstanceType: "ecs.c7.large", ImageID: "img-conf",
					Tags: []confKV{{"app", "conf"}}, SystemDiskSize: 60, DataDiskSizes: []int{100},
					ClientToken: "conf-run-1", AutoReleaseTime: ts(now.Add(3 * time.Hour)),
				}
				ids := called(c.RunInstances(spec)).ok(t)
				require.Len(t, ids, 2)
				assert.Equal(t, ids, called(c.RunInstances(spec)).ok(t), "the same ClientToken replays the answer")
				p := r.list(confInstQuery{IDs: ids})
				require.Len(t, p.Instances, 2)
				for _, in := range p.Instances {
					assert.Equal(t, ecsemu.StatusPending, in.Status)
					assert.Equal(t, "worker", in.Name)
					assert.Equal(t, "ecs.c7.large", in.InstanceType)
					assert.Equal(t, "img-conf", in.ImageID)
					assert.Equal(t, ecsemu.PostPaid, in.ChargeType)
					assert.Equal(t, []confKV{{"app", "conf"}}, in.Tags)
					assert.Equal(t, minute(now.Add(3*time.Hour)), in.AutoReleaseTime)
				}
				disks := called(c.DescribeDisks(confDiskQuery{InstanceID: ids[0]})).ok(t).Disks
				require.Len(t, disks, 2)
				assert.Equal(t, []any{"system", 60, true, []confKV{{"app", "conf"}}}, []any{disks[0].Type, disks[0].Size, disks[0].DeleteWithInstance, disks[0].Tags})
				assert.Equal(t, []any{"data", 100, true, []confKV{{"app", "conf"}}}, []any{disks[1].Type, disks[1].Size, disks[1].DeleteWithInstance, disks[1].Tags})
				requireConfError(t, c.DeleteInstance(ids[0], true, false), 403, "IncorrectInstanceStatus.Initializing")

				r.advance(30 * time.Second)
				assert.Equal(t, confStarting, called(c.DescribeInstanceAttribute(ids[0])).ok(t).Status)
				r.advance(time.Minute)
				assert.Equal(t, []string{confRunning, confRunning}, []string{r.status(ids[0]), r.status(ids[1])})

				called(c.RunInstances(confRunSpec{Amount: 101})).fails(t, 400, "InvalidParameter.Amount")
				called(c.RunInstances(confRunSpec{Amount: 1, AutoReleaseTime: ts(now.Add(5 * time.Minute))})).fails(t, 400, "InvalidAutoReleaseTime.Malformed")
				assert.Equal(t, ids, r.ids(confInstQuery{}))
			},
		},
		{
			name: "signature failures: wrong secret, unknown key",
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{{InstanceId: "i-sig1"}}
			},
			run: func(r *confRun, ids []string) {
				t, id := r.t, ids[0]
				bad := r.client(r.env.Emu.AccessKeyID(), "not-the-secret")
				called(bad.DescribeInstances(confInstQuery{})).fails(t, 400, "SignatureDoesNotMatch")
				requireConfError(t, bad.StopInstance(id, confStopOpts{}), 400, "SignatureDoesNotMatch")
				requireConfError(t, bad.TagResources("instance", []string{id}, []confKV{{"a", "b"}}), 400, "SignatureDoesNotMatch")
				unknown := r.client("LTAInosuchkey", r.env.Emu.AccessKeySecret())
				called(unknown.DescribeInstances(confInstQuery{})).fails(t, 404, "InvalidAccessKeyId.NotFound")
				requireConfError(t, unknown.DeleteInstance(id, true, false), 404, "InvalidAccessKeyId.NotFound")
				assert.Empty(t, r.env.Emu.MutatingCalls(), "refused at the gateway")
				assert.Equal(t, confRunning, r.status(id))
			},
		},
		{
			name: "DescribePrice: instance, units, amount, disks, spot, errors, an injected fault",
			run: func(r *confRun, _ []string) {
				t, c := r.t, r.c
				d := func(res string, orig, trade float64) confPriceDetail {
					return confPriceDetail{res, orig, confRound4(orig - trade), trade}
				}
				// ecs.g7.large: 2 vCPU × 0.10 + 8 GiB × 0.015 = 0.32 an hour;
				// the default system disk, 40 GiB cloud_efficiency × 0.0005.
				p := called(c.DescribePrice(confPriceQuery{InstanceType: "ecs.g7.large"})).ok(t)
				assert.Equal(t, confPrice{Original: 0.34, Trade: 0.34, Currency: "CNY",
					Details: []confPriceDetail{d("instanceType", 0.32, 0.32), d("systemDisk", 0.02, 0.02)}}, p)

				// Month × Period × Amount: 720 h × 2 × 3.
				p = called(c.DescribePrice(confPriceQuery{InstanceType: "ecs.g7.large", PriceUnit: "Month", Period: 2, Amount: 3})).ok(t)
				assert.Equal(t, 1382.4, p.detail("instanceType").Trade)
				assert.Equal(t, 86.4, p.detail("systemDisk").Trade)
				assert.Equal(t, 1468.8, p.Trade)

				// Every part: an ESSD PL0 system disk, a data disk, 5 Mbit/s by bandwidth.
				p = called(c.DescribePrice(confPriceQuery{InstanceType: "ecs.g7.large", SystemDiskCategory: "cloud_essd", SystemDiskLevel: "PL0", SystemDiskSize: 100,
					DataDisks: []confPriceDisk{{Category: "cloud_essd", Size: 100}, {Category: "cloud_ssd", Size: 50}}, InternetChargeType: "PayByBandwidth", BandwidthOut: 5,
					NetworkType: "vpc", ZoneID: region + "-b"})).ok(t)
				assert.Equal(t, []confPriceDetail{d("instanceType", 0.32, 0.32), d("systemDisk", 0.07, 0.07), d("dataDisk", 0.21, 0.21), d("bandwidth", 0.315, 0.315)}, p.Details)
				assert.Equal(t, 0.915, p.Trade)

				// A disk alone, pay-as-you-go only.
				p = called(c.DescribePrice(confPriceQuery{ResourceType: "disk", DataDisks: []confPriceDisk{{Category: "cloud_essd", Size: 500, Level: "PL2"}}})).ok(t)
				assert.Equal(t, confPrice{Original: 1.4, Trade: 1.4, Currency: "CNY", Details: []confPriceDetail{d("dataDisk", 1.4, 1.4)}}, p)
				called(c.DescribePrice(confPriceQuery{ResourceType: "disk", PriceUnit: "Month", DataDisks: []confPriceDisk{{Category: "cloud_essd", Size: 500}}})).fails(t, 400, "InvalidPriceUnit.ValueNotSupported")
				called(c.DescribePrice(confPriceQuery{ResourceType: "disk"})).fails(t, 404, "InvalidDiskCategory.Missing")
				called(c.DescribePrice(confPriceQuery{ResourceType: "disk", DataDisks: []confPriceDisk{{Category: "cloud_essd", Size: 100, Level: "PL2"}}})).fails(t, 400, "InvalidDataDiskSize.ValueNotSupported")
				called(c.DescribePrice(confPriceQuery{ResourceType: "disk", DataDisks: []confPriceDisk{{Category: "cloud_nosuch", Size: 100}}})).fails(t, 400, "InvalidDataDiskCategory.ValueNotSupported")

				// Spot: 20% of the pay-as-you-go price, the rest a discount.
				p = called(c.DescribePrice(confPriceQuery{InstanceType: "ecs.g7.large", SpotStrategy: "SpotAsPriceGo"})).ok(t)
				assert.Equal(t, d("instanceType", 0.32, 0.064), p.detail("instanceType"))
				assert.Equal(t, []float64{0.34, 0.256, 0.084}, []float64{p.Original, p.Discount, p.Trade})

				called(c.DescribePrice(confPriceQuery{InstanceType: "ecs.nosuch"})).fails(t, 400, "InvalidInstanceType.ValueNotSupported")
				called(c.DescribePrice(confPriceQuery{})).fails(t, 404, "InvalidInstanceType.Missing")
				called(c.DescribePrice(confPriceQuery{InstanceType: "ecs.g7.large", PriceUnit: "Hour", Period: 2})).fails(t, 400, "InvalidPeriod")
				called(c.DescribePrice(confPriceQuery{InstanceType: "ecs.g7.large", PriceUnit: "Fortnight"})).fails(t, 400, "InvalidPriceUnit.ValueNotSupported")
				called(c.DescribePrice(confPriceQuery{InstanceType: "ecs.g7.large", Amount: 1001})).fails(t, 403, "InvalidAmount.Malformed")
				called(c.DescribePrice(confPriceQuery{ResourceType: "nosuch"})).fails(t, 400, "InvalidResourceType.ValueNotSupported")
				_, err := c.DescribePrice(confPriceQuery{ResourceType: "bandwidth"})
				assert.Contains(t, requireConfError(t, err, 400, "Emulator.UnsupportedParameter").Message, "bandwidth")

				// The fault hook: the next DescribePrice fails, then prices are back.
				r.env.Emu.InjectError("DescribePrice", "PriceNotFound", "injected", 1)
				called(c.DescribePrice(confPriceQuery{InstanceType: "ecs.g7.large"})).fails(t, 400, "PriceNotFound")
				assert.Equal(t, 0.34, called(c.DescribePrice(confPriceQuery{InstanceType: "ecs.g7.large"})).ok(t).Trade)
			},
		},
		{
			name: "a documented parameter the emulator does not implement is refused",
			fleet: func() []ecsemu.Instance {
				return []ecsemu.Instance{{InstanceId: "i-hpc1"}}
			},
			run: func(r *confRun, _ []string) {
				t, c := r.t, r.c
				_, err := c.DescribeInstances(confInstQuery{HpcClusterID: "hpc-conf"})
				ce := requireConfError(t, err, 400, "Emulator.UnsupportedParameter")
				assert.Contains(t, ce.Message, "HpcClusterId")
			},
		},
	}
}
