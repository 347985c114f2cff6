package ecsemu

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

var (
	instanceIDPattern = regexp.MustCompile(`^i-[a-z0-9]{1,62}$`)
	validStatus       = map[string]bool{StatusPending: true, StatusStarting: true, StatusRunning: true, StatusStopping: true, StatusStopped: true}
)

// ParseFleet reads a fleet file: a JSON array of instances written with
// DescribeInstances field names. Unknown fields are rejected so a typo does
// not silently become a default. The object form of ParseFleetFile is read
// too, as long as it has no Prices (which ParseFleet would lose).
func ParseFleet(r io.Reader) ([]Instance, error) {
	f, err := ParseFleetFile(r)
	if err != nil {
		return nil, err
	}
	if f.Prices != nil {
		return nil, fmt.Errorf("ecsemu: the fleet has a Prices section; read it with ParseFleetFile and load it with LoadFleet")
	}
	return f.Instances, nil
}

// FleetFile is a whole fleet file: its instances and, in the object form,
// a price list.
type FleetFile struct {
	Instances []Instance `json:"Instances"`
	// Prices is put over the price list in force (see PriceTable).
	Prices *PriceTable `json:"Prices,omitempty"`
}

// ParseFleetFile reads a fleet file: a JSON array of instances (as
// ParseFleet), or an object {"Instances": [...], "Prices": {...}} whose
// Prices section sets DescribePrice's prices (PriceTable). Keys match
// case-insensitively ("prices" works too); unknown fields are rejected.
func ParseFleetFile(r io.Reader) (FleetFile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return FleetFile{}, fmt.Errorf("ecsemu: reading fleet: %w", err)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var f FleetFile
		if err := strictJSON(data, &f); err != nil {
			return FleetFile{}, fmt.Errorf("ecsemu: fleet is not a JSON array of instances, nor an object {\"Instances\": [...], \"Prices\": {...}}: %w", err)
		}
		if f.Prices != nil {
			if err := f.Prices.Validate(); err != nil {
				return FleetFile{}, fmt.Errorf("ecsemu: fleet Prices: %w", err)
			}
		}
		return f, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var fleet []Instance
	if err := dec.Decode(&fleet); err != nil {
		return FleetFile{}, fmt.Errorf("ecsemu: fleet is not a JSON array of instances: %w", err)
	}
	return FleetFile{Instances: fleet}, nil
}

// LoadFleet adds the file's instances (AddInstances), then puts its prices
// over the price list in force. Prices are validated first; on error
// nothing changes.
func (e *Emulator) LoadFleet(f FleetFile) ([]string, error) {
	if f.Prices != nil {
		if err := f.Prices.Validate(); err != nil {
			return nil, fmt.Errorf("ecsemu: fleet Prices: %w", err)
		}
	}
	ids, err := e.AddInstances(f.Instances)
	if err != nil {
		return nil, err
	}
	if f.Prices != nil {
		// Validated above: cannot fail.
		_ = e.SetPrices(*f.Prices)
	}
	return ids, nil
}

// AddInstances adds instances to the store. Missing fields get defaults: a
// generated ID, the default region and its zone "<region>-a", Running,
// PostPaid, type ecs.g7.large (family derived from the type), an Ubuntu
// image (OS fields derived from the image), VPC network with a default
// VPC, vSwitch, security group and private address (a 10.x inner address
// on the classic network), PayByTraffic, the default resource group, no
// key pair, metadata access enabled and optional tokens, created now, one
// 40 GiB system disk deleted with the instance (plus any Disks given). The
// whole list is validated first; on error nothing is added. It returns
// the IDs in order.
func (e *Emulator) AddInstances(fleet []Instance) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	seen := map[string]bool{}
	for i, spec := range fleet {
		if err := e.validateSpec(spec, seen); err != nil {
			return nil, fmt.Errorf("ecsemu: fleet[%d]: %w", i, err)
		}
		if err := checkStoppedTime(spec, now); err != nil {
			return nil, fmt.Errorf("ecsemu: fleet[%d]: %w", i, err)
		}
	}
	groups, err := e.fleetGroups(fleet)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(fleet))
	for _, spec := range fleet {
		in := e.instanceFromSpec(spec, now)
		e.st.addInstance(in)
		hasSystem := false
		if spec.Disks != nil {
			for _, d := range spec.Disks.Disk {
				hasSystem = hasSystem || d.Type == "system"
			}
		}
		if !hasSystem {
			e.st.addDisk(in, "system", "cloud_essd", 40, true, "", now)
		}
		if spec.Disks != nil {
			for _, d := range spec.Disks.Disk {
				typ, cat, size, del := d.Type, d.Category, d.Size, d.Type == "system"
				if typ == "" {
					typ = "data"
				}
				if cat == "" {
					cat = "cloud_essd"
				}
				if size == 0 {
					size = 40
				}
				if d.DeleteWithInstance != nil {
					del = *d.DeleteWithInstance
				}
				e.st.addDisk(in, typ, cat, size, del, d.DiskName, now)
			}
		}
		if in.status == StatusStopping && !in.stuck {
			e.st.schedule(in, step{at: now.Add(e.opts.StopDelay), to: StatusStopped})
		}
		if !in.autoRelease.IsZero() {
			e.st.due(in, in.autoRelease)
		}
		if group, ok := tagValue(in.tags, TagScalingGroup); ok {
			creation := ""
			if spec.AutoScaling != nil {
				creation = spec.AutoScaling.CreationType
			}
			e.joinGroup(in, group, creation)
		}
		e.registerPool(in)
		ids = append(ids, in.id)
	}
	// In ID order: replacements take IDs from the seeded generator.
	for _, id := range slices.Sorted(maps.Keys(groups)) {
		cfg, g := groups[id], e.st.groups[id]
		if cfg.desired != nil {
			g.desired, g.desiredSet = *cfg.desired, true
		}
		if cfg.grace != nil {
			g.grace, g.graceSet = *cfg.grace, true
		}
		e.reconcile(g, now)
	}
	e.st.tick(now)
	return ids, nil
}

// groupSettings are the group-level settings a fleet gives a scaling
// group.
type groupSettings struct {
	desired *int
	grace   *time.Duration
}

// fleetGroups checks the scaling-group settings of a fleet: one region
// per group, and the members that set DesiredCapacity or GracePeriod
// agree with each other and with what an earlier fleet set explicitly.
func (e *Emulator) fleetGroups(fleet []Instance) (map[string]groupSettings, error) {
	out := map[string]groupSettings{}
	regions := map[string]string{}
	for id, g := range e.st.groups {
		regions[id] = g.region
	}
	for i, spec := range fleet {
		group, ok := tagValue(spec.Tags.Tag, TagScalingGroup)
		if !ok {
			continue
		}
		region := cmp.Or(spec.RegionId, e.opts.Region)
		if r, seen := regions[group]; seen && r != region {
			return nil, fmt.Errorf("ecsemu: fleet[%d]: scaling group %s has members in region %s, not %s", i, group, r, region)
		}
		regions[group] = region
		old, cfg := e.st.groups[group], out[group]
		if a := spec.AutoScaling; a != nil && a.DesiredCapacity != nil {
			if (cfg.desired != nil && *cfg.desired != *a.DesiredCapacity) || (old != nil && old.desiredSet && old.desired != *a.DesiredCapacity) {
				return nil, fmt.Errorf("ecsemu: fleet[%d]: members of scaling group %s disagree on DesiredCapacity", i, group)
			}
			cfg.desired = a.DesiredCapacity
		}
		if a := spec.AutoScaling; a != nil && a.GracePeriod != "" {
			d, _ := time.ParseDuration(a.GracePeriod) // validated before
			if (cfg.grace != nil && *cfg.grace != d) || (old != nil && old.graceSet && old.grace != d) {
				return nil, fmt.Errorf("ecsemu: fleet[%d]: members of scaling group %s disagree on GracePeriod", i, group)
			}
			cfg.grace = &d
		}
		out[group] = cfg
	}
	return out, nil
}

func (e *Emulator) validateSpec(spec Instance, seen map[string]bool) error {
	if spec.InstanceId != "" {
		if !instanceIDPattern.MatchString(spec.InstanceId) {
			return fmt.Errorf("InstanceId %q is not i- followed by lowercase letters and digits", spec.InstanceId)
		}
		if seen[spec.InstanceId] || e.st.instances[spec.InstanceId] != nil {
			return fmt.Errorf("InstanceId %q appears twice", spec.InstanceId)
		}
		seen[spec.InstanceId] = true
	}
	if spec.Status != "" && !validStatus[spec.Status] {
		return fmt.Errorf("invalid Status %q: want one of Pending, Starting, Running, Stopping, Stopped", spec.Status)
	}
	if spec.InstanceChargeType != "" && spec.InstanceChargeType != PostPaid && spec.InstanceChargeType != PrePaid {
		return fmt.Errorf("InstanceChargeType %q is not PostPaid or PrePaid", spec.InstanceChargeType)
	}
	for _, f := range []struct{ name, v string }{{"CreationTime", spec.CreationTime}, {"AutoReleaseTime", spec.AutoReleaseTime}, {"ExpiredTime", spec.ExpiredTime}, {"StartTime", spec.StartTime}} {
		if f.v == "" {
			continue
		}
		if _, err := parseECSTime(f.v); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	switch spec.InstanceNetworkType {
	case "", NetworkVPC:
	case NetworkClassic:
		if spec.VpcAttributes.VpcId != "" || spec.VpcAttributes.VSwitchId != "" || len(spec.VpcAttributes.PrivateIpAddress.IpAddress) > 0 {
			return fmt.Errorf("a classic-network instance has no VpcAttributes")
		}
	default:
		return fmt.Errorf("InstanceNetworkType %q is not vpc or classic", spec.InstanceNetworkType)
	}
	if spec.InstanceNetworkType != NetworkClassic && len(spec.InnerIpAddress.IpAddress) > 0 {
		return fmt.Errorf("InnerIpAddress is for classic-network instances; a VPC instance has VpcAttributes.PrivateIpAddress")
	}
	if c := spec.InternetChargeType; c != "" && c != PayByTraffic && c != PayByBandwidth {
		return fmt.Errorf("InternetChargeType %q is not PayByTraffic or PayByBandwidth", c)
	}
	if m := spec.MetadataOptions; m != nil {
		if m.HttpEndpoint != "" && m.HttpEndpoint != "enabled" && m.HttpEndpoint != "disabled" {
			return fmt.Errorf("MetadataOptions.HttpEndpoint %q is not enabled or disabled", m.HttpEndpoint)
		}
		if m.HttpTokens != "" && m.HttpTokens != "optional" && m.HttpTokens != "required" {
			return fmt.Errorf("MetadataOptions.HttpTokens %q is not optional or required", m.HttpTokens)
		}
	}
	if spec.OSType != "" && spec.OSType != "linux" && spec.OSType != "windows" {
		return fmt.Errorf("OSType %q is not linux or windows", spec.OSType)
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"GPUAmount", spec.GPUAmount}, {"InternetMaxBandwidthIn", spec.InternetMaxBandwidthIn}, {"InternetMaxBandwidthOut", spec.InternetMaxBandwidthOut}, {"Cpu", spec.Cpu}, {"Memory", spec.Memory}} {
		if n.v < 0 {
			return fmt.Errorf("%s %d is negative", n.name, n.v)
		}
	}
	if spec.AutoReleaseTime != "" && spec.InstanceChargeType == PrePaid {
		return fmt.Errorf("AutoReleaseTime is set on a PrePaid instance")
	}
	if err := validateHazards(spec); err != nil {
		return err
	}
	if spec.Metrics != nil {
		network := cmp.Or(spec.InstanceNetworkType, NetworkVPC)
		public := len(spec.PublicIpAddress.IpAddress) > 0 || spec.EipAddress.IpAddress != ""
		if err := validateMetricSpec(*spec.Metrics, network, public); err != nil {
			return err
		}
	}
	if spec.Disks != nil {
		systems := 0
		for j, d := range spec.Disks.Disk {
			if d.Type != "" && d.Type != "system" && d.Type != "data" {
				return fmt.Errorf("Disks.Disk[%d].Type %q is not system or data", j, d.Type)
			}
			if d.Size < 0 {
				return fmt.Errorf("Disks.Disk[%d].Size %d is negative", j, d.Size)
			}
			if d.Type == "system" {
				systems++
			}
		}
		if systems > 1 {
			return fmt.Errorf("Disks has %d system disks", systems)
		}
	}
	return nil
}

func (e *Emulator) instanceFromSpec(spec Instance, now time.Time) *instance {
	parse := func(s string) time.Time {
		if s == "" {
			// Not set (the common case): an empty time fails all three
			// layouts and builds an error, a third of the cost of
			// loading a large fleet.
			return time.Time{}
		}
		t, _ := parseECSTime(s) // validated before
		return t
	}
	in := &instance{
		seq:                e.st.nextSeq(),
		id:                 spec.InstanceId,
		name:               spec.InstanceName,
		description:        spec.Description,
		hostName:           spec.HostName,
		region:             spec.RegionId,
		zone:               spec.ZoneId,
		instanceType:       spec.InstanceType,
		imageID:            spec.ImageId,
		status:             spec.Status,
		chargeType:         spec.InstanceChargeType,
		internetChargeType: spec.InternetChargeType,
		networkType:        spec.InstanceNetworkType,
		family:             spec.InstanceTypeFamily,
		resourceGroupID:    spec.ResourceGroupId,
		keyPairName:        spec.KeyPairName,
		osType:             spec.OSType,
		osName:             spec.OSName,
		osNameEn:           spec.OSNameEn,
		gpuAmount:          spec.GPUAmount,
		gpuSpec:            spec.GPUSpec,
		bandwidthIn:        spec.InternetMaxBandwidthIn,
		bandwidthOut:       spec.InternetMaxBandwidthOut,
		innerIPs:           slices.Clone(spec.InnerIpAddress.IpAddress),
		stoppedMode:        spec.StoppedMode,
		spotStrategy:       spec.SpotStrategy,
		spotPriceLimit:     spec.SpotPriceLimit,
		spotInterruption:   spec.SpotInterruptionBehavior,
		econMode:           spec.EconomicalMode,
		noStock:            spec.NoStockOnStart,
		deletionProtection: spec.DeletionProtection,
		created:            parse(spec.CreationTime),
		started:            parse(spec.StartTime),
		expired:            parse(spec.ExpiredTime),
		autoRelease:        parse(spec.AutoReleaseTime),
		cpu:                spec.Cpu,
		memory:             spec.Memory,
		tags:               append([]Tag(nil), spec.Tags.Tag...),
		locks:              append([]LockReason(nil), spec.OperationLocks.LockReason...),
		vpc:                spec.VpcAttributes,
		securityGroups:     append([]string(nil), spec.SecurityGroupIds.SecurityGroupId...),
		publicIPs:          append([]string(nil), spec.PublicIpAddress.IpAddress...),
		eip:                spec.EipAddress,
	}
	if in.id == "" {
		in.id = e.st.newID("i-")
	}
	if in.region == "" {
		in.region = e.opts.Region
	}
	if in.zone == "" {
		in.zone = in.region + "-a"
	}
	if in.name == "" {
		in.name = in.id
	}
	if in.hostName == "" {
		in.hostName = in.id
	}
	if in.instanceType == "" {
		in.instanceType = "ecs.g7.large"
	}
	if in.imageID == "" {
		in.imageID = "ubuntu_22_04_x64_20G_alibase_20240101.vhd"
	}
	if in.status == "" {
		in.status = StatusRunning
	}
	if in.chargeType == "" {
		in.chargeType = PostPaid
	}
	if in.spotStrategy == "" {
		in.spotStrategy = SpotNone
	}
	if in.isSpot() {
		// UNCONFIRMED defaults: RunInstances' SpotDuration default (one
		// hour of protection) and interruption behaviour (Terminate).
		in.spotDuration = 1
		if spec.SpotDuration != nil {
			in.spotDuration = *spec.SpotDuration
		}
		if in.spotInterruption == "" {
			in.spotInterruption = "Terminate"
		}
	}
	if in.internetChargeType == "" {
		in.internetChargeType = PayByTraffic
	}
	if in.networkType == "" {
		in.networkType = NetworkVPC
	}
	if in.family == "" {
		in.family = familyOf(in.instanceType)
	}
	if in.osType == "" && in.osName == "" && in.osNameEn == "" {
		in.osType, in.osName, in.osNameEn = osOf(in.imageID)
	} else if in.osType == "" {
		in.osType, _, _ = osOf(in.imageID)
	}
	if spec.MetadataOptions != nil {
		in.metadata = *spec.MetadataOptions
	}
	if in.metadata.HttpEndpoint == "" {
		in.metadata.HttpEndpoint = "enabled"
	}
	if in.metadata.HttpTokens == "" {
		in.metadata.HttpTokens = "optional"
	}
	// UNCONFIRMED defaults: 5 Mbit/s out with a public address, none
	// without; inbound as RunInstances documents its default (10, or the
	// outbound value above 10).
	if in.bandwidthOut == 0 && len(in.publicIPs) > 0 {
		in.bandwidthOut = 5
	}
	if in.bandwidthIn == 0 {
		in.bandwidthIn = max(10, in.bandwidthOut)
	}
	if in.created.IsZero() {
		in.created = now
	}
	if in.started.IsZero() && in.status != StatusPending {
		in.started = in.created
	}
	in.startIssued = in.started
	if in.status == StatusStopping || in.status == StatusStopped {
		// Stopped before it joined the fleet: some time after its start.
		in.stopIssued = in.started
	}
	if in.stoppedMode == "" {
		in.stoppedMode = "Not-applicable"
		if in.status == StatusStopped {
			in.stoppedMode = "KeepCharging"
		}
	}
	if in.chargeType == PrePaid && in.expired.IsZero() {
		in.expired = in.created.AddDate(1, 0, 0)
	}
	if in.cpu == 0 {
		in.cpu = 2
	}
	if in.memory == 0 {
		in.memory = 8192
	}
	if in.networkType == NetworkClassic {
		if len(in.innerIPs) == 0 {
			in.innerIPs = []string{fmt.Sprintf("10.%d.%d.%d", 100+(in.seq/62500)%100, (in.seq/250)%250, in.seq%250+1)}
		}
	} else {
		if in.vpc.VpcId == "" {
			in.vpc.VpcId = "vpc-emulator0000000000"
		}
		if in.vpc.VSwitchId == "" {
			in.vpc.VSwitchId = "vsw-emulator0000000000"
		}
		if len(in.vpc.PrivateIpAddress.IpAddress) == 0 {
			in.vpc.PrivateIpAddress.IpAddress = []string{fmt.Sprintf("172.16.%d.%d", (in.seq/250)%250, in.seq%250+1)}
		}
	}
	if len(in.securityGroups) == 0 {
		in.securityGroups = []string{"sg-emulator0000000000"}
	}
	in.ms = newMetricState(in, spec.Metrics)
	in.ms.initRuns(in, spec.StoppedTime, now)
	e.st.metrics[in.id] = in.ms
	return in
}

// validateHazards checks the fleet fields of the modelled hazards: spot
// settings, economical mode, lock reasons and scaling-group membership.
func validateHazards(spec Instance) error {
	spot := false
	switch spec.SpotStrategy {
	case "", SpotNone:
	case SpotAsPriceGo, SpotWithPriceLimit:
		spot = true
	default:
		return fmt.Errorf("SpotStrategy %q is not %s, %s or %s", spec.SpotStrategy, SpotNone, SpotAsPriceGo, SpotWithPriceLimit)
	}
	switch {
	case !(spec.SpotPriceLimit >= 0):
		return fmt.Errorf("SpotPriceLimit %v is negative", spec.SpotPriceLimit)
	case spec.SpotPriceLimit > 0 && spec.SpotStrategy != SpotWithPriceLimit:
		return fmt.Errorf("SpotPriceLimit is set without SpotStrategy %s", SpotWithPriceLimit)
	case spec.SpotStrategy == SpotWithPriceLimit && spec.SpotPriceLimit == 0:
		return fmt.Errorf("SpotStrategy %s needs a SpotPriceLimit above 0", SpotWithPriceLimit)
	case spot && spec.InstanceChargeType == PrePaid:
		return fmt.Errorf("a spot instance is pay-as-you-go, not PrePaid")
	case spec.SpotDuration != nil && (!spot || *spec.SpotDuration < 0 || *spec.SpotDuration > 6):
		return fmt.Errorf("SpotDuration is for spot instances, 0 to 6 hours")
	case spec.SpotInterruptionBehavior != "" && (!spot || spec.SpotInterruptionBehavior != "Terminate"):
		return fmt.Errorf("SpotInterruptionBehavior is for spot instances and only Terminate is modelled")
	}
	if m := spec.EconomicalMode; m != "" && !slices.Contains(EconomicalModes, m) {
		return fmt.Errorf("EconomicalMode %q is not one of %s", m, strings.Join(EconomicalModes, ", "))
	}
	for _, l := range spec.OperationLocks.LockReason {
		if !validLockReason(l.LockReason) {
			return errUnknownLock(l.LockReason)
		}
	}
	group, inGroup := tagValue(spec.Tags.Tag, TagScalingGroup)
	if inGroup && group == "" {
		return fmt.Errorf("tag %s has no value (the scaling group ID)", TagScalingGroup)
	}
	if a := spec.AutoScaling; a != nil {
		if !inGroup {
			return fmt.Errorf("AutoScaling is set but the instance has no %s tag", TagScalingGroup)
		}
		switch a.CreationType {
		case "", CreationAutoCreated, CreationAttached, CreationManaged:
		default:
			return fmt.Errorf("AutoScaling.CreationType %q is not %s, %s or %s", a.CreationType, CreationAutoCreated, CreationAttached, CreationManaged)
		}
		if a.DesiredCapacity != nil && *a.DesiredCapacity < 0 {
			return fmt.Errorf("AutoScaling.DesiredCapacity %d is negative", *a.DesiredCapacity)
		}
		if a.GracePeriod != "" {
			if d, err := time.ParseDuration(a.GracePeriod); err != nil || d < 0 {
				return fmt.Errorf("AutoScaling.GracePeriod %q is not a non-negative Go duration such as 5m", a.GracePeriod)
			}
		}
	}
	return nil
}
