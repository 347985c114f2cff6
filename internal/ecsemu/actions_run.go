package ecsemu

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// runDataDisk is one DataDisk.N of a RunInstances call.
type runDataDisk struct {
	size int
	cat  string
	name string
	del  bool
}

// runInstances implements the subset of RunInstances the project needs:
// Amount instances of one type, PostPaid or PrePaid, with name, tags,
// deletion protection, resource group, key pair, security groups, an
// optional AutoReleaseTime, a system disk and data disks. They go Pending →
// Starting → Running.
func (e *Emulator) runInstances(c *rpc) (answer, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	amount, err := c.intParam("Amount", 1, 1, 100)
	if err != nil {
		return nil, errf("InvalidParameter.Amount", "The specified parameter \"Amount\" is not valid: want 1 to 100.")
	}
	charge := c.p.get("InstanceChargeType")
	if charge == "" {
		charge = PostPaid
	}
	if charge != PostPaid && charge != PrePaid {
		return nil, errf("InvalidInstanceChargeType.NotFound", "The InstanceChargeType does not exist in our records")
	}
	internetCharge := c.p.get("InternetChargeType")
	if internetCharge == "" {
		internetCharge = PayByTraffic
	}
	if !validInternetCharges[internetCharge] {
		return nil, errf("InvalidInternetChargeType.ValueNotSupported", "The specified InternetChargeType is not supported.")
	}
	tags, err := c.runTags()
	if err != nil {
		return nil, err
	}
	protect, err := c.boolParam("DeletionProtection")
	if err != nil {
		return nil, err
	}
	var autoRelease time.Time
	if v := c.p.get("AutoReleaseTime"); v != "" {
		if charge == PrePaid {
			return nil, errf("ChargeTypeViolation", msgChargeType)
		}
		t, terr := checkAutoReleaseTime(v, c.now)
		if terr != nil {
			return nil, errf("InvalidAutoReleaseTime.Malformed", "The specified parameter AutoReleaseTime is not valid.")
		}
		autoRelease = t
	}
	groups, err := c.indexedList("SecurityGroupIds")
	if err != nil {
		return nil, err
	}
	if sg, ok := c.p["SecurityGroupId"]; ok {
		if len(groups) > 0 {
			// UNCONFIRMED code: the docs say the two cannot be set together.
			return nil, errf("InvalidParameter", "The parameters \"SecurityGroupId\" and \"SecurityGroupIds.N\" cannot be specified together.")
		}
		groups = []string{sg}
	}
	groups = dedupe(groups)
	sysSize, err := c.intParam("SystemDisk.Size", 40, 20, 2048)
	if err != nil {
		return nil, err
	}
	dataDisks, err := c.runDataDisks()
	if err != nil {
		return nil, err
	}
	dry, err := c.dryRun()
	if err != nil {
		return nil, err
	}
	token := c.p.get("ClientToken")
	if token != "" && !dry {
		if cached, ok, terr := e.checkToken(c, "RunInstances", token); terr != nil || ok {
			return cached, terr
		}
	}
	if dry {
		return nil, errf("DryRunOperation", msgDryRun)
	}
	sysCat := c.p.get("SystemDisk.Category")
	if sysCat == "" {
		sysCat = "cloud_essd"
	}
	out := &runInstancesAnswer{}
	out.InstanceIdSets.InstanceIdSet = make([]string, 0, amount)
	for range amount {
		spec := Instance{
			RegionId:           c.region,
			ZoneId:             c.p.get("ZoneId"),
			InstanceName:       c.p.get("InstanceName"),
			InstanceType:       c.p.get("InstanceType"),
			ImageId:            c.p.get("ImageId"),
			InstanceChargeType: charge,
			InternetChargeType: internetCharge,
			Status:             StatusPending,
			DeletionProtection: protect && charge == PostPaid,
			Tags:               TagSet{Tag: tags},
			Description:        c.p.get("Description"),
			HostName:           c.p.get("HostName"),
			ResourceGroupId:    c.p.get("ResourceGroupId"),
			KeyPairName:        c.p.get("KeyPairName"),
		}
		spec.SecurityGroupIds.SecurityGroupId = groups
		spec.VpcAttributes.VSwitchId = c.p.get("VSwitchId")
		in := e.instanceFromSpec(spec, c.now)
		in.autoRelease = autoRelease
		in.startIssued = c.now
		e.st.addInstance(in)
		// Tag.N tags the instance and the disks created with it (as ECS
		// documents for RunInstances), so snapshots and kept disks can be
		// found by the same tags.
		sys := e.st.addDisk(in, "system", sysCat, sysSize, true, c.p.get("SystemDisk.DiskName"), c.now)
		sys.tags = slices.Clone(tags)
		for _, d := range dataDisks {
			e.st.addDisk(in, "data", d.cat, d.size, d.del, d.name, c.now).tags = slices.Clone(tags)
		}
		e.st.schedule(in,
			step{at: c.now.Add(e.opts.PendingDelay), to: StatusStarting},
			step{at: c.now.Add(e.opts.PendingDelay + e.opts.StartDelay), to: StatusRunning})
		if !autoRelease.IsZero() {
			e.st.due(in, autoRelease)
		}
		out.InstanceIdSets.InstanceIdSet = append(out.InstanceIdSets.InstanceIdSet, in.id)
	}
	out.OrderId = fmt.Sprintf("2%014d", e.st.seq)
	e.rememberToken(c, "RunInstances", token, out)
	return out, nil
}

// runTags reads RunInstances' Tag.N.Key / Tag.N.Value (every index, at
// most 20); a Value without its Key is 400 InvalidTag.Mismatch (UNCONFIRMED
// for RunInstances: the code DescribeInstances documents).
func (c *rpc) runTags() ([]Tag, *apiError) {
	entries, err := c.indexed("Tag")
	if err != nil {
		return nil, err
	}
	var tags []Tag
	for _, x := range entries {
		key, ok := x.get("Key")
		if !ok {
			return nil, errf("InvalidTag.Mismatch", "The specified Tag.%d.Key and Tag.%d.Value are not match.", x.n, x.n)
		}
		value, _ := x.get("Value")
		tags = append(tags, Tag{TagKey: key, TagValue: value})
	}
	if len(tags) > 20 {
		return nil, errf("InvalidTagCount", "The count of tags exceeds %d.", 20)
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	return tags, nil
}

// runDataDisks reads DataDisk.N (every index, at most 16): Size (required,
// 20 to 32768 GiB), Category (default cloud_essd), DiskName,
// DeleteWithInstance (default true).
func (c *rpc) runDataDisks() ([]runDataDisk, *apiError) {
	entries, err := c.indexed("DataDisk")
	if err != nil {
		return nil, err
	}
	if len(entries) > 16 {
		return nil, errf("InvalidParameter", "The specified parameter \"DataDisk.N\" has %d disks; at most 16 are allowed.", len(entries))
	}
	var out []runDataDisk
	for _, x := range entries {
		prefix := fmt.Sprintf("DataDisk.%d.", x.n)
		sizeStr, ok := x.get("Size")
		if !ok {
			// UNCONFIRMED: the emulator needs the size (no snapshot source).
			return nil, errMissing(prefix + "Size")
		}
		size, serr := strconv.Atoi(sizeStr)
		if serr != nil || size < 20 || size > 32768 {
			return nil, errInvalid(prefix + "Size")
		}
		del := true
		if _, ok := x.get("DeleteWithInstance"); ok {
			b, berr := c.boolParam(prefix + "DeleteWithInstance")
			if berr != nil {
				return nil, berr
			}
			del = b
		}
		cat, _ := x.get("Category")
		if cat == "" {
			cat = "cloud_essd"
		}
		name, _ := x.get("DiskName")
		out = append(out, runDataDisk{size: size, cat: cat, name: name, del: del})
	}
	return out, nil
}
