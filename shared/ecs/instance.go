package ecs

import (
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/resource"
)

// ECS instance statuses.
const (
	StatusPending  = "Pending"
	StatusStarting = "Starting"
	StatusRunning  = "Running"
	StatusStopping = "Stopping"
	StatusStopped  = "Stopped"
)

// Charge types and stopped modes. DescribeInstances reports StoppedMode
// as StopCharging, KeepCharging or Not-applicable (the last one, from later
// ECS documentation, is UNCONFIRMED: read as "not in economical mode").
const (
	PostPaid      = "PostPaid"
	PrePaid       = "PrePaid"
	StopCharging  = "StopCharging"
	KeepCharging  = "KeepCharging"
	NotApplicable = "Not-applicable"
)

// Tag keys other services put on the instances they own (see package
// resource).
const (
	TagScalingGroupID = resource.TagScalingGroupID
	TagACKCluster     = resource.TagACKCluster
	TagACKNodePool    = resource.TagACKNodePool
	TagACKPrefix      = resource.TagACKPrefix
)

// Instance is what the functions need to know of an ECS instance (defined
// in package resource, which the wire contract shares).
type Instance = resource.Instance

// MinuteLayout is how DescribeInstances writes times.
const MinuteLayout = "2006-01-02T15:04Z"

// FormatMinute writes t as DescribeInstances does ("" for the zero time).
func FormatMinute(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(MinuteLayout)
}

// ParseTime reads ECS times: yyyy-MM-ddTHH:mmZ (DescribeInstances) or
// yyyy-MM-ddTHH:mm:ssZ; "" is the zero time.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(MinuteLayout, s)
	if err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// sameAs returns s, sharing the memory of other when they are equal (an
// instance named after its ID).
func sameAs(s, other string) string {
	if s == other {
		return other
	}
	return s
}

func fromSDK(in apiInstance) Instance {
	out := Instance{
		ID:                 in.InstanceId,
		Name:               sameAs(in.InstanceName, in.InstanceId),
		Region:             intern(in.RegionId),
		Zone:               intern(in.ZoneId),
		Status:             intern(in.Status),
		ChargeType:         intern(in.InstanceChargeType),
		InstanceType:       intern(in.InstanceType),
		ImageID:            intern(in.ImageId),
		StoppedMode:        intern(in.StoppedMode),
		DeletionProtection: in.DeletionProtection,
		VpcID:              intern(in.VpcAttributes.VpcId),
		VSwitchID:          intern(in.VpcAttributes.VSwitchId),
		SecurityGroupIDs:   internAll(in.SecurityGroupIds.SecurityGroupId),
		PrivateIPs:         in.VpcAttributes.PrivateIpAddress.IpAddress,
		PublicIPs:          in.PublicIpAddress.IpAddress,
		EIPAllocationID:    in.EipAddress.AllocationId,
		EIPAddress:         in.EipAddress.IpAddress,
		CPU:                in.Cpu,
		MemoryMiB:          in.Memory,
	}
	// Unparseable times stay zero; the decisions that use them (age,
	// auto-release) then treat the instance as not old and not scheduled.
	out.CreationTime, _ = ParseTime(in.CreationTime)
	out.StartTime, _ = ParseTime(in.StartTime)
	out.AutoReleaseTime, _ = ParseTime(in.AutoReleaseTime)
	for _, l := range in.OperationLocks.LockReason {
		out.Locks = append(out.Locks, intern(l.LockReason))
	}
	if len(in.Tags.Tag) > 0 {
		pairs := make([]string, 0, 2*len(in.Tags.Tag))
		for _, t := range in.Tags.Tag {
			pairs = append(pairs, t.TagKey, t.TagValue)
		}
		out.Tags = tagSet(pairs)
	}
	return out
}
