package ecsemu

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Disk is a disk in the shape of DescribeDisks. Every field is one the
// current official SDK's DescribeDisks model knows, with the same JSON type
// (a test decodes the answers into that model, refusing unknown fields).
// Fields left out on purpose: BdfId (invitational preview), Placement
// (only for Regional ESSDs, asked for with AdditionalAttributes),
// MountInstances and MountInstanceNum (Shared Block Storage), StorageSetId
// and StorageSetPartitionNumber (storage sets), IOPSRead, IOPSWrite,
// ThroughputRead and ThroughputWrite (no documented values for cloud disks).
type Disk struct {
	DiskId           string `json:"DiskId"`
	DiskName         string `json:"DiskName"`
	Description      string `json:"Description"`
	RegionId         string `json:"RegionId"`
	ZoneId           string `json:"ZoneId"`
	InstanceId       string `json:"InstanceId"`
	Type             string `json:"Type"`
	Category         string `json:"Category"`
	PerformanceLevel string `json:"PerformanceLevel,omitempty"`
	Size             int    `json:"Size"`
	// IOPS and Throughput (MB/s) follow the published performance
	// formulas of the category (see diskPerformance); 0 is left out.
	IOPS       int `json:"IOPS,omitempty"`
	Throughput int `json:"Throughput,omitempty"`
	// ProvisionedIops and BurstingEnabled are written for ESSD AutoPL
	// disks (cloud_auto) only, as documented.
	ProvisionedIops *int64 `json:"ProvisionedIops,omitempty"`
	BurstingEnabled *bool  `json:"BurstingEnabled,omitempty"`
	Status          string `json:"Status"`
	Device          string `json:"Device"`
	// SerialNumber is the disk ID without "d-", as ECS shows it (the
	// documented example is the disk ID's tail).
	SerialNumber                  string        `json:"SerialNumber"`
	DeleteWithInstance            bool          `json:"DeleteWithInstance"`
	DeleteAutoSnapshot            bool          `json:"DeleteAutoSnapshot"`
	EnableAutoSnapshot            bool          `json:"EnableAutoSnapshot"`
	EnableAutomatedSnapshotPolicy bool          `json:"EnableAutomatedSnapshotPolicy"`
	AutoSnapshotPolicyId          string        `json:"AutoSnapshotPolicyId"`
	Encrypted                     bool          `json:"Encrypted"`
	KMSKeyId                      string        `json:"KMSKeyId"`
	DiskChargeType                string        `json:"DiskChargeType"`
	Portable                      bool          `json:"Portable"`
	MultiAttach                   string        `json:"MultiAttach"`
	ImageId                       string        `json:"ImageId"`
	SourceSnapshotId              string        `json:"SourceSnapshotId"`
	ProductCode                   string        `json:"ProductCode"`
	ResourceGroupId               string        `json:"ResourceGroupId"`
	StorageClusterId              string        `json:"StorageClusterId"`
	CreationTime                  string        `json:"CreationTime"`
	AttachedTime                  string        `json:"AttachedTime"`
	DetachedTime                  string        `json:"DetachedTime"`
	ExpiredTime                   string        `json:"ExpiredTime"`
	Attachments                   AttachmentSet `json:"Attachments"`
	OperationLocks                DiskLockSet   `json:"OperationLocks"`
	Tags                          TagSet        `json:"Tags"`
}

// Attachment is one entry of a disk's Attachments.
type Attachment struct {
	InstanceId   string `json:"InstanceId"`
	Device       string `json:"Device"`
	AttachedTime string `json:"AttachedTime"`
}

// AttachmentSet is ECS's wrapper {"Attachment":[...]}.
type AttachmentSet struct {
	Attachment []Attachment `json:"Attachment"`
}

// DiskLock is one entry of a disk's OperationLocks.
type DiskLock struct {
	LockReason string `json:"LockReason"`
}

// DiskLockSet is ECS's wrapper {"OperationLock":[...]} (a disk's locks are
// named differently from an instance's).
type DiskLockSet struct {
	OperationLock []DiskLock `json:"OperationLock"`
}

// Snapshot is a snapshot in the shape of DescribeSnapshots, with the JSON
// types of the current official SDK's model (SourceDiskSize is a string).
// Fields left out on purpose: SnapshotLinkId (snapshot chains are not
// modelled), SourceSnapshotId and SourceRegionId (copies),
// FullSnapshotSizeInBytes (no data), InstantAccessRetentionDays (instant
// access is not enabled).
type Snapshot struct {
	SnapshotId   string `json:"SnapshotId"`
	SnapshotName string `json:"SnapshotName"`
	Description  string `json:"Description"`
	RegionId     string `json:"RegionId"`
	Status       string `json:"Status"`
	Progress     string `json:"Progress"`
	// RemainTime is the seconds left while progressing, 0 otherwise.
	RemainTime int `json:"RemainTime"`
	// Available: the snapshot can be used (to create or roll back a disk).
	Available         bool   `json:"Available"`
	SourceDiskId      string `json:"SourceDiskId"`
	SourceDiskSize    string `json:"SourceDiskSize"`
	SourceDiskType    string `json:"SourceDiskType"`
	SourceStorageType string `json:"SourceStorageType"`
	SnapshotType      string `json:"SnapshotType"`
	Category          string `json:"Category"`
	Usage             string `json:"Usage"`
	Encrypted         bool   `json:"Encrypted"`
	KMSKeyId          string `json:"KMSKeyId"`
	InstantAccess     bool   `json:"InstantAccess"`
	RetentionDays     int    `json:"RetentionDays"`
	ProductCode       string `json:"ProductCode"`
	ResourceGroupId   string `json:"ResourceGroupId"`
	SnapshotSN        string `json:"SnapshotSN"`
	CreationTime      string `json:"CreationTime"`
	LastModifiedTime  string `json:"LastModifiedTime"`
	Tags              TagSet `json:"Tags"`
}

type disk struct {
	seq                int64
	id, name           string
	region, zone       string
	instanceID         string
	diskType           string // system | data
	category           string
	size               int
	device             string
	deleteWithInstance bool
	created, attached  time.Time
	detached           time.Time
	tags               []Tag
}

// Disk statuses the emulator produces (DescribeDisks documents also
// Attaching, Detaching, Creating and ReIniting, which never last long
// enough here to be seen).
const (
	DiskInUse     = "In_use"
	DiskAvailable = "Available"
)

// postPaidDiskExpiry is the ExpiredTime ECS writes for pay-as-you-go disks.
// UNCONFIRMED: taken from an example answer of the DescribeDisks reference
// (a pay-as-you-go disk with "2999-09-08T16:00Z"); not stated in the text.
const postPaidDiskExpiry = "2999-09-08T16:00Z"

func (d *disk) status() string {
	if d.instanceID == "" {
		return DiskAvailable
	}
	return DiskInUse
}

// owner is the instance the disk is attached to, or nil.
func (s *store) owner(d *disk) *instance {
	if d.instanceID == "" {
		return nil
	}
	return s.instances[d.instanceID]
}

// diskChargeType: a disk created with a subscription instance is a
// subscription disk while attached to it; a disk kept when its instance is
// released becomes pay-as-you-go (as DeleteWithInstance documents). The
// emulator only creates disks with instances, so the charge type follows
// the instance the disk is attached to.
func diskChargeType(in *instance) string {
	if in != nil && in.chargeType == PrePaid {
		return PrePaid
	}
	return PostPaid
}

// diskPortable: the documented non-portable disks are local disks and
// subscription data disks. UNCONFIRMED: system disks are reported not
// portable (the reference does not say; the emulator keeps its earlier
// behaviour).
func diskPortable(d *disk, in *instance) bool {
	return d.diskType == "data" && diskChargeType(in) == PostPaid
}

// diskPerformance returns the IOPS and throughput (MB/s) of a disk of the
// category and size, from the published formulas (ESSD at the default
// performance level PL1). UNCONFIRMED: the formulas come from the block
// storage performance page as remembered, not from the API reference
// (only the AutoPL baseline, min{1,800 + 50 × capacity, 50,000}, is in
// it); 0, 0 for categories without a formula here.
func diskPerformance(category string, size int) (iops, throughput int) {
	f := func(base, perGiB, maxIOPS int, tpBase, tpPerGiB float64, maxTP int) (int, int) {
		return min(base+perGiB*size, maxIOPS), min(int(tpBase+tpPerGiB*float64(size)), maxTP)
	}
	switch category {
	case "cloud_essd", "cloud_auto", "cloud_regional_disk_auto":
		return f(1800, 50, 50000, 120, 0.5, 350)
	case "cloud_essd_entry":
		return f(1800, 8, 6000, 100, 0.15, 150)
	case "cloud_ssd":
		return f(1800, 30, 25000, 120, 0.5, 300)
	case "cloud_efficiency":
		return f(1800, 8, 5000, 100, 0.15, 140)
	}
	return 0, 0
}

// viewIn is the disk as DescribeDisks shows it.
func (d *disk) viewIn(s *store) Disk {
	var in *instance
	if s != nil {
		in = s.owner(d)
	}
	iops, throughput := diskPerformance(d.category, d.size)
	v := Disk{
		DiskId:             d.id,
		DiskName:           d.name,
		RegionId:           d.region,
		ZoneId:             d.zone,
		InstanceId:         d.instanceID,
		Type:               d.diskType,
		Category:           d.category,
		Size:               d.size,
		IOPS:               iops,
		Throughput:         throughput,
		Status:             d.status(),
		Device:             d.device,
		SerialNumber:       strings.TrimPrefix(d.id, "d-"),
		DeleteWithInstance: d.deleteWithInstance,
		// UNCONFIRMED: DeleteAutoSnapshot false (the documented request
		// default); EnableAutoSnapshot true ("by default, the automatic
		// snapshot policy feature is enabled for cloud disks").
		DeleteAutoSnapshot: false,
		EnableAutoSnapshot: true,
		DiskChargeType:     diskChargeType(in),
		Portable:           diskPortable(d, in),
		MultiAttach:        "Disabled",
		CreationTime:       formatSecond(d.created),
		AttachedTime:       formatSecond(d.attached),
		DetachedTime:       formatSecond(d.detached),
		ExpiredTime:        postPaidDiskExpiry,
		Attachments:        AttachmentSet{Attachment: []Attachment{}},
		OperationLocks:     DiskLockSet{OperationLock: []DiskLock{}},
		Tags:               TagSet{Tag: append([]Tag{}, d.tags...)},
	}
	if d.category == "cloud_essd" {
		v.PerformanceLevel = "PL1" // UNCONFIRMED: the default level of RunInstances as remembered
	}
	if d.category == "cloud_auto" {
		var provisioned int64
		bursting := false
		v.ProvisionedIops, v.BurstingEnabled = &provisioned, &bursting
	}
	if d.instanceID != "" {
		v.Attachments.Attachment = append(v.Attachments.Attachment, Attachment{InstanceId: d.instanceID, Device: d.device, AttachedTime: formatSecond(d.attached)})
	}
	if in != nil {
		if in.chargeType == PrePaid {
			v.ExpiredTime = formatMinute(in.expired)
		}
		if d.diskType == "system" {
			// The image the instance was created from; a system disk kept
			// after its instance's release loses it here (UNCONFIRMED:
			// ECS keeps it for the disk's lifetime).
			v.ImageId = in.imageID
		}
	}
	return v
}

type snapshot struct {
	seq           int64
	id            string
	name, desc    string
	region        string
	diskID        string
	diskSeq       int64
	diskSize      int
	diskType      string
	diskCategory  string
	instanceID    string
	status        string
	created       time.Time
	doneAt        time.Time
	willFail      bool
	retentionDays int
	tags          []Tag
}

// essdSeries are the categories whose snapshots are available at once
// (instant access, on by default for the ESSD series).
var essdSeries = map[string]bool{"cloud_essd": true, "cloud_auto": true, "cloud_essd_entry": true, "cloud_regional_disk_auto": true}

func (s *snapshot) view(now time.Time) Snapshot {
	progress := "100%"
	remain := 0
	modified := s.doneAt
	if s.status == SnapshotProgressing {
		progress = "0%"
		if total := s.doneAt.Sub(s.created); total > 0 {
			pct := int(100 * now.Sub(s.created) / total)
			progress = fmt.Sprintf("%d%%", min(max(pct, 0), 99))
		}
		remain = int((s.doneAt.Sub(now) + time.Second - 1) / time.Second)
		modified = s.created
	}
	if s.status == SnapshotFailed {
		progress = "0%"
	}
	return Snapshot{
		SnapshotId:   s.id,
		SnapshotName: s.name,
		Description:  s.desc,
		RegionId:     s.region,
		Status:       s.status,
		Progress:     progress,
		RemainTime:   max(remain, 0),
		// UNCONFIRMED: snapshots of ESSD-series disks are usable while
		// being created ("instantly available after creation"), the
		// others once accomplished; failed ones never.
		Available:         s.status == SnapshotAccomplished || (s.status == SnapshotProgressing && essdSeries[s.diskCategory]),
		SourceDiskId:      s.diskID,
		SourceDiskSize:    strconv.Itoa(s.diskSize),
		SourceDiskType:    s.diskType,
		SourceStorageType: "disk",
		SnapshotType:      "user",
		Category:          "standard",
		Usage:             "none",
		RetentionDays:     s.retentionDays,
		// UNCONFIRMED: the serial number's format; the documented example
		// is three dash-separated numbers.
		SnapshotSN:       fmt.Sprintf("%d-%d-%d", 64000+s.diskSeq, s.seq, s.created.Unix()%100000),
		CreationTime:     formatSecond(s.created),
		LastModifiedTime: formatSecond(modified),
		Tags:             TagSet{Tag: append([]Tag{}, s.tags...)},
	}
}
