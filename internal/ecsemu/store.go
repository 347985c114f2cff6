package ecsemu

import (
	"cmp"
	"container/heap"
	"encoding/json"
	"math/rand"
	"slices"
	"strings"
	"time"
)

// farFuture stands for "nothing scheduled".
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// store is the emulator's in-memory state. All access holds Emulator.mu.
type store struct {
	seq       int64
	instances map[string]*instance
	// order holds every instance ever added, in creation order; released
	// ones are skipped while iterating and compacted away now and then, so
	// listing in creation order needs no sort.
	order []*instance
	disks map[string]*disk
	// regionDisks are each region's disks in creation order (diskList),
	// so that DescribeDisks neither sorts nor walks the whole store.
	regionDisks map[string]*diskList
	snapshots   map[string]*snapshot
	// nextDue is the earliest time at which tick has work; ticks before it
	// return at once, so a 10,000-instance store costs nothing per call.
	nextDue time.Time
	// dueQ holds, earliest first, the times at which instances have
	// something scheduled (see due), so that a tick pass visits those
	// instances only; walkAt is when a pass must visit every instance
	// (farFuture: no such pass pending).
	dueQ   dueQueue
	walkAt time.Time
	// dueKept is the size of dueQ after its last compaction.
	dueKept int
	// walkAlways makes every tick pass visit every instance, as passes
	// did before dueQ: tests run a store so beside one without it.
	walkAlways bool
	// listings are the results of the Describe calls made since the store
	// last changed, by filter (listing.go).
	listings map[string]any
	// failSnapshotsOf lists instances whose new snapshots end failed.
	failSnapshotsOf map[string]bool
	// clientTokens remembers idempotent requests (ClientToken → result).
	clientTokens map[string]tokenResult
	rand         *rand.Rand
	// released counts instances removed, by cause.
	released map[releaseCause]int
	// emu is the emulator the store belongs to: releases and launches tell
	// it, for the Auto Scaling groups and node pools (nil in store-only
	// tests).
	emu *Emulator
	// groups are the Auto Scaling groups by ID; pools the ACK node pools
	// by node-pool ID; refills the node-pool launches still to come.
	groups  map[string]*scalingGroup
	pools   map[string]*nodePool
	refills []refill
	// lastTick is the emulator time of the latest tick.
	lastTick time.Time
	// metrics are the metric series of every instance ever added, by ID
	// (released ones keep the points of their life).
	metrics map[string]*metricState
}

type tokenResult struct {
	fingerprint string
	raw         json.RawMessage // the answer (see rememberToken)
}

func newStore(seed int64) *store {
	return &store{
		instances:       map[string]*instance{},
		disks:           map[string]*disk{},
		regionDisks:     map[string]*diskList{},
		snapshots:       map[string]*snapshot{},
		failSnapshotsOf: map[string]bool{},
		clientTokens:    map[string]tokenResult{},
		nextDue:         farFuture,
		walkAt:          farFuture,
		rand:            rand.New(rand.NewSource(seed)),
		released:        map[releaseCause]int{},
		groups:          map[string]*scalingGroup{},
		pools:           map[string]*nodePool{},
		metrics:         map[string]*metricState{},
	}
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID returns prefix + 20 lowercase alphanumerics, unique in the store.
func (s *store) newID(prefix string) string {
	for {
		var b strings.Builder
		b.WriteString(prefix)
		for range 20 {
			b.WriteByte(idAlphabet[s.rand.Intn(len(idAlphabet))])
		}
		id := b.String()
		if s.instances[id] == nil && s.disks[id] == nil && s.snapshots[id] == nil {
			return id
		}
	}
}

func (s *store) nextSeq() int64 {
	s.seq++
	return s.seq
}

// wake records that the first tick at or after t has work to do that
// every pass checks anyway (a snapshot completing, a node-pool refill).
func (s *store) wake(t time.Time) {
	if t.Before(s.nextDue) {
		s.nextDue = t
	}
}

// due records that instance in has something scheduled at t (a status
// change or a release time): the first tick at or after t visits it. With
// a nil instance that pass visits every instance, as rescan.
func (s *store) due(in *instance, t time.Time) {
	s.wake(t)
	if in == nil {
		if t.Before(s.walkAt) {
			s.walkAt = t
		}
		return
	}
	heap.Push(&s.dueQ, dueEntry{at: t, in: in})
	if len(s.dueQ) >= 2*s.dueKept+1024 {
		s.compactDue()
	}
}

// compactDue drops the entries of released instances and repeated
// entries (a visit registers again the release time it did not reach),
// at a cost spread over as many registrations as entries are left.
func (s *store) compactDue() {
	seen := make(map[dueEntry]bool, len(s.dueQ))
	kept := s.dueQ[:0]
	for _, e := range s.dueQ {
		if s.instances[e.in.id] == e.in && !seen[e] {
			seen[e] = true
			kept = append(kept, e)
		}
	}
	clear(s.dueQ[len(kept):])
	s.dueQ = kept
	heap.Init(&s.dueQ)
	s.dueKept = len(kept)
}

// rescan forces the next tick to look at everything.
func (s *store) rescan() { s.nextDue, s.walkAt = time.Time{}, time.Time{} }

// schedule replaces an instance's pending steps.
func (s *store) schedule(in *instance, steps ...step) {
	in.steps = steps
	for _, st := range steps {
		s.due(in, st.at)
	}
}

// dueEntry is a time at which an instance has something scheduled.
type dueEntry struct {
	at time.Time
	in *instance
}

// dueQueue is a min-heap of dueEntry by time (container/heap). Entries
// are never updated in place: a rescheduled or released instance leaves
// its old entries behind, and a pass that pops one finds nothing due for
// that instance, or skips it as released.
type dueQueue []dueEntry

func (q dueQueue) Len() int           { return len(q) }
func (q dueQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q dueQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *dueQueue) Push(x any)        { *q = append(*q, x.(dueEntry)) }
func (q *dueQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	old[len(old)-1] = dueEntry{}
	*q = old[:len(old)-1]
	return x
}

// dueInstances are the live instances a tick pass at now visits, in
// creation order: every one when a walk of all is due, otherwise those
// with something due at or before now. Any other instance would be left
// as it is by the pass (nothing of it is due), so visiting only these
// changes nothing but the cost: a pass no longer walks a 50,000-instance
// store for the one batch whose stop completed.
func (s *store) dueInstances(now time.Time) []*instance {
	if s.walkAlways || !now.Before(s.walkAt) {
		// The walk registers again whatever each instance still has
		// scheduled.
		s.walkAt = farFuture
		clear(s.dueQ)
		s.dueQ = s.dueQ[:0]
		return s.sortedInstances(nil)
	}
	var list []*instance
	for len(s.dueQ) > 0 && !s.dueQ[0].at.After(now) {
		e := heap.Pop(&s.dueQ).(dueEntry)
		if s.instances[e.in.id] == e.in {
			list = append(list, e.in)
		}
	}
	slices.SortFunc(list, instanceSeqOrder)
	return slices.Compact(list)
}

// releaseCause says who released an instance.
type releaseCause int

const (
	causeAPI      releaseCause = iota // DeleteInstance(s)
	causeOperator                     // OperatorRelease
	causeTimer                        // AutoReleaseTime
	causeSpot                         // spot interruption, five minutes after the notice
	causeESS                          // Auto Scaling, after an unhealthy member's grace period
)

// tick applies every status change, auto-release, spot recycling, Auto
// Scaling release, node-pool refill and snapshot completion due at or
// before now. What one pass does can schedule more work at or before now
// (a replacement launched when a timer released a member, at the
// release's time); passes repeat until nothing is due.
func (s *store) tick(now time.Time) {
	s.lastTick = now
	for !now.Before(s.nextDue) {
		s.nextDue = farFuture
		s.tickOnce(now)
	}
}

// release times of one instance, in the order tick applies them.
func (in *instance) releaseDue() (time.Time, releaseCause) {
	at, cause := time.Time{}, causeTimer
	for _, c := range []struct {
		t     time.Time
		cause releaseCause
	}{{in.autoRelease, causeTimer}, {in.recycleAt, causeSpot}, {in.essReleaseAt, causeESS}} {
		if !c.t.IsZero() && (at.IsZero() || c.t.Before(at)) {
			at, cause = c.t, c.cause
		}
	}
	return at, cause
}

func (s *store) tickOnce(now time.Time) {
	s.changed()
	for _, in := range s.dueInstances(now) {
		if s.instances[in.id] != in {
			continue // released earlier in this pass
		}
		for len(in.steps) > 0 && !in.steps[0].at.After(now) {
			if in.steps[0].to == StatusStopped && in.stuck {
				break
			}
			in.setStatus(in.steps[0].to, in.steps[0].at)
			if in.status == StatusRunning {
				in.started = in.steps[0].at
			}
			in.steps = in.steps[1:]
		}
		if len(in.steps) > 0 && !(in.stuck && in.steps[0].to == StatusStopped) {
			s.due(in, in.steps[0].at)
		}
		if at, cause := in.releaseDue(); !at.IsZero() {
			if !at.After(now) {
				// Native auto-release ignores deletion protection
				// (documented for ModifyInstanceAttribute); so do spot
				// recycling and Auto Scaling.
				s.releaseAt(in.id, at, cause)
				continue
			}
			s.due(in, at)
		}
	}
	s.launchDue(now)
	for _, sn := range s.snapshots {
		if sn.status != SnapshotProgressing {
			continue
		}
		if !sn.doneAt.After(now) {
			sn.status = SnapshotAccomplished
			if sn.willFail {
				sn.status = SnapshotFailed
			}
			continue
		}
		s.wake(sn.doneAt)
	}
	// The instances not visited keep their entries; the next pass is due
	// at the earliest of them.
	if len(s.dueQ) > 0 {
		s.wake(s.dueQ[0].at)
	}
	s.wake(s.walkAt)
}

// release removes an instance now; disks deleted with it go too, the others
// are detached and survive (as pay-as-you-go disks). Snapshots always survive.
func (s *store) release(id string, cause releaseCause) { s.releaseAt(id, s.lastTick, cause) }

// releaseAt is release at time at (an auto-release time that tick reached
// late still detaches the disks when the instance was released). A
// security-locked instance takes every disk with it, DeleteWithInstance or
// not (documented for DeleteInstance(s); UNCONFIRMED that a platform
// release does the same). Its Auto Scaling group and ACK node pool react
// (platform.go).
func (s *store) releaseAt(id string, at time.Time, cause releaseCause) {
	in := s.instances[id]
	if in == nil {
		return
	}
	delete(s.instances, id)
	s.released[cause]++
	if in.status == StatusRunning {
		in.ms.stop(at)
	}
	allDisks := in.hasLock(LockSecurity)
	for _, did := range in.diskIDs {
		d := s.disks[did]
		if d == nil {
			continue
		}
		if d.deleteWithInstance || allDisks {
			s.deleteDisk(d)
			continue
		}
		d.instanceID = ""
		d.device = ""
		d.detached = at
	}
	if s.emu != nil {
		s.emu.released(in, at, cause)
	}
}

// addInstance stores a new instance.
func (s *store) addInstance(in *instance) {
	s.instances[in.id] = in
	s.order = append(s.order, in)
}

// sortedInstances returns the instances that pass keep, in creation order.
func (s *store) sortedInstances(keep func(*instance) bool) []*instance {
	if len(s.order) > 2*len(s.instances)+64 {
		live := s.order[:0]
		for _, in := range s.order {
			if s.instances[in.id] == in {
				live = append(live, in)
			}
		}
		clear(s.order[len(live):])
		s.order = live
	}
	var out []*instance
	for _, in := range s.order {
		if s.instances[in.id] != in {
			continue
		}
		if keep == nil || keep(in) {
			out = append(out, in)
		}
	}
	return out
}

func (s *store) sortedDisks(keep func(*disk) bool) []*disk {
	out := make([]*disk, 0, len(s.disks))
	for _, d := range s.disks {
		if keep == nil || keep(d) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *disk) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

func (s *store) sortedSnapshots(keep func(*snapshot) bool) []*snapshot {
	out := make([]*snapshot, 0, len(s.snapshots))
	for _, sn := range s.snapshots {
		if keep == nil || keep(sn) {
			out = append(out, sn)
		}
	}
	slices.SortFunc(out, func(a, b *snapshot) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// disksOf returns an instance's disks, system disk first.
func (s *store) disksOf(in *instance) []*disk {
	ds := make([]*disk, 0, len(in.diskIDs))
	for _, id := range in.diskIDs {
		if d := s.disks[id]; d != nil && d.instanceID == in.id {
			ds = append(ds, d)
		}
	}
	systemFirst := func(d *disk) int {
		if d.diskType == "system" {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(ds, func(a, b *disk) int { return cmp.Compare(systemFirst(a), systemFirst(b)) })
	return ds
}

// addDisk attaches a new disk to an instance.
func (s *store) addDisk(in *instance, diskType, category string, size int, deleteWithInstance bool, name string, now time.Time) *disk {
	n := len(in.diskIDs)
	d := &disk{
		seq:                s.nextSeq(),
		id:                 s.newID("d-"),
		name:               name,
		region:             in.region,
		zone:               in.zone,
		instanceID:         in.id,
		diskType:           diskType,
		category:           category,
		size:               size,
		device:             "/dev/xvd" + string(rune('a'+n)),
		deleteWithInstance: deleteWithInstance,
		created:            now,
		attached:           now,
	}
	s.disks[d.id] = d
	l := s.regionDisks[d.region]
	if l == nil {
		l = &diskList{}
		s.regionDisks[d.region] = l
	}
	l.order = append(l.order, d) // seq grows: the order stays sorted
	l.live++
	in.diskIDs = append(in.diskIDs, d.id)
	return d
}

// deleteDisk removes a disk from the store.
func (s *store) deleteDisk(d *disk) {
	delete(s.disks, d.id)
	l := s.regionDisks[d.region]
	l.live--
	if len(l.order) > 2*l.live+64 {
		// Deleted disks now outnumber the others: compact, at a cost
		// spread over as many deletions as there are disks left.
		kept := l.order[:0]
		for _, x := range l.order {
			if s.disks[x.id] == x {
				kept = append(kept, x)
			}
		}
		clear(l.order[len(kept):])
		l.order = kept
	}
}

// diskList is one region's disks in creation (seq) order, kept as disks
// come and go: a DescribeDisks page starts at its NextToken's place
// (binary search by seq) and reads on for one page, and TotalCount of the
// region's disks is live, so that paging through the region costs O(page)
// a call, not a filter and sort of every disk. Deleted disks stay in
// order, skipped, until they outnumber the others (deleteDisk).
type diskList struct {
	order []*disk
	// live counts the disks of order still in the store.
	live int
}

// diskPage cuts one page of the region's disks, all of them matching, and
// fills the paging block: what pageOf gives over the region's disks in
// creation order, without building that list.
func (s *store) diskPage(region string, pg paging, out *Page) []*disk {
	var order []*disk
	live := 0
	if l := s.regionDisks[region]; l != nil {
		order, live = l.order, l.live
	}
	isLive := func(d *disk) bool { return s.disks[d.id] == d }
	out.TotalCount = live
	i := 0 // where the page starts in order (live or not)
	if pg.tokenMode {
		i, _ = slices.BinarySearchFunc(order, pg.after, func(d *disk, after int64) int { return cmp.Compare(d.seq, after) })
	} else {
		out.PageNumber, out.PageSize = pg.pageNumber, pg.size
		switch skip := (pg.pageNumber - 1) * pg.size; {
		case skip >= live:
			i = len(order)
		case len(order) == live:
			i = skip // nothing deleted: position is index
		default:
			for passed := 0; passed < skip; i++ {
				if isLive(order[i]) {
					passed++
				}
			}
		}
	}
	page := make([]*disk, 0, min(pg.size, live))
	for ; i < len(order) && len(page) < pg.size; i++ {
		if isLive(order[i]) {
			page = append(page, order[i])
		}
	}
	out.NextToken = ""
	for ; i < len(order); i++ {
		if isLive(order[i]) {
			out.NextToken = token(order[i].seq)
			break
		}
	}
	return page
}
