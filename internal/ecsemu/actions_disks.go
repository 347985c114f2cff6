package ecsemu

import (
	"cmp"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Documented values of the DescribeDisks filters.
var (
	diskCategories = []string{"all", "cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto",
		"cloud_regional_disk_auto", "cloud_essd_entry", "elastic_ephemeral_disk_standard",
		"elastic_ephemeral_disk_premium", "local_ssd_pro", "local_hdd_pro", "ephemeral", "ephemeral_ssd"}
	diskStatuses = []string{"All", DiskInUse, DiskAvailable, "Attaching", "Detaching", "Creating", "ReIniting"}
)

// diskFilter is a parsed DescribeDisks query. Every field is a documented
// filter; they combine with AND.
type diskFilter struct {
	ids                                  map[string]bool // nil: no DiskIds
	instanceID, diskType, zone, category string
	status, name, chargeType, snapshotID string
	multiAttach, kmsKeyID, policyID      string
	deleteWithInstance, portable         *bool
	encrypted, shared, policyApplied     *bool
	tags                                 []tagCond
}

func (e *Emulator) parseDiskFilter(c *rpc) (diskFilter, *apiError) {
	var f diskFilter
	var err *apiError
	get := c.p.get
	f.ids, err = c.idFilter("DiskIds",
		errf("InvalidParameter.DiskIds", "The specified parameter diskIds is not valid."),
		errf("InvalidDiskIds.Malformed", "The amount of specified disk Ids exceeds the limit."))
	if err != nil {
		return f, err
	}
	f.instanceID, f.zone, f.name = get("InstanceId"), get("ZoneId"), get("DiskName")
	f.diskType, f.category, f.status = get("DiskType"), get("Category"), get("Status")
	f.chargeType, f.multiAttach = get("DiskChargeType"), get("MultiAttach")
	f.snapshotID, f.kmsKeyID, f.policyID = get("SnapshotId"), get("KMSKeyId"), get("AutoSnapshotPolicyId")
	// UNCONFIRMED: the enumerations are compared case-sensitively, as
	// documented.
	for _, check := range []*apiError{
		oneOf(f.diskType, false, errf("InvalidDiskType.ValueNotSupported", "The specified disk type is not supported."), "all", "system", "data"),
		oneOf(f.category, false, errf("InvalidCategory.ValueNotSupported", "The specified disk category is not supported."), diskCategories...),
		oneOf(f.status, false, errf("InvalidStatus.ValueNotSupported", "The specified disk status is not supported."), diskStatuses...),
		oneOf(f.chargeType, false, errf("InvalidDiskChargeType.NotFound", "The DiskChargeType does not exist in our records."), PrePaid, PostPaid),
		oneOf(f.multiAttach, false, errf("InvalidParameter.MultiAttach", "The specified param MultiAttach is not valid."), "Disabled", "Enabled", "LegacyShared"),
	} {
		if check != nil {
			return f, check
		}
	}
	for _, b := range []struct {
		name string
		to   **bool
	}{{"DeleteWithInstance", &f.deleteWithInstance}, {"Portable", &f.portable}, {"Encrypted", &f.encrypted}, {"EnableShared", &f.shared}, {"EnableAutomatedSnapshotPolicy", &f.policyApplied}} {
		if *b.to, err = c.optBool(b.name); err != nil {
			return f, err
		}
	}
	if f.tags, err = c.tagConds(); err != nil {
		return f, err
	}
	// SnapshotId selects the disks created from a snapshot. The emulator
	// creates no disk from a snapshot, so an existing snapshot selects
	// nothing; one that does not exist is the documented 400
	// InvalidSnapshot.NotFound (UNCONFIRMED that ECS checks existence).
	if f.snapshotID != "" {
		if sn := e.st.snapshots[f.snapshotID]; sn == nil || sn.region != c.region {
			return f, errf("InvalidSnapshot.NotFound", "The specified parameter SnapshotId is not valid.")
		}
	}
	return f, nil
}

// match applies the filter to a disk of the call's region.
func (f *diskFilter) match(s *store, d *disk) bool {
	in := s.owner(d)
	// is: no filter, the value, or one of the values that select all.
	is := func(want, have string, all ...string) bool {
		return want == "" || want == have || slices.Contains(all, want)
	}
	boolIs := func(want *bool, have bool) bool { return want == nil || *want == have }
	return (f.ids == nil || f.ids[d.id]) &&
		is(f.instanceID, d.instanceID) &&
		is(f.diskType, d.diskType, "all") &&
		is(f.zone, d.zone) &&
		is(f.category, d.category, "all") &&
		is(f.status, d.status(), "All") &&
		is(f.name, d.name) &&
		is(f.chargeType, diskChargeType(in)) &&
		boolIs(f.deleteWithInstance, d.deleteWithInstance) &&
		boolIs(f.portable, diskPortable(d, in)) &&
		// No disk here is encrypted, shared, multi-attach, created from a
		// snapshot, under a KMS key or an automatic snapshot policy.
		f.snapshotID == "" && f.kmsKeyID == "" && f.policyID == "" &&
		boolIs(f.encrypted, false) && boolIs(f.shared, false) && boolIs(f.policyApplied, false) &&
		is(f.multiAttach, "Disabled") &&
		matchTags(d.tags, f.tags)
}

// selectsAll reports whether the filter keeps every disk of the region:
// no condition, or only values that select all ("all", "All", MultiAttach
// Disabled, false for a feature no disk here has). It must answer false
// whenever match could: TestDiskFilterSelectsAll sets each field in turn.
func (f *diskFilter) selectsAll() bool {
	allOr := func(v string, all string) bool { return v == "" || v == all }
	notTrue := func(b *bool) bool { return b == nil || !*b }
	return f.ids == nil && f.instanceID == "" && allOr(f.diskType, "all") && f.zone == "" &&
		allOr(f.category, "all") && allOr(f.status, "All") && f.name == "" && f.chargeType == "" &&
		f.snapshotID == "" && allOr(f.multiAttach, "Disabled") && f.kmsKeyID == "" && f.policyID == "" &&
		f.deleteWithInstance == nil && f.portable == nil &&
		notTrue(f.encrypted) && notTrue(f.shared) && notTrue(f.policyApplied) && len(f.tags) == 0
}

// filterDisks returns the disks of the region that pass the filter, in
// creation order. Named disks (DiskIds) or an instance's disks
// (InstanceId, whose disks are the ones it lists) are looked up rather
// than searched for; otherwise the region's disks are read in order.
func (e *Emulator) filterDisks(region string, f *diskFilter) []*disk {
	keep := func(d *disk) bool { return d != nil && d.region == region && f.match(e.st, d) }
	var list []*disk
	switch {
	case f.ids != nil:
		for id := range f.ids {
			if d := e.st.disks[id]; keep(d) {
				list = append(list, d)
			}
		}
	case f.instanceID != "":
		// A disk is attached (InstanceId set) only to the instance whose
		// diskIDs took it when it was created; a released instance's
		// disks are detached or deleted.
		if in := e.st.instances[f.instanceID]; in != nil {
			for _, id := range in.diskIDs {
				if d := e.st.disks[id]; keep(d) {
					list = append(list, d)
				}
			}
		}
	default:
		if l := e.st.regionDisks[region]; l != nil {
			for _, d := range l.order {
				if e.st.disks[d.id] == d && keep(d) {
					list = append(list, d)
				}
			}
		}
		return list // already in order
	}
	slices.SortFunc(list, func(a, b *disk) int { return cmp.Compare(a.seq, b.seq) })
	return list
}

// diskPaging is the paging of DescribeDisks: MaxResults is documented as
// 10 to 500, a smaller value read as 10 and a larger one as 500;
// PageNumber/PageSize as everywhere (PageSize 1 to 100).
func (c *rpc) diskPaging() (paging, *apiError) {
	_, tokenMode := c.p["NextToken"]
	if v := c.p.get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return paging{}, errInvalid("MaxResults")
		}
		clamped := *c
		clamped.p = maps.Clone(c.p)
		clamped.p["MaxResults"] = strconv.Itoa(min(max(n, 10), 500))
		return clamped.paging(500, 10)
	}
	if tokenMode {
		return c.paging(500, 10)
	}
	return c.paging(100, 10)
}

func (e *Emulator) describeDisks(c *rpc) (answer, *apiError) {
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
	out := &describeDisksAnswer{}
	var page []*disk
	if f.selectsAll() {
		// The region's disks, in order and counted: no filtering at all.
		page = e.st.diskPage(c.region, pg, &out.Page)
	} else {
		list := remembered(e.st, c, func() []*disk { return e.filterDisks(c.region, &f) })
		page = pageOf(pg, list, func(d *disk) int64 { return d.seq }, &out.Page)
	}
	out.Disks.Disk = make([]Disk, len(page))
	for i, d := range page {
		out.Disks.Disk[i] = d.viewIn(e.st)
	}
	return out, nil
}

// maxManualSnapshots is the per-disk quota of manual snapshots.
const maxManualSnapshots = 256

// snapshotNamePattern: 2 to 128 characters, starting with a letter
// (documented: an English letter or a Chinese character), then letters,
// digits, colons, underscores, periods and hyphens.
var snapshotNamePattern = regexp.MustCompile(`^\pL[\pL\pN:_.\-]{1,127}$`)

// validSnapshotName also refuses names starting with "auto", which are
// kept for automatic snapshots (http:// and https:// cannot match the
// pattern).
func validSnapshotName(s string) bool {
	return snapshotNamePattern.MatchString(s) && !strings.HasPrefix(s, "auto")
}

// validDescription: 2 to 256 characters, not starting with http:// or
// https:// (UNCONFIRMED: characters, not bytes).
func validDescription(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= 2 && n <= 256 && !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://")
}

// validClientToken: ASCII only, at most 64 characters.
func validClientToken(s string) bool {
	return len(s) <= 64 && !strings.ContainsFunc(s, func(r rune) bool { return r > 127 })
}

func (e *Emulator) createSnapshot(c *rpc) (answer, *apiError) {
	diskID := c.p.get("DiskId")
	if diskID == "" {
		return nil, errMissing("DiskId")
	}
	if name, ok := c.p["SnapshotName"]; ok && !validSnapshotName(name) {
		return nil, errf("InvalidSnapshotName.Malformed", "The specified SnapshotName is wrongly formed.")
	}
	if desc, ok := c.p["Description"]; ok && !validDescription(desc) {
		// CreateSnapshot documents this code with 404 (other actions: 400).
		return nil, &apiError{Status: http.StatusNotFound, Code: "InvalidDescription.Malformed", Message: "The specified description is wrongly formed."}
	}
	retention := 0
	if v, ok := c.p["RetentionDays"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65536 {
			return nil, errf("InvalidRetentionDays.Malformed", "The specified RetentionDays is not valid.")
		}
		retention = n
	}
	token := c.p.get("ClientToken")
	if !validClientToken(token) {
		return nil, errf("InvalidClientToken.Malformed", "The specified clientToken is improperly formatted. It must contain only ASCII characters and must not exceed 64 characters in length.")
	}
	args, err := c.tagArgs()
	if err != nil {
		return nil, err
	}
	if len(args) > 20 {
		// UNCONFIRMED: the code for more than 20 tags (CreateSnapshot
		// documents none; the Describe* actions use this one).
		return nil, errf("InvalidTagCount", "The specified tags are beyond the permitted range.")
	}
	tags := make([]Tag, len(args))
	for i, a := range args {
		tags[i] = Tag{TagKey: a.key, TagValue: a.value} // a Value without a Key is an empty, malformed key
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	d := e.st.disks[diskID]
	if d == nil || (c.region != "" && d.region != c.region) {
		return nil, errf("InvalidDiskId.NotFound", "The specified DiskId does not exist.")
	}
	if token != "" {
		if cached, ok, terr := e.checkToken(c, "CreateSnapshot", token); terr != nil || ok {
			if terr != nil && terr.Code == "IdempotentParameterMismatch" {
				terr = &apiError{Status: http.StatusForbidden, Code: terr.Code, Message: terr.Message} // 403 for CreateSnapshot
			}
			return cached, terr
		}
	}
	if in := e.st.owner(d); in != nil {
		if err := in.lockCheck(opSnapshot); err != nil {
			return nil, err
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
			return nil, errf("IncorrectDiskStatus.CreatingSnapshot", "A previous snapshot creation is in process.")
		}
		count++
	}
	if count >= maxManualSnapshots {
		return nil, errf("QuotaExceed.Snapshot", "The snapshot quota exceeds.")
	}
	sn := &snapshot{
		seq:           e.st.nextSeq(),
		id:            e.st.newID("s-"),
		name:          c.p.get("SnapshotName"),
		desc:          c.p.get("Description"),
		region:        d.region,
		diskID:        d.id,
		diskSeq:       d.seq,
		diskSize:      d.size,
		diskType:      d.diskType,
		diskCategory:  d.category,
		instanceID:    d.instanceID,
		status:        SnapshotProgressing,
		created:       c.now,
		doneAt:        c.now.Add(e.opts.SnapshotDelay),
		willFail:      e.st.failSnapshotsOf[d.instanceID],
		retentionDays: retention,
		tags:          tags,
	}
	e.st.snapshots[sn.id] = sn
	e.st.wake(sn.doneAt)
	out := &createSnapshotAnswer{SnapshotId: sn.id}
	e.rememberToken(c, "CreateSnapshot", token, out)
	return out, nil
}

// snapshotFilter is a parsed DescribeSnapshots query (filters combine with
// AND).
type snapshotFilter struct {
	ids                                        map[string]bool
	instanceID, diskID, name, status, snapType string
	category, sourceDiskType, usage, kmsKeyID  string
	encrypted                                  *bool
	tags                                       []tagCond
}

func parseSnapshotFilter(c *rpc) (snapshotFilter, *apiError) {
	var f snapshotFilter
	var err *apiError
	get := c.p.get
	malformed := errf("InvalidSnapshotIds.Malformed", "The amount of specified specified snapshot Ids exceeds the limit.")
	// UNCONFIRMED: malformed JSON answers the same code as too many IDs
	// (documented as "the specified SnapshotIds is incorrect").
	if f.ids, err = c.idFilter("SnapshotIds", malformed, malformed); err != nil {
		return f, err
	}
	f.instanceID, f.diskID, f.name = get("InstanceId"), get("DiskId"), get("SnapshotName")
	f.status, f.snapType, f.usage = get("Status"), get("SnapshotType"), get("Usage")
	f.category, f.sourceDiskType, f.kmsKeyID = get("Category"), get("SourceDiskType"), get("KMSKeyId")
	for _, check := range []*apiError{
		oneOf(f.status, false, errf("InvalidStatus.NotFound", "The specified Status is not found."), "all", SnapshotProgressing, SnapshotAccomplished, SnapshotFailed),
		oneOf(f.snapType, false, errf("InvalidSnapshotType.NotFound", "The specfied SnapshotType is not found."), "all", "auto", "user"),
		// Documented as Standard | Flash | archive in requests and
		// "standard" in answers. UNCONFIRMED: compared case-insensitively.
		oneOf(f.category, true, errf("InvalidSnapshotCategory.Malformed", "The specified Category is not valid."), "Standard", "Flash", "archive"),
		// Documented as case-insensitive.
		oneOf(f.sourceDiskType, true, errf("InvalidSourceDiskType", "The specifed SourceDiskType is not valid."), "system", "data"),
		oneOf(f.usage, false, errf("InvalidUsage", "The specifed Usage is not valid."), "image", "disk", "image_disk", "none"),
	} {
		if check != nil {
			return f, check
		}
	}
	if f.encrypted, err = c.optBool("Encrypted"); err != nil {
		return f, err
	}
	f.tags, err = c.tagConds()
	return f, err
}

// match applies the filter to a snapshot of the call's region. Every
// snapshot here is a manual ("user"), standard, unencrypted snapshot that
// no image or disk was created from (Usage "none").
func (f *snapshotFilter) match(sn *snapshot) bool {
	// is: no filter, the value, or one of the values that select all.
	is := func(want, have string, all ...string) bool {
		return want == "" || want == have || slices.Contains(all, want)
	}
	return (f.ids == nil || f.ids[sn.id]) &&
		is(f.instanceID, sn.instanceID) &&
		is(f.diskID, sn.diskID) &&
		is(f.name, sn.name) &&
		is(f.status, sn.status, "all") &&
		is(f.snapType, "user", "all") &&
		(f.category == "" || strings.EqualFold(f.category, "standard")) &&
		(f.sourceDiskType == "" || strings.EqualFold(f.sourceDiskType, sn.diskType)) &&
		is(f.usage, "none") &&
		(f.encrypted == nil || !*f.encrypted) && f.kmsKeyID == "" &&
		matchTags(sn.tags, f.tags)
}

func (e *Emulator) describeSnapshots(c *rpc) (answer, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	f, err := parseSnapshotFilter(c)
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
	list := e.st.sortedSnapshots(func(sn *snapshot) bool { return sn.region == c.region && f.match(sn) })
	out := &describeSnapshotsAnswer{}
	page := pageOf(pg, list, func(sn *snapshot) int64 { return sn.seq }, &out.Page)
	out.Snapshots.Snapshot = make([]Snapshot, len(page))
	for i, sn := range page {
		out.Snapshots.Snapshot[i] = sn.view(c.now)
	}
	return out, nil
}
