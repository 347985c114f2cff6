// Package resource holds the ECS resources as the functions see them —
// instances and disks — free of any SDK, so that the wire contract
// (package answer), the local runner and the notifier can carry them
// without linking the Alibaba Cloud SDK.
package resource

import (
	"slices"
	"strings"
	"time"
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

// Disk is a disk attached to an instance, as release needs it.
type Disk struct {
	ID                 string `json:"diskId"`
	InstanceID         string `json:"instanceId,omitempty"`
	Type               string `json:"type"` // system | data
	Category           string `json:"category,omitempty"`
	PerformanceLevel   string `json:"performanceLevel,omitempty"`
	SizeGiB            int    `json:"sizeGiB"`
	Device             string `json:"device,omitempty"`
	DeleteWithInstance bool   `json:"deleteWithInstance"`
}

// LockRecycling is the lock reason of a spot instance ECS is reclaiming
// (DescribeInstances writes "Recycling"; compared without case).
const LockRecycling = "Recycling"

// Recycling reports whether the instance carries the Recycling lock: ECS
// is reclaiming it.
func (i Instance) Recycling() bool {
	for _, l := range i.Locks {
		if strings.EqualFold(l, LockRecycling) {
			return true
		}
	}
	return false
}
