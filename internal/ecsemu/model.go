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
