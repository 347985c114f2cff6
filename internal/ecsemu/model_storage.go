package ecsemu

import (
	"fmt"
	"time"
)

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
