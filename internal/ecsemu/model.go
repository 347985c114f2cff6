package ecsemu

import (
	"fmt"
	"time"
)

// ECS instance statuses.
const (
	StatusPending  = "Pending"
	StatusStarting = "Starting"
	StatusRunning  = "Running"
	StatusStopping = "Stopping"
	StatusStopped  = "Stopped"
)

// Charge types.
const (
	PostPaid = "PostPaid"
	PrePaid  = "PrePaid"
)

// Snapshot statuses.
const (
	SnapshotProgressing  = "progressing"
	SnapshotAccomplished = "accomplished"
	SnapshotFailed       = "failed"
)

// Time layouts ECS uses: DescribeInstances reports minute precision
// (2017-12-10T04:04Z); requests carry seconds.
const (
	layoutMinute = "2006-01-02T15:04Z"
	layoutSecond = "2006-01-02T15:04:05Z"
)

func formatMinute(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(layoutMinute)
}

func formatSecond(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(layoutSecond)
}

// parseECSTime accepts both the minute and the second forms, and full RFC 3339.
func parseECSTime(s string) (time.Time, error) {
	for _, layout := range []string{layoutSecond, layoutMinute, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is neither yyyy-MM-ddTHH:mmZ nor yyyy-MM-ddTHH:mm:ssZ", s)
}

// Tag is one key/value pair, in the shape DescribeInstances writes it.
type Tag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

// TagSet is ECS's wrapper object around a tag list: {"Tag":[...]}.
type TagSet struct {
	Tag []Tag `json:"Tag"`
}

// LockReason is one entry of OperationLocks.
type LockReason struct {
	LockReason string `json:"LockReason"`
	LockMsg    string `json:"LockMsg,omitempty"`
}

// LockSet is ECS's wrapper {"LockReason":[...]}.
type LockSet struct {
	LockReason []LockReason `json:"LockReason"`
}

// IPSet is ECS's wrapper {"IpAddress":[...]}.
type IPSet struct {
	IpAddress []string `json:"IpAddress"`
}

// SecurityGroupSet is ECS's wrapper {"SecurityGroupId":[...]}.
type SecurityGroupSet struct {
	SecurityGroupId []string `json:"SecurityGroupId"`
}

// VpcAttributes as DescribeInstances writes them.
type VpcAttributes struct {
	VpcId            string `json:"VpcId"`
	VSwitchId        string `json:"VSwitchId"`
	PrivateIpAddress IPSet  `json:"PrivateIpAddress"`
	NatIpAddress     string `json:"NatIpAddress"`
}

// EipAddress as DescribeInstances writes it.
type EipAddress struct {
	AllocationId       string `json:"AllocationId"`
	IpAddress          string `json:"IpAddress"`
	Bandwidth          int    `json:"Bandwidth"`
	InternetChargeType string `json:"InternetChargeType"`
}

// FleetDisk describes an extra disk in a fleet file, with DescribeDisks
// field names. It is an emulator extension: DescribeInstances has no disks.
type FleetDisk struct {
	Type               string `json:"Type"`     // system | data (default data)
	Category           string `json:"Category"` // default cloud_essd
	Size               int    `json:"Size"`     // GiB, default 40
	DeleteWithInstance *bool  `json:"DeleteWithInstance"`
	DiskName           string `json:"DiskName"`
}

// FleetDiskSet wraps FleetDisk the way DescribeDisks does: {"Disk":[...]}.
type FleetDiskSet struct {
	Disk []FleetDisk `json:"Disk"`
}

// Instance is an instance in the shape of DescribeInstances. The fleet file
// uses the same struct (Disks is an emulator extension for fleet files only).
type Instance struct {
	InstanceId          string           `json:"InstanceId"`
	InstanceName        string           `json:"InstanceName"`
	Description         string           `json:"Description"`
	HostName            string           `json:"HostName"`
	RegionId            string           `json:"RegionId"`
	ZoneId              string           `json:"ZoneId"`
	InstanceType        string           `json:"InstanceType"`
	ImageId             string           `json:"ImageId"`
	Status              string           `json:"Status"`
	InstanceChargeType  string           `json:"InstanceChargeType"`
	InternetChargeType  string           `json:"InternetChargeType"`
	InstanceNetworkType string           `json:"InstanceNetworkType"`
	SpotStrategy        string           `json:"SpotStrategy"`
	StoppedMode         string           `json:"StoppedMode"`
	DeletionProtection  bool             `json:"DeletionProtection"`
	CreationTime        string           `json:"CreationTime"`
	StartTime           string           `json:"StartTime"`
	ExpiredTime         string           `json:"ExpiredTime"`
	AutoReleaseTime     string           `json:"AutoReleaseTime"`
	Cpu                 int              `json:"Cpu"`
	Memory              int              `json:"Memory"`
	Tags                TagSet           `json:"Tags"`
	OperationLocks      LockSet          `json:"OperationLocks"`
	VpcAttributes       VpcAttributes    `json:"VpcAttributes"`
	SecurityGroupIds    SecurityGroupSet `json:"SecurityGroupIds"`
	InnerIpAddress      IPSet            `json:"InnerIpAddress"`
	PublicIpAddress     IPSet            `json:"PublicIpAddress"`
	EipAddress          EipAddress       `json:"EipAddress"`
	Disks               *FleetDiskSet    `json:"Disks,omitempty"`
}

// Disk is a disk in the shape of DescribeDisks.
type Disk struct {
	DiskId             string `json:"DiskId"`
	DiskName           string `json:"DiskName"`
	RegionId           string `json:"RegionId"`
	ZoneId             string `json:"ZoneId"`
	InstanceId         string `json:"InstanceId"`
	Type               string `json:"Type"`
	Category           string `json:"Category"`
	Size               int    `json:"Size"`
	Status             string `json:"Status"`
	Device             string `json:"Device"`
	DeleteWithInstance bool   `json:"DeleteWithInstance"`
	DiskChargeType     string `json:"DiskChargeType"`
	Portable           bool   `json:"Portable"`
	CreationTime       string `json:"CreationTime"`
	AttachedTime       string `json:"AttachedTime"`
	DetachedTime       string `json:"DetachedTime"`
	Tags               TagSet `json:"Tags"`
}

// Snapshot is a snapshot in the shape of DescribeSnapshots.
type Snapshot struct {
	SnapshotId     string `json:"SnapshotId"`
	SnapshotName   string `json:"SnapshotName"`
	Description    string `json:"Description"`
	RegionId       string `json:"RegionId"`
	Status         string `json:"Status"`
	Progress       string `json:"Progress"`
	SourceDiskId   string `json:"SourceDiskId"`
	SourceDiskSize int    `json:"SourceDiskSize"`
	SourceDiskType string `json:"SourceDiskType"`
	SnapshotType   string `json:"SnapshotType"`
	Category       string `json:"Category"`
	CreationTime   string `json:"CreationTime"`
	RetentionDays  int    `json:"RetentionDays"`
	Tags           TagSet `json:"Tags"`
}

// step is a scheduled status change.
type step struct {
	at time.Time
	to string
}

type instance struct {
	seq                int64
	id                 string
	name, description  string
	hostName           string
	region, zone       string
	instanceType       string
	imageID            string
	status             string
	chargeType         string
	internetChargeType string
	stoppedMode        string
	deletionProtection bool
	created            time.Time
	started            time.Time // zero: never started; when it last reached Running
	// startIssued and stopIssued are when a start or a stop was last
	// requested (by the API or an operator): precise times the witness
	// reports (ECS itself shows StartTime to the minute only).
	startIssued, stopIssued time.Time
	expired                 time.Time
	autoRelease             time.Time
	cpu, memory             int
	tags                    []Tag
	locks                   []LockReason
	vpc                     VpcAttributes
	securityGroups          []string
	publicIPs               []string
	eip                     EipAddress
	diskIDs                 []string
	steps                   []step
	stuck                   bool // Stopping never completes while set
}

func (in *instance) locked() bool {
	for _, l := range in.locks {
		if l.LockReason == "security" {
			return true
		}
	}
	return false
}

func (in *instance) view() Instance {
	v := Instance{
		InstanceId:          in.id,
		InstanceName:        in.name,
		Description:         in.description,
		HostName:            in.hostName,
		RegionId:            in.region,
		ZoneId:              in.zone,
		InstanceType:        in.instanceType,
		ImageId:             in.imageID,
		Status:              in.status,
		InstanceChargeType:  in.chargeType,
		InternetChargeType:  in.internetChargeType,
		InstanceNetworkType: "vpc",
		SpotStrategy:        "NoSpot",
		StoppedMode:         in.stoppedMode,
		DeletionProtection:  in.deletionProtection,
		CreationTime:        formatMinute(in.created),
		StartTime:           formatMinute(in.started),
		ExpiredTime:         formatMinute(in.expired),
		AutoReleaseTime:     formatMinute(in.autoRelease),
		Cpu:                 in.cpu,
		Memory:              in.memory,
		Tags:                TagSet{Tag: append([]Tag{}, in.tags...)},
		OperationLocks:      LockSet{LockReason: append([]LockReason{}, in.locks...)},
		VpcAttributes:       in.vpc,
		SecurityGroupIds:    SecurityGroupSet{SecurityGroupId: append([]string{}, in.securityGroups...)},
		InnerIpAddress:      IPSet{IpAddress: []string{}},
		PublicIpAddress:     IPSet{IpAddress: append([]string{}, in.publicIPs...)},
		EipAddress:          in.eip,
	}
	v.VpcAttributes.PrivateIpAddress.IpAddress = append([]string{}, in.vpc.PrivateIpAddress.IpAddress...)
	return v
}

func (in *instance) tagValue(key string) (string, bool) {
	for _, t := range in.tags {
		if t.TagKey == key {
			return t.TagValue, true
		}
	}
	return "", false
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

func (d *disk) view() Disk {
	status := "In_use"
	if d.instanceID == "" {
		status = "Available"
	}
	return Disk{
		DiskId:             d.id,
		DiskName:           d.name,
		RegionId:           d.region,
		ZoneId:             d.zone,
		InstanceId:         d.instanceID,
		Type:               d.diskType,
		Category:           d.category,
		Size:               d.size,
		Status:             status,
		Device:             d.device,
		DeleteWithInstance: d.deleteWithInstance,
		DiskChargeType:     PostPaid,
		Portable:           d.diskType == "data",
		CreationTime:       formatSecond(d.created),
		AttachedTime:       formatSecond(d.attached),
		DetachedTime:       formatSecond(d.detached),
		Tags:               TagSet{Tag: append([]Tag{}, d.tags...)},
	}
}

type snapshot struct {
	seq           int64
	id            string
	name, desc    string
	region        string
	diskID        string
	diskSize      int
	diskType      string
	instanceID    string
	status        string
	created       time.Time
	doneAt        time.Time
	willFail      bool
	retentionDays int
	tags          []Tag
}

func (s *snapshot) view(now time.Time) Snapshot {
	progress := "100%"
	if s.status == SnapshotProgressing {
		progress = "0%"
		if total := s.doneAt.Sub(s.created); total > 0 {
			pct := int(100 * now.Sub(s.created) / total)
			progress = fmt.Sprintf("%d%%", min(max(pct, 0), 99))
		}
	}
	if s.status == SnapshotFailed {
		progress = "0%"
	}
	return Snapshot{
		SnapshotId:     s.id,
		SnapshotName:   s.name,
		Description:    s.desc,
		RegionId:       s.region,
		Status:         s.status,
		Progress:       progress,
		SourceDiskId:   s.diskID,
		SourceDiskSize: s.diskSize,
		SourceDiskType: s.diskType,
		SnapshotType:   "user",
		Category:       "standard",
		CreationTime:   formatSecond(s.created),
		RetentionDays:  s.retentionDays,
		Tags:           TagSet{Tag: append([]Tag{}, s.tags...)},
	}
}
