package ecsemu

import (
	"cmp"
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
	order     []*instance
	disks     map[string]*disk
	snapshots map[string]*snapshot
	// nextDue is the earliest time at which tick has work; ticks before it
	// return at once, so a 10,000-instance store costs nothing per call.
	nextDue time.Time
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
		snapshots:       map[string]*snapshot{},
		failSnapshotsOf: map[string]bool{},
		clientTokens:    map[string]tokenResult{},
		nextDue:         farFuture,
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

// due records that something is scheduled at t.
func (s *store) due(t time.Time) {
	if t.Before(s.nextDue) {
		s.nextDue = t
	}
}

// rescan forces the next tick to look at everything.
func (s *store) rescan() { s.nextDue = time.Time{} }

// schedule replaces an instance's pending steps.
func (s *store) schedule(in *instance, steps ...step) {
	in.steps = steps
	for _, st := range steps {
		s.due(st.at)
	}
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
	for _, in := range s.sortedInstances(nil) {
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
			s.due(in.steps[0].at)
		}
		if at, cause := in.releaseDue(); !at.IsZero() {
			if !at.After(now) {
				// Native auto-release ignores deletion protection
				// (documented for ModifyInstanceAttribute); so do spot
				// recycling and Auto Scaling.
				s.releaseAt(in.id, at, cause)
				continue
			}
			s.due(at)
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
		s.due(sn.doneAt)
	}
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
			delete(s.disks, did)
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
	in.diskIDs = append(in.diskIDs, d.id)
	return d
}
