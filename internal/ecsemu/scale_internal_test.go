package ecsemu

// The shortcuts that keep the emulator's cost per call flat at fleet scale
// (tick passes that visit only the instances with something due,
// DescribeDisks paging the region's disk list, listings remembered between
// pages) must answer exactly what the plain scans they replace answered.
// TestShortcutsAnswerAsFullScans runs a random workload on two emulators
// built alike, one of which visits every instance on every tick pass, and
// checks every answer and the whole state against each other, and every
// DescribeInstances and DescribeDisks answer against the scan-and-sort
// implementation the shortcuts replaced.

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
)

// refDescribeDisks is describeDisks as it was: filter and sort every disk,
// then cut the page.
func refDescribeDisks(e *Emulator, c *rpc) (answer, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	f, err := e.parseDiskFilter(c)
	if err != nil {
		return nil, err
	}
	pg, err := c.diskPaging()
	if err != nil {
		return nil, err
	}
	if err := c.dryRunCheck(); err != nil {
		return nil, err
	}
	list := e.st.sortedDisks(func(d *disk) bool { return d.region == c.region && f.match(e.st, d) })
	out := &describeDisksAnswer{}
	page := pageOf(pg, list, func(d *disk) int64 { return d.seq }, &out.Page)
	out.Disks.Disk = make([]Disk, len(page))
	for i, d := range page {
		out.Disks.Disk[i] = d.viewIn(e.st)
	}
	return out, nil
}

// refDescribeInstances is describeInstances without remembered listings.
func refDescribeInstances(e *Emulator, c *rpc) (answer, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	f, err := c.describeInstancesFilter()
	if err != nil {
		return nil, err
	}
	pg, err := c.paging(100, 10)
	if err != nil {
		return nil, err
	}
	if err := c.dryRunCheck(); err != nil {
		return nil, err
	}
	list := e.st.sortedInstances(f.match)
	out := &describeInstancesAnswer{}
	page := pageOf(pg, list, func(in *instance) int64 { return in.seq }, &out.Page)
	out.Instances.Instance = make([]describedInstance, len(page))
	for i, in := range page {
		out.Instances.Instance[i] = in.described()
	}
	return out, nil
}

const otherRegion = "cn-shanghai"

// twin drives two emulators alike: a as built, b visiting every instance
// on every tick pass.
type twin struct {
	t    *testing.T
	rng  *rand.Rand
	a, b *Emulator
	// clocks are theirs: moved on without the lock, the way time passes
	// between two calls.
	clocks [2]*clock.Fake
	n      int
	// ids are every instance and disk ID seen, released ones included;
	// live the instances of a at the last checkState.
	instanceIDs, diskIDs, live []string
	// compared counts the answers checked against the reference scans;
	// remembered those served from a remembered listing.
	compared, remembered int
}

func newTwin(t *testing.T, seed int64) *twin {
	w := &twin{t: t, rng: rand.New(rand.NewSource(seed))}
	mk := func(i int) *Emulator {
		w.clocks[i] = clock.NewFake(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
		e, err := New(Options{Clock: w.clocks[i], Seed: 7,
			PendingDelay: 10 * time.Second, StartDelay: 20 * time.Second, StopDelay: 30 * time.Second,
			SnapshotDelay: time.Minute, NodePoolRefillDelay: 2 * time.Minute})
		require.NoError(t, err)
		return e
	}
	w.a, w.b = mk(0), mk(1)
	w.b.st.walkAlways = true
	return w
}

func (w *twin) pick(list ...string) string { return list[w.rng.Intn(len(list))] }

// fleet adds n random instances to both emulators.
func (w *twin) fleet(n int) {
	now := w.a.Now()
	specs := make([]Instance, n)
	for i := range specs {
		s := &specs[i]
		s.RegionId = w.pick(DefaultRegion, DefaultRegion, otherRegion)
		s.ZoneId = s.RegionId + w.pick("-a", "-b")
		s.Status = w.pick(StatusRunning, StatusRunning, StatusRunning, StatusStopped, StatusStopping)
		s.InstanceName = w.pick("web-1", "web-2", "db", "")
		switch w.rng.Intn(8) {
		case 0:
			s.InstanceChargeType = PrePaid
		case 1:
			s.SpotStrategy = SpotAsPriceGo
		case 2:
			s.AutoReleaseTime = now.Add(time.Duration(1+w.rng.Intn(120)) * time.Minute).Format(layoutMinute)
		}
		for _, k := range []string{"env", "team", "ecs-release:managed"} {
			if w.rng.Intn(2) == 0 {
				s.Tags.Tag = append(s.Tags.Tag, Tag{TagKey: k, TagValue: w.pick("a", "b")})
			}
		}
		switch w.rng.Intn(10) {
		case 0:
			group := map[string]string{DefaultRegion: "asg-1", otherRegion: "asg-2"}[s.RegionId]
			s.Tags.Tag = append(s.Tags.Tag, Tag{TagKey: TagScalingGroup, TagValue: group})
			s.Status, s.AutoReleaseTime = StatusRunning, ""
		case 1:
			s.Tags.Tag = append(s.Tags.Tag, Tag{TagKey: TagACKCluster, TagValue: "c-1"}, Tag{TagKey: TagACKNodePool, TagValue: "np-" + s.RegionId})
		}
		if k := w.rng.Intn(3); k > 0 {
			s.Disks = &FleetDiskSet{}
			for range k {
				del := w.rng.Intn(2) == 0
				s.Disks.Disk = append(s.Disks.Disk, FleetDisk{Category: w.pick("cloud_essd", "cloud_ssd", "cloud_efficiency"),
					DeleteWithInstance: &del, DiskName: w.pick("", "data", "logs")})
			}
		}
	}
	for _, e := range []*Emulator{w.a, w.b} {
		_, err := e.AddInstances(specs)
		require.NoError(w.t, err)
	}
	w.checkState()
}

// call makes one API call on both emulators and checks the answers are
// the same; DescribeInstances and DescribeDisks answers are checked
// against the reference scans too. It returns a's answer.
func (w *twin) call(action string, p params) (int, []byte) {
	w.t.Helper()
	w.n++
	p["Action"], p["Version"] = action, APIVersion
	if _, ok := p["RegionId"]; !ok {
		p["RegionId"] = DefaultRegion
	}
	key := listingKey(&rpc{p: p})
	hit := w.a.st.listings[key] != nil
	var out [2][]byte
	var status [2]int
	for i, e := range []*Emulator{w.a, w.b} {
		// A fixed RequestId: the answers compare byte for byte.
		_, st, body := e.handle(httptest.NewRequest("POST", "/", nil), "req", gateResult{p: cloneParams(p)}, 0)
		status[i], out[i] = st, encodeJSON(body)
	}
	require.Equal(w.t, status[0], status[1], "%s %v", action, p)
	sameText(w.t, out[0], out[1], "%s %v: b", action, p)
	ref := map[string]func(*Emulator, *rpc) (answer, *apiError){"DescribeInstances": refDescribeInstances, "DescribeDisks": refDescribeDisks}[action]
	if ref != nil {
		w.a.mu.lockCall() // as handle: the reference leaves the listings alone
		body, aerr := ref(w.a, &rpc{p: cloneParams(p), now: w.a.now(), region: p.get("RegionId")})
		w.a.mu.Unlock()
		if aerr != nil {
			require.NotEqual(w.t, 200, status[0], "%s %v: reference answers %s", action, p, aerr.Code)
			require.Contains(w.t, string(out[0]), strconv.Quote(aerr.Code))
		} else {
			body.setRequestID("req")
			sameText(w.t, encodeJSON(body), out[0], "%s %v: the reference", action, p)
			w.compared++
			if hit {
				w.remembered++
			}
		}
	}
	return status[0], out[0]
}

// sameText fails the test unless got is want, showing where they part
// (answers run to hundreds of kilobytes).
func sameText(t *testing.T, want, got []byte, format string, args ...any) {
	t.Helper()
	if string(want) == string(got) {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(i-300, 0)
	t.Fatalf("%s differs at byte %d:\nwant …%s\ngot  …%s", fmt.Sprintf(format, args...), i, want[from:min(i+300, len(want))], got[from:min(i+300, len(got))])
}

func cloneParams(p params) params {
	out := make(params, len(p))
	maps.Copy(out, p)
	return out
}

// do runs an exported operation on both emulators and checks they agree.
func (w *twin) do(name string, op func(e *Emulator) error) {
	w.t.Helper()
	ea, eb := op(w.a), op(w.b)
	require.Equal(w.t, fmt.Sprint(ea), fmt.Sprint(eb), name)
}

// checkState compares everything the two emulators hold.
func (w *twin) checkState() {
	w.t.Helper()
	js := func(v any) []byte {
		b, err := json.Marshal(v)
		require.NoError(w.t, err)
		return b
	}
	events := func(e *Emulator) []Event {
		evs := e.Events()
		for i := range evs {
			evs[i].ID = "" // random
		}
		return evs
	}
	for _, view := range []struct {
		name string
		of   func(e *Emulator) any
	}{
		{"instances", func(e *Emulator) any { return e.Instances() }},
		{"disks", func(e *Emulator) any { return e.Disks() }},
		{"snapshots", func(e *Emulator) any { return e.Snapshots() }},
		{"groups", func(e *Emulator) any { return e.ScalingGroups() }},
		{"pools", func(e *Emulator) any { return e.NodePools() }},
		{"events", func(e *Emulator) any { return events(e) }},
	} {
		sameText(w.t, js(view.of(w.a)), js(view.of(w.b)), "%s", view.name)
	}
	w.live = w.live[:0]
	for _, in := range w.a.Instances() {
		w.live = append(w.live, in.InstanceId)
		if !slices.Contains(w.instanceIDs, in.InstanceId) {
			w.instanceIDs = append(w.instanceIDs, in.InstanceId)
		}
	}
	for _, d := range w.a.Disks() {
		if !slices.Contains(w.diskIDs, d.DiskId) {
			w.diskIDs = append(w.diskIDs, d.DiskId)
		}
	}
}

// someIDs draws 1 to max IDs (with a stranger now and then), as indexed
// parameters name.N.
func (w *twin) someIDs(p params, name string, ids []string, max int) {
	for i := range 1 + w.rng.Intn(max) {
		id := "i-stranger"
		if len(ids) > 0 && w.rng.Intn(20) > 0 {
			id = ids[w.rng.Intn(len(ids))]
		}
		p[name+"."+strconv.Itoa(i+1)] = id
	}
}

func (w *twin) jsonIDs(ids []string) string {
	var list []string
	for range w.rng.Intn(6) {
		if len(ids) > 0 {
			list = append(list, ids[w.rng.Intn(len(ids))])
		}
	}
	b, _ := json.Marshal(append([]string{}, list...))
	return string(b)
}

// mutate changes the world at random.
func (w *twin) mutate() {
	ids := w.instanceIDs
	id := func() string {
		if len(ids) == 0 {
			return "i-stranger"
		}
		return ids[w.rng.Intn(len(ids))]
	}
	p := params{}
	switch w.rng.Intn(18) {
	case 16:
		// Stop every member of the scaling groups and node pools at once:
		// Auto Scaling releases them all in one pass, a grace period
		// later, and what it records and launches follows their order.
		n := 0
		for _, in := range w.a.Instances() {
			for _, tag := range in.Tags.Tag {
				if (tag.TagKey == TagScalingGroup || tag.TagKey == TagACKNodePool) && in.RegionId == DefaultRegion && n < 100 {
					n++
					p["InstanceId."+strconv.Itoa(n)] = in.InstanceId
				}
			}
		}
		if n > 0 {
			p["BatchOptimization"] = "SuccessFirst"
			w.call("StopInstances", p)
		}
	case 17:
		// Several instances to be released at the same minute.
		at := w.a.Now().Add(time.Duration(w.rng.Intn(10)) * time.Minute)
		for range 5 {
			target := id()
			w.do("auto-release", func(e *Emulator) error { return e.SetAutoReleaseTime(target, at) })
		}
	case 15:
		// Housekeeping that must change nothing: compact a's due
		// entries, or have its next pass at t visit every instance.
		at := w.a.Now().Add(time.Duration(w.rng.Intn(60)) * time.Second)
		w.a.mu.Lock()
		if w.rng.Intn(2) == 0 {
			w.a.st.compactDue()
		} else {
			w.a.st.due(nil, at)
		}
		w.a.mu.Unlock()
	case 0:
		d := time.Duration(w.rng.Intn(90)) * time.Second
		w.do("advance", func(e *Emulator) error { return e.Advance(d) })
	case 1, 14:
		// Time passes: the next call's tick finds what came due.
		d := time.Duration(w.rng.Intn(40)) * time.Second
		w.clocks[0].Advance(d)
		w.clocks[1].Advance(d)
	case 2:
		w.someIDs(p, "InstanceId", ids, 5)
		p["ForceStop"] = w.pick("true", "false")
		p["BatchOptimization"] = w.pick("SuccessFirst", "AllTogether")
		w.call("StopInstances", p)
	case 3:
		w.someIDs(p, "InstanceId", ids, 5)
		p["BatchOptimization"] = "SuccessFirst"
		w.call("StartInstances", p)
	case 4:
		w.someIDs(p, "InstanceId", ids, 3)
		p["Force"] = "true"
		w.call("DeleteInstances", p)
	case 5:
		// A release of many at once, to compact the disk lists.
		for i, id := range ids {
			if w.rng.Intn(3) == 0 && i < 100 {
				p["InstanceId."+strconv.Itoa(len(p)+1)] = id
			}
		}
		if len(p) == 0 {
			return
		}
		p["Force"] = "true"
		p["BatchOptimization"] = "SuccessFirst" // not a DeleteInstances parameter: refused, then retried without
		w.call("DeleteInstances", p)
		delete(p, "BatchOptimization")
		w.call("DeleteInstances", p)
	case 6:
		p["RegionId"] = w.pick(DefaultRegion, otherRegion)
		p["Amount"] = strconv.Itoa(1 + w.rng.Intn(3))
		p["InstanceName"] = w.pick("web-1", "db")
		if w.rng.Intn(2) == 0 {
			p["Tag.1.Key"], p["Tag.1.Value"] = "env", w.pick("a", "b")
		}
		if w.rng.Intn(3) == 0 {
			p["AutoReleaseTime"] = w.a.Now().Add(time.Duration(31+w.rng.Intn(60)) * time.Minute).Format(layoutSecond)
		}
		if w.rng.Intn(2) == 0 {
			p["DataDisk.1.Size"], p["DataDisk.1.DeleteWithInstance"] = "40", w.pick("true", "false")
		}
		w.call("RunInstances", p)
	case 7:
		p["InstanceId"], p["InstanceName"] = id(), w.pick("web-1", "web-3", "db")
		w.call("ModifyInstanceAttribute", p)
	case 8:
		p["ResourceType"] = w.pick("instance", "disk")
		if p["ResourceType"] == "disk" && len(w.diskIDs) > 0 {
			p["ResourceId.1"] = w.diskIDs[w.rng.Intn(len(w.diskIDs))]
		} else {
			p["ResourceId.1"] = id()
		}
		p["Tag.1.Key"], p["Tag.1.Value"] = w.pick("env", "team"), w.pick("a", "b", "c")
		w.call("TagResources", p)
	case 9:
		if len(w.diskIDs) > 0 {
			p["DiskId"] = w.diskIDs[w.rng.Intn(len(w.diskIDs))]
			w.call("CreateSnapshot", p)
		}
	case 10:
		target := id()
		w.do("spot", func(e *Emulator) error { return e.SpotInterrupt(target) })
	case 11:
		target, stuck := id(), w.rng.Intn(2) == 0
		w.do("stuck", func(e *Emulator) error { return e.SetStuck(stuck, target) })
	case 12:
		target := id()
		if w.rng.Intn(2) == 0 {
			w.do("release", func(e *Emulator) error { return e.OperatorRelease(target) })
		} else {
			w.do("stop", func(e *Emulator) error { return e.OperatorStop(target, false) })
		}
	case 13:
		target := id()
		at := w.a.Now().Add(time.Duration(w.rng.Intn(180)) * time.Second)
		w.do("auto-release", func(e *Emulator) error { return e.SetAutoReleaseTime(target, at) })
	}
}

// releaseMost releases nine in ten instances of a region, whose disk
// list then holds more deleted disks than live ones.
func (w *twin) releaseMost() {
	region := w.pick(DefaultRegion, otherRegion)
	for _, in := range w.a.Instances() {
		if in.RegionId == region && w.rng.Intn(10) > 0 {
			w.do("release", func(e *Emulator) error { return e.OperatorRelease(in.InstanceId) })
		}
	}
	w.checkState()
}

// diskQuery draws a DescribeDisks filter.
func (w *twin) diskQuery() params {
	p := params{"RegionId": w.pick(DefaultRegion, DefaultRegion, otherRegion)}
	if w.rng.Intn(2) == 0 {
		return p // the region's disks: the cleanup's query
	}
	opt := func(name string, values ...string) {
		if w.rng.Intn(4) == 0 {
			p[name] = w.pick(values...)
		}
	}
	if w.rng.Intn(8) == 0 {
		p["DiskIds"] = w.jsonIDs(w.diskIDs)
	}
	if w.rng.Intn(4) == 0 && len(w.live) > 0 {
		p["InstanceId"] = w.live[w.rng.Intn(len(w.live))]
		if w.rng.Intn(5) == 0 {
			p["InstanceId"] = w.instanceIDs[w.rng.Intn(len(w.instanceIDs))]
		}
	}
	opt("DiskType", "all", "system", "data")
	opt("Category", "all", "cloud_essd", "cloud_ssd")
	opt("Status", "All", DiskInUse, DiskAvailable)
	opt("ZoneId", DefaultRegion+"-a", otherRegion+"-b")
	opt("DiskName", "data", "logs")
	opt("DiskChargeType", PrePaid, PostPaid)
	opt("DeleteWithInstance", "true", "false")
	opt("Portable", "true", "false")
	opt("Encrypted", "false", "true")
	opt("EnableShared", "false")
	opt("MultiAttach", "Disabled", "Enabled")
	if w.rng.Intn(6) == 0 {
		p["Tag.1.Key"] = w.pick("env", "team")
		if w.rng.Intn(2) == 0 {
			p["Tag.1.Value"] = w.pick("a", "b", "c")
		}
	}
	return p
}

// instanceQuery draws a DescribeInstances filter.
func (w *twin) instanceQuery() params {
	p := params{"RegionId": w.pick(DefaultRegion, DefaultRegion, otherRegion)}
	opt := func(name string, values ...string) {
		if w.rng.Intn(4) == 0 {
			p[name] = w.pick(values...)
		}
	}
	if w.rng.Intn(8) == 0 {
		p["InstanceIds"] = w.jsonIDs(w.instanceIDs)
	}
	for i, k := range []string{"env", "ecs-release:managed"} {
		if w.rng.Intn(2) == 0 {
			n := strconv.Itoa(i + 1)
			p["Tag."+n+".Key"] = k
			if w.rng.Intn(2) == 0 {
				p["Tag."+n+".Value"] = w.pick("a", "b")
			}
		}
	}
	opt("Status", StatusRunning, StatusStopped, StatusStopping)
	opt("InstanceChargeType", PrePaid, PostPaid)
	opt("InstanceName", "web-*", "db")
	opt("ZoneId", DefaultRegion+"-a", otherRegion+"-b")
	return p
}

// walk pages through a query to its end (or a page limit), changing the
// world between pages now and then.
func (w *twin) walk(action string, p params) {
	tokens := w.rng.Intn(2) == 0
	size := w.pick("1", "5", "10", "37", "100")
	if tokens {
		p["MaxResults"] = size
	} else {
		p["PageSize"] = size
	}
	for page := 1; page <= 40; page++ {
		if !tokens {
			p["PageNumber"] = strconv.Itoa(page)
		}
		status, body := w.call(action, cloneParams(p))
		if status != 200 {
			return
		}
		if w.rng.Intn(4) == 0 {
			w.sibling(action, p)
		}
		var ans struct {
			TotalCount int
			NextToken  string
		}
		require.NoError(w.t, json.Unmarshal(body, &ans))
		if tokens && ans.NextToken == "" || !tokens && page*atoi(size) >= ans.TotalCount {
			return
		}
		if tokens {
			p["NextToken"] = ans.NextToken
		}
		if w.rng.Intn(10) < 3 {
			w.mutate()
		}
	}
}

// sibling makes, with nothing changed in between, a call whose filter
// differs from p's in one parameter: its listing is not p's.
func (w *twin) sibling(action string, p params) {
	q := cloneParams(p)
	var names []string
	for k := range q {
		if !slices.Contains([]string{"Action", "Version", "PageNumber", "PageSize", "NextToken", "MaxResults"}, k) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	switch k := names[w.rng.Intn(len(names))]; {
	case k == "RegionId":
		q[k] = w.pick(DefaultRegion, otherRegion)
	case w.rng.Intn(3) == 0:
		delete(q, k)
	default:
		extra := map[string]params{"DescribeDisks": w.diskQuery(), "DescribeInstances": w.instanceQuery()}[action]
		if v, ok := extra[k]; ok {
			q[k] = v
		} else {
			q[k] = w.pick("a", "b", "true", "false", StatusRunning, StatusStopped, DiskInUse, "data", "web-*")
		}
	}
	w.call(action, q)
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func TestShortcutsAnswerAsFullScans(t *testing.T) {
	for seed := range int64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			w := newTwin(t, seed)
			w.fleet(300)
			for step := range 400 {
				switch w.rng.Intn(6) {
				case 0:
					w.walk("DescribeDisks", w.diskQuery())
				case 1:
					w.walk("DescribeInstances", w.instanceQuery())
				case 2:
					p := w.diskQuery()
					p["PageNumber"], p["PageSize"] = strconv.Itoa(1+w.rng.Intn(20)), strconv.Itoa(1+w.rng.Intn(100))
					w.call("DescribeDisks", p)
				default:
					w.mutate()
				}
				if step%10 == 0 {
					w.checkState()
				}
				switch step % 100 {
				case 0:
					w.fleet(50)
				case 50:
					w.releaseMost()
				}
			}
			w.checkState()
			t.Logf("%d calls, %d answers checked against the scans, %d of them from remembered listings", w.n, w.compared, w.remembered)
			require.Positive(t, w.remembered)
		})
	}
}

// TestDiskFilterSelectsAll: a filter with any condition that can exclude a
// disk does not select all (a field added to diskFilter and forgotten in
// selectsAll fails here).
func TestDiskFilterSelectsAll(t *testing.T) {
	require.True(t, (&diskFilter{}).selectsAll())
	f := false
	all := diskFilter{diskType: "all", category: "all", status: "All", multiAttach: "Disabled", encrypted: &f, shared: &f, policyApplied: &f}
	require.True(t, all.selectsAll())
	tr := true
	v := reflect.ValueOf(&diskFilter{}).Elem()
	for i := range v.NumField() {
		var f diskFilter
		// The fields are unexported: set them through their address.
		field := v.Field(i)
		field = reflect.NewAt(field.Type(), unsafe.Pointer(uintptr(unsafe.Pointer(&f))+v.Type().Field(i).Offset)).Elem()
		switch field.Kind() {
		case reflect.String:
			field.SetString("x")
		case reflect.Pointer:
			field.Set(reflect.ValueOf(&tr))
		case reflect.Map:
			field.Set(reflect.MakeMap(field.Type()))
		case reflect.Slice:
			field.Set(reflect.MakeSlice(field.Type(), 1, 1))
		default:
			t.Fatalf("diskFilter.%s: a %s field this test does not know", v.Type().Field(i).Name, field.Kind())
		}
		require.False(t, f.selectsAll(), "diskFilter.%s set", v.Type().Field(i).Name)
	}
}

// TestDueEntriesStayBounded: registering the same times over and over,
// and for released instances, does not grow the due queue without bound,
// and what is due still comes due.
func TestDueEntriesStayBounded(t *testing.T) {
	e, err := New(Options{Clock: clock.NewFake(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))})
	require.NoError(t, err)
	ids, err := e.AddInstances(make([]Instance, 10))
	require.NoError(t, err)
	e.mu.Lock()
	now := e.now()
	for i := range 100_000 {
		in := e.st.instances[ids[i%len(ids)]]
		e.st.due(in, now.Add(time.Duration(1+i%7)*time.Hour))
	}
	require.Less(t, len(e.st.dueQ), 2*70+1024+1)
	in := e.st.instances[ids[3]]
	in.autoRelease = now.Add(30 * time.Minute)
	e.st.due(in, in.autoRelease)
	e.mu.Unlock()
	require.NoError(t, e.Advance(31*time.Minute))
	_, ok := e.Instance(ids[3])
	require.False(t, ok, "released at its auto-release time")
}

// TestDueWithoutInstanceVisitsAll: a time registered for no instance in
// particular makes that pass visit every instance.
func TestDueWithoutInstanceVisitsAll(t *testing.T) {
	e, err := New(Options{Clock: clock.NewFake(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))})
	require.NoError(t, err)
	ids, err := e.AddInstances(make([]Instance, 3))
	require.NoError(t, err)
	e.mu.Lock()
	now := e.now()
	at := now.Add(2 * time.Minute)
	e.st.instances[ids[1]].steps = []step{{at: at, to: StatusStopped}} // not registered
	e.st.due(nil, at)
	// A pass before it, for another instance, must not lose it.
	e.st.schedule(e.st.instances[ids[2]], step{at: now.Add(time.Minute), to: StatusStopped})
	e.mu.Unlock()
	require.NoError(t, e.Advance(time.Minute))
	in, _ := e.Instance(ids[2])
	require.Equal(t, StatusStopped, in.Status)
	in, _ = e.Instance(ids[1])
	require.Equal(t, StatusRunning, in.Status)
	require.NoError(t, e.Advance(time.Minute))
	in, _ = e.Instance(ids[1])
	require.Equal(t, StatusStopped, in.Status)
}
