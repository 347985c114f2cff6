package ecsemu

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
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
// uses the same struct; the fields tagged ecsemu:"fleet" (Disks and the
// hazard fields) are emulator extensions for fleet files and the
// emulator's own views, never written in an API answer.
type Instance struct {
	InstanceId          string `json:"InstanceId"`
	InstanceName        string `json:"InstanceName"`
	Description         string `json:"Description"`
	HostName            string `json:"HostName"`
	RegionId            string `json:"RegionId"`
	ZoneId              string `json:"ZoneId"`
	InstanceType        string `json:"InstanceType"`
	ImageId             string `json:"ImageId"`
	Status              string `json:"Status"`
	InstanceChargeType  string `json:"InstanceChargeType"`
	InternetChargeType  string `json:"InternetChargeType"`
	InstanceNetworkType string `json:"InstanceNetworkType"`
	// SpotStrategy is NoSpot (the default), SpotAsPriceGo or
	// SpotWithPriceLimit; SpotPriceLimit (USD an hour) goes with
	// SpotWithPriceLimit. SpotDuration (hours of protection, 0 to 6,
	// default 1) and SpotInterruptionBehavior (Terminate) are written for
	// spot instances only.
	SpotStrategy             string           `json:"SpotStrategy"`
	SpotPriceLimit           float64          `json:"SpotPriceLimit,omitempty"`
	SpotDuration             *int             `json:"SpotDuration,omitempty"`
	SpotInterruptionBehavior string           `json:"SpotInterruptionBehavior,omitempty"`
	StoppedMode              string           `json:"StoppedMode"`
	DeletionProtection       bool             `json:"DeletionProtection"`
	CreationTime             string           `json:"CreationTime"`
	StartTime                string           `json:"StartTime"`
	ExpiredTime              string           `json:"ExpiredTime"`
	AutoReleaseTime          string           `json:"AutoReleaseTime"`
	Cpu                      int              `json:"Cpu"`
	Memory                   int              `json:"Memory"`
	Tags                     TagSet           `json:"Tags"`
	OperationLocks           LockSet          `json:"OperationLocks"`
	VpcAttributes            VpcAttributes    `json:"VpcAttributes"`
	SecurityGroupIds         SecurityGroupSet `json:"SecurityGroupIds"`
	InnerIpAddress           IPSet            `json:"InnerIpAddress"`
	PublicIpAddress          IPSet            `json:"PublicIpAddress"`
	EipAddress               EipAddress       `json:"EipAddress"`
	// InstanceTypeFamily defaults to the family part of InstanceType
	// (ecs.g7.large → ecs.g7, ecs.t5-lc1m1.small → ecs.t5).
	InstanceTypeFamily string `json:"InstanceTypeFamily"`
	// ResourceGroupId "" stands for the account's default resource group.
	ResourceGroupId string `json:"ResourceGroupId"`
	KeyPairName     string `json:"KeyPairName"`
	// OSType (linux | windows), OSName and OSNameEn default to what the
	// ImageId's name suggests.
	OSType   string `json:"OSType"`
	OSName   string `json:"OSName"`
	OSNameEn string `json:"OSNameEn"`
	// GPUAmount and GPUSpec default to 0 and "".
	GPUAmount int    `json:"GPUAmount"`
	GPUSpec   string `json:"GPUSpec"`
	// InternetMaxBandwidthOut defaults to 5 (Mbit/s) with a public IP and 0
	// without; InternetMaxBandwidthIn to 10, or to the Out value above 10.
	InternetMaxBandwidthIn  int `json:"InternetMaxBandwidthIn"`
	InternetMaxBandwidthOut int `json:"InternetMaxBandwidthOut"`
	// MetadataOptions default to HttpEndpoint enabled, HttpTokens optional.
	MetadataOptions *MetadataOptions `json:"MetadataOptions,omitempty"`
	Disks           *FleetDiskSet    `json:"Disks,omitempty" ecsemu:"fleet"`

	// Emulator extensions for fleet files (never in an API answer; see
	// docs/emulator.md, "Hazards the emulator models").

	// EconomicalMode says what StopInstance(s) with
	// StoppedMode=StopCharging does to this instance: supported,
	// stops-keep-charging, stops-not-applicable or refused. Empty: derived
	// from the charge type, spot strategy, network type and family (the
	// emulator's views show the derived value).
	EconomicalMode string `json:"EconomicalMode,omitempty" ecsemu:"fleet"`
	// NoStockOnStart: while the instance is Stopped in economical mode
	// (StopCharging), StartInstance(s) answer 403 OperationDenied.NoStock.
	NoStockOnStart bool `json:"NoStockOnStart,omitempty" ecsemu:"fleet"`
	// AutoScaling describes the instance's membership of the Auto Scaling
	// group named by its acs:autoscaling:scalingGroupId tag.
	AutoScaling *AutoScalingMember `json:"AutoScaling,omitempty" ecsemu:"fleet"`
	// Metrics is the instance's CloudMonitor series (nil: the busy
	// profile); see MetricSpec and docs/emulator.md, "CloudMonitor".
	Metrics *MetricSpec `json:"Metrics,omitempty" ecsemu:"fleet"`
	// StoppedTime, for an instance loaded Stopped or Stopping, is when it
	// left Running (default: the load time); its metrics have points from
	// CreationTime until then. The emulator's views leave it out.
	StoppedTime string `json:"StoppedTime,omitempty" ecsemu:"fleet"`
}

// AutoScalingMember is the fleet-file extension of a scaling-group
// member. The group is the value of the instance's
// acs:autoscaling:scalingGroupId tag. DesiredCapacity and GracePeriod are
// the group's: every member that sets one must agree.
type AutoScalingMember struct {
	// CreationType is AutoCreated (default: launched by Auto Scaling),
	// Attached (added by hand; only detached when unhealthy) or Managed
	// (added by hand, its lifecycle handed to the group: released like an
	// AutoCreated one).
	CreationType string `json:"CreationType,omitempty"`
	// DesiredCapacity of the group; default: one per member added.
	DesiredCapacity *int `json:"DesiredCapacity,omitempty"`
	// GracePeriod is how long an unhealthy AutoCreated or Managed member
	// lives before Auto Scaling releases it, a Go duration (default 5m).
	GracePeriod string `json:"GracePeriod,omitempty"`
}

// MetadataOptions are the instance metadata access settings.
type MetadataOptions struct {
	HttpEndpoint string `json:"HttpEndpoint"` // enabled | disabled
	HttpTokens   string `json:"HttpTokens"`   // optional | required
}

// Network types.
const (
	NetworkVPC     = "vpc"
	NetworkClassic = "classic"
)

// Internet charge types.
const (
	PayByTraffic   = "PayByTraffic"
	PayByBandwidth = "PayByBandwidth"
)

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
	networkType        string // vpc | classic
	family             string
	resourceGroupID    string
	keyPairName        string
	osType             string
	osName, osNameEn   string
	gpuAmount          int
	gpuSpec            string
	bandwidthIn        int
	bandwidthOut       int
	metadata           MetadataOptions
	innerIPs           []string // classic network only
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

	// Spot: the strategy (NoSpot, SpotAsPriceGo, SpotWithPriceLimit), the
	// price limit, the protection period in hours and what an
	// interruption does (Terminate).
	spotStrategy, spotInterruption string
	spotPriceLimit                 float64
	spotDuration                   int
	// recycleAt is when an interrupted spot instance is released (zero:
	// not interrupted).
	recycleAt time.Time
	// econMode is the fleet's EconomicalMode ("": derived, see
	// economicalMode).
	econMode string
	// noStock: a start from economical mode finds no stock.
	noStock bool
	// group is the Auto Scaling group the instance is an in-service or
	// unhealthy member of (nil: none); creationType how it joined.
	group        *scalingGroup
	creationType string
	// essReleaseAt is when Auto Scaling releases this unhealthy member
	// (zero: not scheduled).
	essReleaseAt time.Time
	// poolReplaced: the ACK node pool has already replaced this node.
	poolReplaced bool
	// ms is the instance's metric series and status history (metrics.go);
	// nil for an instance built outside instanceFromSpec.
	ms *metricState
}

// setStatus moves the instance to status to at time at, keeping the
// Running history its metrics need.
func (in *instance) setStatus(to string, at time.Time) {
	if in.status == to {
		return
	}
	if in.status == StatusRunning {
		in.ms.stop(at)
	}
	if to == StatusRunning {
		in.ms.start(at)
	}
	in.status = to
}

// isSpot reports whether the instance is a spot (preemptible) instance.
func (in *instance) isSpot() bool { return in.spotStrategy != "" && in.spotStrategy != SpotNone }

func (in *instance) view() Instance {
	v := Instance{
		InstanceId:              in.id,
		InstanceName:            in.name,
		Description:             in.description,
		HostName:                in.hostName,
		RegionId:                in.region,
		ZoneId:                  in.zone,
		InstanceType:            in.instanceType,
		ImageId:                 in.imageID,
		Status:                  in.status,
		InstanceChargeType:      in.chargeType,
		InternetChargeType:      in.internetChargeType,
		InstanceNetworkType:     in.networkType,
		SpotStrategy:            in.spotStrategy,
		StoppedMode:             in.stoppedMode,
		DeletionProtection:      in.deletionProtection,
		CreationTime:            formatMinute(in.created),
		StartTime:               formatMinute(in.started),
		ExpiredTime:             formatMinute(in.expired),
		AutoReleaseTime:         formatMinute(in.autoRelease),
		Cpu:                     in.cpu,
		Memory:                  in.memory,
		Tags:                    TagSet{Tag: slices.Clone(nonNil(in.tags))},
		OperationLocks:          LockSet{LockReason: slices.Clone(nonNil(in.locks))},
		VpcAttributes:           in.vpc,
		SecurityGroupIds:        SecurityGroupSet{SecurityGroupId: slices.Clone(nonNil(in.securityGroups))},
		InnerIpAddress:          IPSet{IpAddress: slices.Clone(nonNil(in.innerIPs))},
		PublicIpAddress:         IPSet{IpAddress: slices.Clone(nonNil(in.publicIPs))},
		EipAddress:              in.eip,
		InstanceTypeFamily:      in.family,
		ResourceGroupId:         in.resourceGroupID,
		KeyPairName:             in.keyPairName,
		OSType:                  in.osType,
		OSName:                  in.osName,
		OSNameEn:                in.osNameEn,
		GPUAmount:               in.gpuAmount,
		GPUSpec:                 in.gpuSpec,
		InternetMaxBandwidthIn:  in.bandwidthIn,
		InternetMaxBandwidthOut: in.bandwidthOut,
		MetadataOptions:         &MetadataOptions{HttpEndpoint: in.metadata.HttpEndpoint, HttpTokens: in.metadata.HttpTokens},
		EconomicalMode:          in.economicalMode(),
		NoStockOnStart:          in.noStock,
	}
	if in.isSpot() {
		v.SpotPriceLimit = in.spotPriceLimit
		d := in.spotDuration
		v.SpotDuration = &d
		v.SpotInterruptionBehavior = in.spotInterruption
	}
	if in.ms != nil && (in.ms.spec.Profile != "" || in.ms.spec.CPU != nil || in.ms.spec.NetworkBps != nil || len(in.ms.spec.Points) > 0) {
		spec := in.ms.spec
		spec.Points = slices.Clone(spec.Points)
		v.Metrics = &spec
	}
	if g := in.group; g != nil {
		desired := g.desired
		v.AutoScaling = &AutoScalingMember{CreationType: in.creationType, DesiredCapacity: &desired, GracePeriod: g.grace.String()}
	}
	v.VpcAttributes.PrivateIpAddress.IpAddress = slices.Clone(nonNil(in.vpc.PrivateIpAddress.IpAddress))
	return v
}

// nonNil makes a nil list an empty one: ECS writes empty lists as [] inside
// their wrapper object, never null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// privateIP is the instance's primary private address: the first VPC
// address, or the first inner address of a classic-network instance.
func (in *instance) privateIP() string {
	if len(in.vpc.PrivateIpAddress.IpAddress) > 0 {
		return in.vpc.PrivateIpAddress.IpAddress[0]
	}
	if len(in.innerIPs) > 0 {
		return in.innerIPs[0]
	}
	return ""
}

// familyOf derives the instance family from an instance type:
// ecs.g7.large → ecs.g7, ecs.t5-lc1m1.small → ecs.t5, ecs.gn6i-c4g1.xlarge
// → ecs.gn6i. UNCONFIRMED: the rule is read off ECS's type names; a fleet
// file can set InstanceTypeFamily instead.
func familyOf(instanceType string) string {
	parts := strings.Split(instanceType, ".")
	if len(parts) < 3 {
		return ""
	}
	name, _, _ := strings.Cut(parts[1], "-")
	return parts[0] + "." + name
}

// osOf guesses OSType, OSName and OSNameEn from an image ID such as
// ubuntu_22_04_x64_20G_alibase_20240101.vhd (public image names carry the
// distribution and version). UNCONFIRMED wording; a fleet file can set
// the three fields instead.
func osOf(imageID string) (osType, name, nameEn string) {
	lower := strings.ToLower(imageID)
	distros := []struct{ prefix, display string }{
		{"ubuntu", "Ubuntu"}, {"centos", "CentOS"}, {"debian", "Debian"}, {"aliyun", "Alibaba Cloud Linux"},
		{"alinux", "Alibaba Cloud Linux"}, {"rockylinux", "Rocky Linux"}, {"almalinux", "AlmaLinux"},
		{"anolisos", "Anolis OS"}, {"opensuse", "openSUSE"}, {"suse", "SUSE Linux"}, {"redhat", "Red Hat Enterprise Linux"},
		{"fedora", "Fedora"}, {"freebsd", "FreeBSD"}, {"win", "Windows Server"},
	}
	osType, display := "linux", "Linux"
	for _, d := range distros {
		if strings.HasPrefix(lower, d.prefix) {
			display = d.display
			if d.prefix == "win" {
				osType = "windows"
			}
			break
		}
	}
	// The version: the digit groups after the distribution name, up to the
	// architecture (ubuntu_22_04_x64 → 22.04).
	var version []string
	for i, f := range strings.Split(lower, "_") {
		if i == 0 {
			continue
		}
		if f == "" || strings.IndexFunc(f, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			break
		}
		version = append(version, f)
	}
	full := display
	if len(version) > 0 {
		full += " " + strings.Join(version, ".")
	}
	return osType, full + " 64位", full + " 64 bit"
}

// serialNumber is a stable UUID-shaped serial number derived from the ID.
func serialNumber(id string) string {
	h := sha1.Sum([]byte(id))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
