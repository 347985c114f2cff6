package ecs

import (
	"slices"
	"strings"
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

// Tag keys other services put on the instances they own.
const (
	// TagScalingGroupID is the system tag Auto Scaling (ESS) puts on every
	// instance of a scaling group; its value is the group's ID.
	TagScalingGroupID = "acs:autoscaling:scalingGroupId"
	// TagACKCluster and TagACKNodePool mark a node of a Container Service
	// for Kubernetes (ACK) cluster: the cluster's ID and the node pool's.
	TagACKCluster  = "ack.aliyun.com"
	TagACKNodePool = "ack.alibabacloud.com/nodepool-id"
	// TagACKPrefix: ACK's other node tags share this prefix
	// (UNCONFIRMED which ones exist; any of them marks a node).
	TagACKPrefix = "ack.alibabacloud.com/"
)

// Instance is what the functions need to know of an ECS instance: enough to
// decide (status, charge type, protection, locks, tags, times) and to write
// a release receipt from which it could be recreated.
type Instance struct {
	ID                 string            `json:"instanceId"`
	Name               string            `json:"instanceName,omitempty"`
	Region             string            `json:"regionId"`
	Zone               string            `json:"zoneId,omitempty"`
	Status             string            `json:"status"`
	ChargeType         string            `json:"chargeType"`
	InstanceType       string            `json:"instanceType,omitempty"`
	ImageID            string            `json:"imageId,omitempty"`
	StoppedMode        string            `json:"stoppedMode,omitempty"`
	DeletionProtection bool              `json:"deletionProtection"`
	Locks              []string          `json:"locks,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	CreationTime       time.Time         `json:"creationTime,omitzero"`
	// StartTime is when the instance last started (minute precision).
	StartTime        time.Time `json:"startTime,omitzero"`
	AutoReleaseTime  time.Time `json:"autoReleaseTime,omitzero"`
	VpcID            string    `json:"vpcId,omitempty"`
	VSwitchID        string    `json:"vSwitchId,omitempty"`
	SecurityGroupIDs []string  `json:"securityGroupIds,omitempty"`
	PrivateIPs       []string  `json:"privateIps,omitempty"`
	PublicIPs        []string  `json:"publicIps,omitempty"`
	EIPAllocationID  string    `json:"eipAllocationId,omitempty"`
	EIPAddress       string    `json:"eipAddress,omitempty"`
	CPU              int       `json:"cpu,omitempty"`
	MemoryMiB        int       `json:"memoryMiB,omitempty"`
}

// SecurityLocked reports whether an operation lock of reason "security" is on.
func (i Instance) SecurityLocked() bool {
	return slices.Contains(i.Locks, "security")
}

// ScalingGroup returns the Auto Scaling group the instance belongs to
// (its TagScalingGroupID), and whether it belongs to one.
func (i Instance) ScalingGroup() (string, bool) {
	id, ok := i.Tags[TagScalingGroupID]
	return id, ok
}

// KubernetesNode reports whether the instance is an ACK node, and the tag
// that says so (key=value).
func (i Instance) KubernetesNode() (string, bool) {
	for _, k := range []string{TagACKCluster, TagACKNodePool} {
		if v, ok := i.Tags[k]; ok {
			return k + "=" + v, true
		}
	}
	keys := make([]string, 0, len(i.Tags))
	for k := range i.Tags {
		if strings.HasPrefix(k, TagACKPrefix) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", false
	}
	slices.Sort(keys)
	return keys[0] + "=" + i.Tags[keys[0]], true
}

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

func fromSDK(in apiInstance) Instance {
	out := Instance{
		ID:                 in.InstanceId,
		Name:               in.InstanceName,
		Region:             in.RegionId,
		Zone:               in.ZoneId,
		Status:             in.Status,
		ChargeType:         in.InstanceChargeType,
		InstanceType:       in.InstanceType,
		ImageID:            in.ImageId,
		StoppedMode:        in.StoppedMode,
		DeletionProtection: in.DeletionProtection,
		VpcID:              in.VpcAttributes.VpcId,
		VSwitchID:          in.VpcAttributes.VSwitchId,
		SecurityGroupIDs:   in.SecurityGroupIds.SecurityGroupId,
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
		out.Locks = append(out.Locks, l.LockReason)
	}
	if len(in.Tags.Tag) > 0 {
		out.Tags = make(map[string]string, len(in.Tags.Tag))
		for _, t := range in.Tags.Tag {
			out.Tags[t.TagKey] = t.TagValue
		}
	}
	return out
}
