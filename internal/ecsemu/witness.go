package ecsemu

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// InstanceState is an instance as the witness saw it at one call: what a
// guard looks at, the precise start and stop times ECS itself shows only
// to the minute, and the snapshots of its disks.
type InstanceState struct {
	InstanceId         string            `json:"InstanceId"`
	RegionId           string            `json:"RegionId"`
	Status             string            `json:"Status"`
	InstanceChargeType string            `json:"InstanceChargeType"`
	DeletionProtection bool              `json:"DeletionProtection"`
	Tags               map[string]string `json:"Tags,omitempty"`
	Locks              []string          `json:"Locks,omitempty"`
	AutoReleaseTime    time.Time         `json:"AutoReleaseTime,omitzero"`
	// StartTime is what DescribeInstances shows (minute precision).
	StartTime string `json:"StartTime"`
	// StartIssuedAt and StopIssuedAt are when a start or a stop was last
	// requested, to the nanosecond of the emulator clock.
	StartIssuedAt time.Time   `json:"StartIssuedAt,omitzero"`
	StopIssuedAt  time.Time   `json:"StopIssuedAt,omitzero"`
	Disks         []DiskState `json:"Disks,omitempty"`
}

// DiskState is a disk of an instance and the snapshots taken of it.
type DiskState struct {
	DiskId    string          `json:"DiskId"`
	Snapshots []SnapshotState `json:"Snapshots,omitempty"`
}

// SnapshotState is a snapshot as the witness saw it.
type SnapshotState struct {
	SnapshotId string            `json:"SnapshotId"`
	Status     string            `json:"Status"`
	Created    time.Time         `json:"Created"`
	Tags       map[string]string `json:"Tags,omitempty"`
}

// HasLock reports whether the instance has an operation lock of any reason.
func (s InstanceState) HasLock() bool { return len(s.Locks) > 0 }

// state builds the witness view of an instance; callers hold e.mu.
func (e *Emulator) state(in *instance) InstanceState {
	st := InstanceState{
		InstanceId: in.id, RegionId: in.region, Status: in.status, InstanceChargeType: in.chargeType,
		DeletionProtection: in.deletionProtection, AutoReleaseTime: in.autoRelease,
		StartTime: formatMinute(in.started), StartIssuedAt: in.startIssued, StopIssuedAt: in.stopIssued,
	}
	if len(in.tags) > 0 {
		st.Tags = make(map[string]string, len(in.tags))
		for _, t := range in.tags {
			st.Tags[t.TagKey] = t.TagValue
		}
	}
	for _, l := range in.locks {
		st.Locks = append(st.Locks, l.LockReason)
	}
	for _, d := range e.st.disksOf(in) {
		ds := DiskState{DiskId: d.id}
		for _, sn := range e.st.sortedSnapshots(func(sn *snapshot) bool { return sn.diskID == d.id }) {
			ss := SnapshotState{SnapshotId: sn.id, Status: sn.status, Created: sn.created}
			if len(sn.tags) > 0 {
				ss.Tags = make(map[string]string, len(sn.tags))
				for _, t := range sn.tags {
					ss.Tags[t.TagKey] = t.TagValue
				}
			}
			ds.Snapshots = append(ds.Snapshots, ss)
		}
		st.Disks = append(st.Disks, ds)
	}
	return st
}

// witnessNamed returns the states of the instances a call names, in the
// order first named; callers hold e.mu.
func (e *Emulator) witnessNamed(p params) []InstanceState {
	var ids []string
	add := func(id string) {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	add(p.get("InstanceId"))
	c := &rpc{p: p}
	if list, err := c.indexedList("InstanceId"); err == nil {
		for _, id := range list {
			add(id)
		}
	}
	if raw := p.get("InstanceIds"); raw != "" {
		var list []string
		if json.Unmarshal([]byte(raw), &list) == nil {
			for _, id := range list {
				add(id)
			}
		}
	}
	if strings.EqualFold(p.get("ResourceType"), "instance") {
		if list, err := c.indexedList("ResourceId"); err == nil {
			for _, id := range list {
				add(id)
			}
		}
	}
	if d := e.st.disks[p.get("DiskId")]; d != nil {
		add(d.instanceID)
	}
	var out []InstanceState
	for _, id := range ids {
		if in := e.st.instances[id]; in != nil {
			out = append(out, e.state(in))
		}
	}
	return out
}

// witnessReturned returns the states of the instances in a
// DescribeInstances answer; callers hold e.mu.
func (e *Emulator) witnessReturned(ans answer) []InstanceState {
	body, ok := ans.(*describeInstancesAnswer)
	if !ok {
		return nil
	}
	out := make([]InstanceState, 0, len(body.Instances.Instance))
	for _, v := range body.Instances.Instance {
		if in := e.st.instances[v.InstanceId]; in != nil {
			out = append(out, e.state(in))
		}
	}
	return out
}
