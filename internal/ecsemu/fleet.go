package ecsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"time"
)

var (
	instanceIDPattern = regexp.MustCompile(`^i-[a-z0-9]{1,62}$`)
	validStatus       = map[string]bool{StatusPending: true, StatusStarting: true, StatusRunning: true, StatusStopping: true, StatusStopped: true}
)

// ParseFleet reads a fleet file: a JSON array of instances written with
// DescribeInstances field names. Unknown fields are rejected so a typo does
// not silently become a default.
func ParseFleet(r io.Reader) ([]Instance, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("ecsemu: reading fleet: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var fleet []Instance
	if err := dec.Decode(&fleet); err != nil {
		return nil, fmt.Errorf("ecsemu: fleet is not a JSON array of instances: %w", err)
	}
	return fleet, nil
}

// AddInstances adds instances to the store. Missing fields get defaults: a
// generated ID, the default region and its zone "<region>-a", Running,
// PostPaid, type ecs.g7.large, created now, one 40 GiB system disk deleted
// with the instance (plus any Disks given). The whole list is validated
// first; on error nothing is added. It returns the IDs in order.
func (e *Emulator) AddInstances(fleet []Instance) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	seen := map[string]bool{}
	for i, spec := range fleet {
		if err := e.validateSpec(spec, seen); err != nil {
			return nil, fmt.Errorf("ecsemu: fleet[%d]: %w", i, err)
		}
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
			e.st.due(in.autoRelease)
		}
		ids = append(ids, in.id)
	}
	e.st.tick(now)
	return ids, nil
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
	if spec.AutoReleaseTime != "" && spec.InstanceChargeType == PrePaid {
		return fmt.Errorf("AutoReleaseTime is set on a PrePaid instance")
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
		stoppedMode:        spec.StoppedMode,
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
	if in.internetChargeType == "" {
		in.internetChargeType = "PayByTraffic"
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
	if in.vpc.VpcId == "" {
		in.vpc.VpcId = "vpc-emulator0000000000"
	}
	if in.vpc.VSwitchId == "" {
		in.vpc.VSwitchId = "vsw-emulator0000000000"
	}
	if len(in.vpc.PrivateIpAddress.IpAddress) == 0 {
		in.vpc.PrivateIpAddress.IpAddress = []string{fmt.Sprintf("172.16.%d.%d", (in.seq/250)%250, in.seq%250+1)}
	}
	if len(in.securityGroups) == 0 {
		in.securityGroups = []string{"sg-emulator0000000000"}
	}
	return in
}
