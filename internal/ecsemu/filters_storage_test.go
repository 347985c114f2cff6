package ecsemu_test

// DescribeDisks and DescribeSnapshots answer exactly the subset ECS would:
// a seeded random world, every filter with random values (including values
// that match nothing) and random combinations of them, each answer read
// whole (all pages) through the classic SDK and compared with an
// independent predicate over what the test created.

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
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

// wDisk is a disk as the test made it.
type wDisk struct {
	id, region, zone, instance, typ, category, name string
	size                                            int
	del, prepaid                                    bool // prepaid: its instance is a subscription one
	tags                                            map[string]string
}

func (d *wDisk) status() string {
	if d.instance == "" {
		return "Available"
	}
	return "In_use"
}

func (d *wDisk) charge() string {
	if d.instance != "" && d.prepaid {
		return "PrePaid"
	}
	return "PostPaid"
}

func (d *wDisk) portable() bool { return d.typ == "data" && d.charge() == "PostPaid" }

// wSnap is a snapshot as the test made it.
type wSnap struct {
	id, region, disk, instance, name, diskType, status string
	tags                                               map[string]string
}

// storageWorld is what the test created, in creation order.
type storageWorld struct {
	env       *ecsemutest.Env
	disks     []*wDisk
	snaps     []*wSnap
	instances []string // every instance ID, released and other-region ones included
}

var (
	worldZones      = []string{region + "-a", region + "-b", region + "-h"}
	worldCategories = []string{"cloud_essd", "cloud_ssd", "cloud_efficiency", "cloud_auto", "cloud_essd_entry"}
	worldDiskNames  = []string{"", "data-a", "data-b", "logs"}
	worldSnapNames  = []string{"", "snap-a", "snap-b", "nightly"}
	worldTagKeys    = []string{"team", "env", "tier"}
	worldTagValues  = []string{"ci", "db", "prod"}
)

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func randomTags(r *rand.Rand, n int) map[string]string {
	out := map[string]string{}
	for range r.IntN(n + 1) {
		out[pick(r, worldTagKeys)] = pick(r, worldTagValues)
	}
	return out
}

func tagList(m map[string]string) []ecsemu.Tag {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
	out := make([]ecsemu.Tag, len(keys))
	for i, k := range keys {
		out[i] = ecsemu.Tag{TagKey: k, TagValue: m[k]}
	}
	return out
}

// buildWorld makes instances (fleet and RunInstances, subscription and
// pay-as-you-go, in three zones and another region) with data disks of
// varied categories, names and DeleteWithInstance, tags the disks,
// releases two instances (their kept disks become Available), and takes
// snapshots in three rounds so they end accomplished, failed and
// progressing.
func buildWorld(t *testing.T, seed uint64) *storageWorld {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	env := start(t, ecsemu.Options{SnapshotDelay: 10 * time.Minute})
	w := &storageWorld{env: env}
	keep, drop := false, true

	type spec struct {
		in    ecsemu.Instance
		disks []*wDisk
	}
	var specs []spec
	for i := range 12 {
		in := ecsemu.Instance{InstanceId: fmt.Sprintf("i-world%02d", i), ZoneId: pick(r, worldZones)}
		prepaid := i > 1 && r.IntN(10) < 3 // the first two are released later: pay-as-you-go
		if prepaid {
			in.InstanceChargeType = ecsemu.PrePaid
		}
		s := spec{in: in}
		if i == 0 {
			// A system disk kept on release, and a kept data disk.
			in.Disks = &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{
				{Type: "system", Category: "cloud_ssd", Size: 60, DeleteWithInstance: &keep},
				{Type: "data", Category: "cloud_essd", Size: 100, DeleteWithInstance: &keep, DiskName: "data-a"},
			}}
			s.in = in
		} else {
			s.disks = append(s.disks, &wDisk{typ: "system", category: "cloud_essd", size: 40, del: true})
			var fd []ecsemu.FleetDisk
			for range r.IntN(4) {
				del := r.IntN(2) == 0
				d := ecsemu.FleetDisk{Type: "data", Category: pick(r, worldCategories), Size: 20 + r.IntN(500), DiskName: pick(r, worldDiskNames), DeleteWithInstance: &keep}
				if del {
					d.DeleteWithInstance = &drop
				}
				fd = append(fd, d)
			}
			if len(fd) > 0 {
				s.in.Disks = &ecsemu.FleetDiskSet{Disk: fd}
			}
		}
		if s.in.Disks != nil {
			for _, d := range s.in.Disks.Disk {
				s.disks = append(s.disks, &wDisk{typ: d.Type, category: d.Category, size: d.Size, name: d.DiskName, del: *d.DeleteWithInstance})
			}
		}
		for _, d := range s.disks {
			d.region, d.zone, d.instance, d.prepaid = region, in.ZoneId, in.InstanceId, prepaid
		}
		specs = append(specs, s)
	}
	// One instance in another region: never in this region's answers.
	specs = append(specs, spec{in: ecsemu.Instance{InstanceId: "i-beijing", RegionId: "cn-beijing", ZoneId: "cn-beijing-a"},
		disks: []*wDisk{{region: "cn-beijing", zone: "cn-beijing-a", instance: "i-beijing", typ: "system", category: "cloud_essd", size: 40, del: true}}})
	fleet := make([]ecsemu.Instance, len(specs))
	for i, s := range specs {
		fleet[i] = s.in
	}
	env.AddFleet(t, fleet...)
	all := env.Emu.Disks()
	for _, s := range specs {
		w.instances = append(w.instances, s.in.InstanceId)
		var got []ecsemu.Disk
		for _, d := range all {
			if d.InstanceId == s.in.InstanceId {
				got = append(got, d)
			}
		}
		require.Len(t, got, len(s.disks), s.in.InstanceId)
		for i, d := range s.disks {
			g := got[i]
			require.Equal(t, []any{d.typ, d.category, d.size, d.name, d.del}, []any{g.Type, g.Category, g.Size, g.DiskName, g.DeleteWithInstance}, "%s disk %d", s.in.InstanceId, i)
			d.id = g.DiskId
			w.disks = append(w.disks, d)
		}
	}

	// Two instances through RunInstances, with data disks; Tag.N tags the
	// instance and its disks.
	for i := range 2 {
		req := ecs.CreateRunInstancesRequest()
		req.ImageId = "ubuntu_22_04_x64_20G_alibase_20240101.vhd"
		req.InstanceType = "ecs.g7.large"
		req.ZoneId = pick(r, worldZones)
		req.SystemDiskCategory = pick(r, worldCategories)
		req.Tag = &[]ecs.RunInstancesTag{{Key: "team", Value: "ci"}}
		dd := []ecs.RunInstancesDataDisk{
			{Size: strconv.Itoa(20 + r.IntN(100)), Category: pick(r, worldCategories), DeleteWithInstance: "false"},
			{Size: strconv.Itoa(20 + r.IntN(100)), Category: pick(r, worldCategories), DeleteWithInstance: "true"},
		}
		req.DataDisk = &dd
		if i == 1 {
			req.InstanceChargeType = ecsemu.PrePaid
		}
		resp, err := env.Client.RunInstances(req)
		require.NoError(t, err)
		require.Len(t, resp.InstanceIdSets.InstanceIdSet, 1)
		id := resp.InstanceIdSets.InstanceIdSet[0]
		w.instances = append(w.instances, id)
		var got []ecsemu.Disk
		for _, d := range env.Emu.Disks() {
			if d.InstanceId == id {
				got = append(got, d)
			}
		}
		require.Len(t, got, 3)
		want := []*wDisk{{typ: "system", category: req.SystemDiskCategory, size: 40, del: true}}
		for _, d := range dd {
			size, _ := strconv.Atoi(d.Size)
			want = append(want, &wDisk{typ: "data", category: d.Category, size: size, del: d.DeleteWithInstance == "true"})
		}
		for j, d := range want {
			g := got[j]
			require.Equal(t, []any{d.typ, d.category, d.size, d.del}, []any{g.Type, g.Category, g.Size, g.DeleteWithInstance})
			d.id, d.region, d.zone, d.instance, d.prepaid = g.DiskId, region, req.ZoneId, id, i == 1
			d.tags = map[string]string{"team": "ci"}
			w.disks = append(w.disks, d)
		}
	}
	require.NoError(t, env.Emu.Advance(10*time.Minute)) // the new instances are Running

	// Tags on disks (TagResources).
	for _, d := range w.disks {
		if d.tags == nil {
			d.tags = map[string]string{}
		}
		add := randomTags(r, 2)
		if len(add) == 0 {
			continue
		}
		c := env.Client
		if d.region != region {
			c = newClientIn(t, env, d.region)
		}
		_, err := c.TagResources(tagReq("disk", []string{d.id}, flatTags(add)...))
		require.NoError(t, err)
		maps.Copy(d.tags, add)
	}

	// Release the first two instances: their kept disks become Available.
	for _, id := range []string{"i-world00", "i-world01"} {
		_, err := env.Client.DeleteInstance(deleteReq(id, true))
		require.NoError(t, err)
		w.disks = slices.DeleteFunc(w.disks, func(d *wDisk) bool { return d.instance == id && d.del })
		for _, d := range w.disks {
			if d.instance == id {
				d.instance = ""
			}
		}
	}

	// Snapshots in three rounds: accomplished, then failed for one
	// instance (accomplished for the others), then progressing.
	failing := "i-world03"
	for round := range 3 {
		if round == 1 {
			env.Emu.FailSnapshotsOf(failing, true)
		}
		for _, d := range w.disks {
			if r.IntN(3) == 0 {
				continue
			}
			req := ecs.CreateCreateSnapshotRequest()
			req.DiskId = d.id
			req.SnapshotName = pick(r, worldSnapNames)
			tags := randomTags(r, 2)
			if len(tags) > 0 {
				var st []ecs.CreateSnapshotTag
				for _, tg := range tagList(tags) {
					st = append(st, ecs.CreateSnapshotTag{Key: tg.TagKey, Value: tg.TagValue})
				}
				req.Tag = &st
			}
			c := env.Client
			if d.region != region {
				c = newClientIn(t, env, d.region)
			}
			resp, err := c.CreateSnapshot(req)
			require.NoError(t, err, "snapshot of %s", d.id)
			status := ecsemu.SnapshotAccomplished
			switch {
			case round == 2:
				status = ecsemu.SnapshotProgressing
			case round == 1 && d.instance == failing:
				status = ecsemu.SnapshotFailed
			}
			w.snaps = append(w.snaps, &wSnap{id: resp.SnapshotId, region: d.region, disk: d.id, instance: d.instance,
				name: req.SnapshotName, diskType: d.typ, status: status, tags: tags})
		}
		if round < 2 {
			require.NoError(t, env.Emu.Advance(11*time.Minute))
		}
		env.Emu.FailSnapshotsOf(failing, false)
	}
	// Tags added to some snapshots afterwards.
	for _, s := range w.snaps {
		if s.region != region || r.IntN(4) != 0 {
			continue
		}
		add := map[string]string{pick(r, worldTagKeys): pick(r, worldTagValues)}
		_, err := env.Client.TagResources(tagReq("snapshot", []string{s.id}, flatTags(add)...))
		require.NoError(t, err)
		maps.Copy(s.tags, add)
	}
	return w
}

func newClientIn(t *testing.T, env *ecsemutest.Env, reg string) *ecs.Client {
	t.Helper()
	c := env.NewClient(t, reg, "")
	checkBodies(t, c)
	return c
}

func flatTags(m map[string]string) []string {
	var out []string
	for _, tg := range tagList(m) {
		out = append(out, tg.TagKey, tg.TagValue)
	}
	return out
}

// query is one random filter: what it sends and what it keeps.
type wDiskQuery struct {
	desc  string
	apply func(*ecs.DescribeDisksRequest)
	keep  func(*wDisk) bool
}

type wSnapQuery struct {
	desc  string
	apply func(*ecs.DescribeSnapshotsRequest)
	keep  func(*wSnap) bool
}

func boolStr(b bool) requests.Boolean { return requests.NewBoolean(b) }

// randomTagConds draws 1 or 2 tag conditions (a key alone or key and value,
// from the world's keys and values plus ones no resource has).
func randomTagConds(r *rand.Rand) (string, []ecs.DescribeDisksTag, func(map[string]string) bool) {
	type cond struct {
		key, value string
		hasValue   bool
	}
	var conds []cond
	for range 1 + r.IntN(2) {
		c := cond{key: pick(r, append(slices.Clone(worldTagKeys), "owner"))}
		if r.IntN(3) > 0 {
			c.value, c.hasValue = pick(r, append(slices.Clone(worldTagValues), "qa")), true
		}
		conds = append(conds, c)
	}
	var tags []ecs.DescribeDisksTag
	var desc []string
	for _, c := range conds {
		tags = append(tags, ecs.DescribeDisksTag{Key: c.key, Value: c.value})
		desc = append(desc, c.key+"="+c.value)
	}
	return "Tag " + strings.Join(desc, ","), tags, func(m map[string]string) bool {
		for _, c := range conds {
			v, ok := m[c.key]
			if !ok || (c.hasValue && v != c.value) {
				return false
			}
		}
		return true
	}
}

// diskFilters are the generators of the DescribeDisks filters.
func (w *storageWorld) diskFilters() map[string]func(r *rand.Rand) wDiskQuery {
	var ids []string
	for _, d := range w.disks {
		ids = append(ids, d.id)
	}
	strFilter := func(name string, values []string, set func(*ecs.DescribeDisksRequest, string), have func(*wDisk, string) bool) func(r *rand.Rand) wDiskQuery {
		return func(r *rand.Rand) wDiskQuery {
			v := pick(r, values)
			return wDiskQuery{name + "=" + v, func(q *ecs.DescribeDisksRequest) { set(q, v) }, func(d *wDisk) bool { return have(d, v) }}
		}
	}
	boolFilter := func(name string, set func(*ecs.DescribeDisksRequest, requests.Boolean), have func(*wDisk) bool) func(r *rand.Rand) wDiskQuery {
		return func(r *rand.Rand) wDiskQuery {
			v := r.IntN(2) == 0
			return wDiskQuery{fmt.Sprintf("%s=%v", name, v), func(q *ecs.DescribeDisksRequest) { set(q, boolStr(v)) }, func(d *wDisk) bool { return have(d) == v }}
		}
	}
	var snapIDs []string
	for _, s := range w.snaps {
		if s.region == region {
			snapIDs = append(snapIDs, s.id)
		}
	}
	return map[string]func(r *rand.Rand) wDiskQuery{
		"DiskIds": func(r *rand.Rand) wDiskQuery {
			var sel []string
			for range r.IntN(6) {
				sel = append(sel, pick(r, append(slices.Clone(ids), "d-nosuch0000", "d-gone0000000")))
			}
			set := map[string]bool{}
			for _, id := range sel {
				set[id] = true
			}
			return wDiskQuery{"DiskIds=" + jsonList(sel...), func(q *ecs.DescribeDisksRequest) { q.DiskIds = jsonArray(sel) }, func(d *wDisk) bool { return set[d.id] }}
		},
		"InstanceId": strFilter("InstanceId", append(slices.Clone(w.instances), "i-nosuch"), func(q *ecs.DescribeDisksRequest, v string) { q.InstanceId = v },
			func(d *wDisk, v string) bool { return d.instance == v }),
		"DiskType": strFilter("DiskType", []string{"all", "system", "data"}, func(q *ecs.DescribeDisksRequest, v string) { q.DiskType = v },
			func(d *wDisk, v string) bool { return v == "all" || d.typ == v }),
		"ZoneId": strFilter("ZoneId", append(slices.Clone(worldZones), region+"-z", "cn-beijing-a"), func(q *ecs.DescribeDisksRequest, v string) { q.ZoneId = v },
			func(d *wDisk, v string) bool { return d.zone == v }),
		"Category": strFilter("Category", append(slices.Clone(worldCategories), "all", "cloud", "local_ssd_pro"), func(q *ecs.DescribeDisksRequest, v string) { q.Category = v },
			func(d *wDisk, v string) bool { return v == "all" || d.category == v }),
		"Status": strFilter("Status", []string{"All", "In_use", "Available", "Attaching", "Detaching", "Creating", "ReIniting"},
			func(q *ecs.DescribeDisksRequest, v string) { q.Status = v }, func(d *wDisk, v string) bool { return v == "All" || d.status() == v }),
		"DiskName": strFilter("DiskName", append(slices.Clone(worldDiskNames[1:]), "no-such-name"), func(q *ecs.DescribeDisksRequest, v string) { q.DiskName = v },
			func(d *wDisk, v string) bool { return d.name == v }),
		"DiskChargeType": strFilter("DiskChargeType", []string{"PrePaid", "PostPaid"}, func(q *ecs.DescribeDisksRequest, v string) { q.DiskChargeType = v },
			func(d *wDisk, v string) bool { return d.charge() == v }),
		"MultiAttach": strFilter("MultiAttach", []string{"Disabled", "Enabled", "LegacyShared"}, func(q *ecs.DescribeDisksRequest, v string) { q.MultiAttach = v },
			func(d *wDisk, v string) bool { return v == "Disabled" }),
		"KMSKeyId": strFilter("KMSKeyId", []string{"0e478b7a-4262-4802-b8cb-00d3fb40abcd"}, func(q *ecs.DescribeDisksRequest, v string) { q.KMSKeyId = v },
			func(*wDisk, string) bool { return false }),
		"AutoSnapshotPolicyId": strFilter("AutoSnapshotPolicyId", []string{"sp-nosuch"}, func(q *ecs.DescribeDisksRequest, v string) { q.AutoSnapshotPolicyId = v },
			func(*wDisk, string) bool { return false }),
		"SnapshotId": strFilter("SnapshotId", snapIDs, func(q *ecs.DescribeDisksRequest, v string) { q.SnapshotId = v },
			func(*wDisk, string) bool { return false }),
		"DeleteWithInstance": boolFilter("DeleteWithInstance", func(q *ecs.DescribeDisksRequest, b requests.Boolean) { q.DeleteWithInstance = b }, func(d *wDisk) bool { return d.del }),
		"Portable":           boolFilter("Portable", func(q *ecs.DescribeDisksRequest, b requests.Boolean) { q.Portable = b }, (*wDisk).portable),
		"Encrypted":          boolFilter("Encrypted", func(q *ecs.DescribeDisksRequest, b requests.Boolean) { q.Encrypted = b }, func(*wDisk) bool { return false }),
		"EnableShared":       boolFilter("EnableShared", func(q *ecs.DescribeDisksRequest, b requests.Boolean) { q.EnableShared = b }, func(*wDisk) bool { return false }),
		"EnableAutomatedSnapshotPolicy": boolFilter("EnableAutomatedSnapshotPolicy", func(q *ecs.DescribeDisksRequest, b requests.Boolean) { q.EnableAutomatedSnapshotPolicy = b },
			func(*wDisk) bool { return false }),
		"Tag": func(r *rand.Rand) wDiskQuery {
			desc, tags, keep := randomTagConds(r)
			return wDiskQuery{desc, func(q *ecs.DescribeDisksRequest) {
				tt := slices.Clone(tags)
				q.Tag = &tt
			}, func(d *wDisk) bool { return keep(d.tags) }}
		},
	}
}

func (w *storageWorld) snapFilters() map[string]func(r *rand.Rand) wSnapQuery {
	var ids, disks []string
	for _, s := range w.snaps {
		ids = append(ids, s.id)
	}
	for _, d := range w.disks {
		disks = append(disks, d.id)
	}
	strFilter := func(name string, values []string, set func(*ecs.DescribeSnapshotsRequest, string), have func(*wSnap, string) bool) func(r *rand.Rand) wSnapQuery {
		return func(r *rand.Rand) wSnapQuery {
			v := pick(r, values)
			return wSnapQuery{name + "=" + v, func(q *ecs.DescribeSnapshotsRequest) { set(q, v) }, func(s *wSnap) bool { return have(s, v) }}
		}
	}
	return map[string]func(r *rand.Rand) wSnapQuery{
		"SnapshotIds": func(r *rand.Rand) wSnapQuery {
			var sel []string
			for range r.IntN(6) {
				sel = append(sel, pick(r, append(slices.Clone(ids), "s-nosuch0000")))
			}
			set := map[string]bool{}
			for _, id := range sel {
				set[id] = true
			}
			return wSnapQuery{"SnapshotIds=" + jsonList(sel...), func(q *ecs.DescribeSnapshotsRequest) { q.SnapshotIds = jsonArray(sel) }, func(s *wSnap) bool { return set[s.id] }}
		},
		"Status": strFilter("Status", []string{"all", "progressing", "accomplished", "failed"}, func(q *ecs.DescribeSnapshotsRequest, v string) { q.Status = v },
			func(s *wSnap, v string) bool { return v == "all" || s.status == v }),
		"InstanceId": strFilter("InstanceId", append(slices.Clone(w.instances), "i-nosuch"), func(q *ecs.DescribeSnapshotsRequest, v string) { q.InstanceId = v },
			func(s *wSnap, v string) bool { return s.instance == v }),
		"DiskId": strFilter("DiskId", append(disks, "d-nosuch0000"), func(q *ecs.DescribeSnapshotsRequest, v string) { q.DiskId = v },
			func(s *wSnap, v string) bool { return s.disk == v }),
		"SnapshotName": strFilter("SnapshotName", append(slices.Clone(worldSnapNames[1:]), "no-such-name"), func(q *ecs.DescribeSnapshotsRequest, v string) { q.SnapshotName = v },
			func(s *wSnap, v string) bool { return s.name == v }),
		"SnapshotType": strFilter("SnapshotType", []string{"all", "user", "auto"}, func(q *ecs.DescribeSnapshotsRequest, v string) { q.SnapshotType = v },
			func(s *wSnap, v string) bool { return v != "auto" }),
		"Category": strFilter("Category", []string{"Standard", "standard", "Flash", "archive"}, func(q *ecs.DescribeSnapshotsRequest, v string) { q.Category = v },
			func(s *wSnap, v string) bool { return strings.EqualFold(v, "standard") }),
		"SourceDiskType": strFilter("SourceDiskType", []string{"System", "system", "Data", "DATA"}, func(q *ecs.DescribeSnapshotsRequest, v string) { q.SourceDiskType = v },
			func(s *wSnap, v string) bool { return strings.EqualFold(s.diskType, v) }),
		"Usage": strFilter("Usage", []string{"none", "image", "disk", "image_disk"}, func(q *ecs.DescribeSnapshotsRequest, v string) { q.Usage = v },
			func(s *wSnap, v string) bool { return v == "none" }),
		"KMSKeyId": strFilter("KMSKeyId", []string{"0e478b7a-4262-4802-b8cb-00d3fb40abcd"}, func(q *ecs.DescribeSnapshotsRequest, v string) { q.KMSKeyId = v },
			func(*wSnap, string) bool { return false }),
		"Encrypted": func(r *rand.Rand) wSnapQuery {
			v := r.IntN(2) == 0
			return wSnapQuery{fmt.Sprintf("Encrypted=%v", v), func(q *ecs.DescribeSnapshotsRequest) { q.Encrypted = boolStr(v) }, func(*wSnap) bool { return !v }}
		},
		"Tag": func(r *rand.Rand) wSnapQuery {
			desc, tags, keep := randomTagConds(r)
			return wSnapQuery{desc, func(q *ecs.DescribeSnapshotsRequest) {
				var tt []ecs.DescribeSnapshotsTag
				for _, tg := range tags {
					tt = append(tt, ecs.DescribeSnapshotsTag(tg))
				}
				q.Tag = &tt
			}, func(s *wSnap) bool { return keep(s.tags) }}
		},
	}
}

// jsonArray is a JSON array of IDs ("[]" for none, unlike jsonList's
// callers, which always have some).
func jsonArray(ids []string) string {
	if len(ids) == 0 {
		return "[]"
	}
	return jsonList(ids...)
}

// listDisks reads every page of a DescribeDisks query, in NextToken mode
// (MaxResults, clamped to 10..500 by ECS) or PageNumber mode.
func listDisks(t *testing.T, c *ecs.Client, r *rand.Rand, apply func(*ecs.DescribeDisksRequest)) []ecs.Disk {
	t.Helper()
	var out []ecs.Disk
	if r.IntN(2) == 0 {
		limit := pick(r, []int{1, 10, 13})
		token := ""
		for page := 0; ; page++ {
			req := ecs.CreateDescribeDisksRequest()
			apply(req)
			req.MaxResults = requests.NewInteger(limit)
			req.NextToken = token
			resp, err := c.DescribeDisks(req)
			require.NoError(t, err)
			require.LessOrEqual(t, len(resp.Disks.Disk), max(limit, 10), "MaxResults below 10 reads as 10")
			out = append(out, resp.Disks.Disk...)
			if token = resp.NextToken; token == "" {
				return out
			}
			require.Less(t, page, 100)
		}
	}
	size := 1 + r.IntN(30)
	for page := 1; ; page++ {
		req := ecs.CreateDescribeDisksRequest()
		apply(req)
		req.PageSize = requests.NewInteger(size)
		req.PageNumber = requests.NewInteger(page)
		resp, err := c.DescribeDisks(req)
		require.NoError(t, err)
		out = append(out, resp.Disks.Disk...)
		if len(out) >= resp.TotalCount || len(resp.Disks.Disk) == 0 {
			require.Equal(t, resp.TotalCount, len(out))
			return out
		}
		require.Less(t, page, 200)
	}
}

func listSnapshots(t *testing.T, c *ecs.Client, r *rand.Rand, apply func(*ecs.DescribeSnapshotsRequest)) []ecs.Snapshot {
	t.Helper()
	var out []ecs.Snapshot
	if r.IntN(2) == 0 {
		limit := 1 + r.IntN(20)
		token := ""
		for page := 0; ; page++ {
			req := ecs.CreateDescribeSnapshotsRequest()
			apply(req)
			req.MaxResults = requests.NewInteger(limit)
			req.NextToken = token
			resp, err := c.DescribeSnapshots(req)
			require.NoError(t, err)
			require.LessOrEqual(t, len(resp.Snapshots.Snapshot), limit)
			out = append(out, resp.Snapshots.Snapshot...)
			if token = resp.NextToken; token == "" {
				return out
			}
			require.Less(t, page, 200)
		}
	}
	size := 1 + r.IntN(30)
	for page := 1; ; page++ {
		req := ecs.CreateDescribeSnapshotsRequest()
		apply(req)
		req.PageSize = requests.NewInteger(size)
		req.PageNumber = requests.NewInteger(page)
		resp, err := c.DescribeSnapshots(req)
		require.NoError(t, err)
		out = append(out, resp.Snapshots.Snapshot...)
		if len(out) >= resp.TotalCount || len(resp.Snapshots.Snapshot) == 0 {
			require.Equal(t, resp.TotalCount, len(out))
			return out
		}
		require.Less(t, page, 200)
	}
}

func TestDescribeDisksFiltersRandomWorld(t *testing.T) {
	t.Parallel()
	const seed = 20261126
	w := buildWorld(t, seed)
	r := rand.New(rand.NewPCG(seed, 1))
	c := newClient(t, w.env, "")
	gens := w.diskFilters()
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range gens {
			if !yield(k) {
				return
			}
		}
	})
	byID := map[string]*wDisk{}
	for _, d := range w.disks {
		byID[d.id] = d
	}
	check := func(t *testing.T, qs []wDiskQuery) {
		t.Helper()
		var desc []string
		for _, q := range qs {
			desc = append(desc, q.desc)
		}
		var want []string
		for _, d := range w.disks {
			keep := d.region == region
			for _, q := range qs {
				keep = keep && q.keep(d)
			}
			if keep {
				want = append(want, d.id)
			}
		}
		got := listDisks(t, c, r, func(req *ecs.DescribeDisksRequest) {
			for _, q := range qs {
				q.apply(req)
			}
		})
		var ids []string
		for _, d := range got {
			ids = append(ids, d.DiskId)
			wd := byID[d.DiskId]
			if assert.NotNil(t, wd, "unknown disk %s", d.DiskId) {
				assert.Equal(t, []any{wd.instance, wd.status(), wd.charge(), wd.portable(), wd.zone, len(wd.tags)},
					[]any{d.InstanceId, d.Status, d.DiskChargeType, d.Portable, d.ZoneId, len(d.Tags.Tag)}, "disk %s", d.DiskId)
			}
		}
		assert.Equal(t, want, ids, "DescribeDisks %s", strings.Join(desc, " & "))
	}
	t.Run("no filter", func(t *testing.T) { check(t, nil) })
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for range 10 {
				check(t, []wDiskQuery{gens[name](r)})
			}
		})
	}
	t.Run("combinations", func(t *testing.T) {
		for range 300 {
			var qs []wDiskQuery
			for _, name := range combination(r, names, "KMSKeyId", "AutoSnapshotPolicyId", "SnapshotId") {
				qs = append(qs, gens[name](r))
			}
			check(t, qs)
		}
	})
}

func TestDescribeSnapshotsFiltersRandomWorld(t *testing.T) {
	t.Parallel()
	const seed = 20261127
	w := buildWorld(t, seed)
	r := rand.New(rand.NewPCG(seed, 2))
	c := newClient(t, w.env, "")
	gens := w.snapFilters()
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range gens {
			if !yield(k) {
				return
			}
		}
	})
	byID := map[string]*wSnap{}
	statuses := map[string]int{}
	for _, s := range w.snaps {
		byID[s.id] = s
		statuses[s.status]++
	}
	require.Len(t, statuses, 3, "the world has snapshots of every status: %v", statuses)
	check := func(t *testing.T, qs []wSnapQuery) {
		t.Helper()
		var desc []string
		for _, q := range qs {
			desc = append(desc, q.desc)
		}
		var want []string
		for _, s := range w.snaps {
			keep := s.region == region
			for _, q := range qs {
				keep = keep && q.keep(s)
			}
			if keep {
				want = append(want, s.id)
			}
		}
		got := listSnapshots(t, c, r, func(req *ecs.DescribeSnapshotsRequest) {
			for _, q := range qs {
				q.apply(req)
			}
		})
		var ids []string
		for _, s := range got {
			ids = append(ids, s.SnapshotId)
			ws := byID[s.SnapshotId]
			if assert.NotNil(t, ws, "unknown snapshot %s", s.SnapshotId) {
				var tags []ecsemu.Tag
				for _, tg := range s.Tags.Tag {
					tags = append(tags, ecsemu.Tag{TagKey: tg.TagKey, TagValue: tg.TagValue})
				}
				slices.SortFunc(tags, func(a, b ecsemu.Tag) int { return strings.Compare(a.TagKey, b.TagKey) })
				assert.Equal(t, []any{ws.status, ws.disk, ws.name, ws.diskType, tagList(ws.tags)},
					[]any{s.Status, s.SourceDiskId, s.SnapshotName, s.SourceDiskType, nonNilTags(tags)}, "snapshot %s", s.SnapshotId)
			}
		}
		assert.Equal(t, want, ids, "DescribeSnapshots %s", strings.Join(desc, " & "))
	}
	t.Run("no filter", func(t *testing.T) { check(t, nil) })
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for range 10 {
				check(t, []wSnapQuery{gens[name](r)})
			}
		})
	}
	t.Run("combinations", func(t *testing.T) {
		for range 300 {
			var qs []wSnapQuery
			for _, name := range combination(r, names, "KMSKeyId") {
				qs = append(qs, gens[name](r))
			}
			check(t, qs)
		}
	})
}

// combination draws 2 to 4 distinct filters; the ones that always select
// nothing (empty) take part only now and then, so that most combinations
// select something.
func combination(r *rand.Rand, names []string, empty ...string) []string {
	n := 2 + r.IntN(3)
	var out []string
	for _, i := range r.Perm(len(names)) {
		if len(out) == n {
			break
		}
		if slices.Contains(empty, names[i]) && r.IntN(10) > 0 {
			continue
		}
		out = append(out, names[i])
	}
	return out
}

func nonNilTags(t []ecsemu.Tag) []ecsemu.Tag {
	if t == nil {
		return []ecsemu.Tag{}
	}
	return t
}
