package ecsemu

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// runInstances implements the subset of RunInstances the project needs:
// Amount instances of one type, PostPaid or PrePaid, with name, tags,
// deletion protection, an optional AutoReleaseTime, a system disk and data
// disks. They go Pending → Starting → Running.
func (e *Emulator) runInstances(c *rpc) (map[string]any, *apiError) {
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
	tags, _, err := c.tagPairs(20)
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
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
	sysSize, err := c.intParam("SystemDisk.Size", 40, 20, 2048)
	if err != nil {
		return nil, err
	}
	type dataDisk struct {
		size int
		cat  string
		del  bool
	}
	var dataDisks []dataDisk
	for i := 1; i <= 16; i++ {
		prefix := fmt.Sprintf("DataDisk.%d.", i)
		sizeStr, ok := c.p[prefix+"Size"]
		if !ok {
			break
		}
		size, serr := strconv.Atoi(sizeStr)
		if serr != nil || size < 20 || size > 32768 {
			return nil, errInvalid(prefix + "Size")
		}
		del := true
		if v := c.p.get(prefix + "DeleteWithInstance"); v != "" {
			b, berr := c.boolParam(prefix + "DeleteWithInstance")
			if berr != nil {
				return nil, berr
			}
			del = b
		}
		cat := c.p.get(prefix + "Category")
		if cat == "" {
			cat = "cloud_essd"
		}
		dataDisks = append(dataDisks, dataDisk{size, cat, del})
	}
	dry, err := c.dryRun()
	if err != nil {
		return nil, err
	}
	token := c.p.get("ClientToken")
	if token != "" && !dry {
		if cached, ok, terr := e.checkTokenMap(c, "RunInstances", token); terr != nil || ok {
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
	ids := make([]string, 0, amount)
	for range amount {
		spec := Instance{
			RegionId:           c.region,
			ZoneId:             c.p.get("ZoneId"),
			InstanceName:       c.p.get("InstanceName"),
			InstanceType:       c.p.get("InstanceType"),
			ImageId:            c.p.get("ImageId"),
			InstanceChargeType: charge,
			Status:             StatusPending,
			DeletionProtection: protect && charge == PostPaid,
			Tags:               TagSet{Tag: tags},
			Description:        c.p.get("Description"),
			HostName:           c.p.get("HostName"),
		}
		if sg := c.p.get("SecurityGroupId"); sg != "" {
			spec.SecurityGroupIds.SecurityGroupId = []string{sg}
		}
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
			e.st.addDisk(in, "data", d.cat, d.size, d.del, "", c.now).tags = slices.Clone(tags)
		}
		e.st.schedule(in,
			step{at: c.now.Add(e.opts.PendingDelay), to: StatusStarting},
			step{at: c.now.Add(e.opts.PendingDelay + e.opts.StartDelay), to: StatusRunning})
		if !autoRelease.IsZero() {
			e.st.due(autoRelease)
		}
		ids = append(ids, in.id)
	}
	out := map[string]any{
		"InstanceIdSets": map[string]any{"InstanceIdSet": ids},
		"OrderId":        fmt.Sprintf("2%014d", e.st.seq),
		"TradePrice":     0,
	}
	e.rememberTokenMap(c, "RunInstances", token, out)
	return out, nil
}
