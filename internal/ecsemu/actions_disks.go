package ecsemu

import (
	"net/http"
	"strings"
	"unicode"
)

func (e *Emulator) describeDisks(c *rpc) (map[string]any, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	ids, hasIDs, err := c.jsonIDs("DiskIds", 100)
	if err != nil {
		return nil, err
	}
	diskType := c.p.get("DiskType")
	if diskType != "" && diskType != "all" && diskType != "system" && diskType != "data" {
		return nil, errInvalid("DiskType")
	}
	pg, err := c.paging(100, 10)
	if err != nil {
		return nil, err
	}
	if err := c.dryRunCheck(); err != nil {
		return nil, err
	}
	idSet := map[string]bool{}
	for _, id := range ids {
		idSet[id] = true
	}
	instanceID := c.p.get("InstanceId")
	var list []*disk
	match := func(d *disk) bool {
		return d.region == c.region && (!hasIDs || idSet[d.id]) &&
			(diskType == "" || diskType == "all" || d.diskType == diskType) &&
			(instanceID == "" || d.instanceID == instanceID)
	}
	if in := e.st.instances[instanceID]; in != nil && !hasIDs {
		for _, d := range e.st.disksOf(in) {
			if match(d) {
				list = append(list, d)
			}
		}
		sortDisks(list)
	} else {
		list = e.st.sortedDisks(match)
	}
	out := map[string]any{}
	page := pageOfMap(pg, list, func(d *disk) int64 { return d.seq }, out)
	views := make([]Disk, len(page))
	for i, d := range page {
		views[i] = d.view()
	}
	out["Disks"] = map[string]any{"Disk": views}
	return out, nil
}

func sortDisks(list []*disk) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && list[j].seq < list[j-1].seq; j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

// maxManualSnapshots is the per-disk quota of manual snapshots.
const maxManualSnapshots = 256

func validSnapshotName(s string) bool {
	if len(s) < 2 || len(s) > 128 || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return false
	}
	return unicode.IsLetter(rune(s[0]))
}

func (e *Emulator) createSnapshot(c *rpc) (map[string]any, *apiError) {
	diskID := c.p.get("DiskId")
	if diskID == "" {
		return nil, errMissing("DiskId")
	}
	if name := c.p.get("SnapshotName"); name != "" && !validSnapshotName(name) {
		return nil, errf("InvalidSnapshotName.Malformed", "Specified snapshot name is not valid.")
	}
	if desc := c.p.get("Description"); desc != "" && (len(desc) < 2 || len(desc) > 256) {
		return nil, errf("InvalidDescription.Malformed", "Specified description is not valid.")
	}
	retention, err := c.intParam("RetentionDays", 0, 1, 65536)
	if err != nil {
		return nil, err
	}
	tags, _, err := c.tagPairs(20)
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	d := e.st.disks[diskID]
	if d == nil || (c.region != "" && d.region != c.region) {
		return nil, errf("InvalidDiskId.NotFound", "The specified disk does not exist.")
	}
	token := c.p.get("ClientToken")
	if token != "" {
		if cached, ok, terr := e.checkTokenMap(c, "CreateSnapshot", token); terr != nil || ok {
			return cached, terr
		}
	}
	if d.instanceID != "" {
		in := e.st.instances[d.instanceID]
		if in.locked() {
			return nil, errf("InstanceLockedForSecurity", msgLocked)
		}
		if in.status != StatusRunning && in.status != StatusStopped {
			return nil, &apiError{Status: http.StatusBadRequest, Code: "IncorrectInstanceStatus", Message: msgIncorrectStatus}
		}
		if in.started.IsZero() {
			return nil, &apiError{Status: http.StatusBadRequest, Code: "IncorrectInstanceStatus", Message: "The instance has never been started; a snapshot needs an instance that was started at least once."}
		}
	}
	count := 0
	for _, sn := range e.st.snapshots {
		if sn.diskID != d.id {
			continue
		}
		if sn.status == SnapshotProgressing {
			return nil, errf("IncorrectDiskStatus.CreatingSnapshot", "A previous snapshot of this disk is still being created.")
		}
		count++
	}
	if count >= maxManualSnapshots {
		return nil, errf("QuotaExceed.Snapshot", "The number of manual snapshots of this disk exceeds %d.", maxManualSnapshots)
	}
	sn := &snapshot{
		seq:           e.st.nextSeq(),
		id:            e.st.newID("s-"),
		name:          c.p.get("SnapshotName"),
		desc:          c.p.get("Description"),
		region:        d.region,
		diskID:        d.id,
		diskSize:      d.size,
		diskType:      d.diskType,
		instanceID:    d.instanceID,
		status:        SnapshotProgressing,
		created:       c.now,
		doneAt:        c.now.Add(e.opts.SnapshotDelay),
		willFail:      e.st.failSnapshotsOf[d.instanceID],
		retentionDays: retention,
		tags:          tags,
	}
	e.st.snapshots[sn.id] = sn
	e.st.due(sn.doneAt)
	out := map[string]any{"SnapshotId": sn.id}
	e.rememberTokenMap(c, "CreateSnapshot", token, out)
	return out, nil
}

func (e *Emulator) describeSnapshots(c *rpc) (map[string]any, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	ids, hasIDs, err := c.jsonIDs("SnapshotIds", 100)
	if err != nil {
		return nil, err
	}
	status := c.p.get("Status")
	switch status {
	case "", "all", SnapshotProgressing, SnapshotAccomplished, SnapshotFailed:
	default:
		return nil, errInvalid("Status")
	}
	pg, err := c.paging(100, 10)
	if err != nil {
		return nil, err
	}
	if err := c.dryRunCheck(); err != nil {
		return nil, err
	}
	idSet := map[string]bool{}
	for _, id := range ids {
		idSet[id] = true
	}
	instanceID, diskID := c.p.get("InstanceId"), c.p.get("DiskId")
	list := e.st.sortedSnapshots(func(sn *snapshot) bool {
		return sn.region == c.region && (!hasIDs || idSet[sn.id]) &&
			(status == "" || status == "all" || sn.status == status) &&
			(instanceID == "" || sn.instanceID == instanceID) && (diskID == "" || sn.diskID == diskID)
	})
	out := map[string]any{}
	page := pageOfMap(pg, list, func(sn *snapshot) int64 { return sn.seq }, out)
	views := make([]Snapshot, len(page))
	for i, sn := range page {
		views[i] = sn.view(c.now)
	}
	out["Snapshots"] = map[string]any{"Snapshot": views}
	return out, nil
}
