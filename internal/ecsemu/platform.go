package ecsemu

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The platforms that own instances and replace them behind an ECS
// caller's back: Auto Scaling (ESS) scaling groups and Container Service
// (ACK) node pools. Both react when one of their instances leaves Running
// (doStop: by the API or the operator) or is released (store.releaseAt:
// by any cause). See docs/emulator.md, "Hazards the emulator models".

// Tags that put an instance under a platform. The scaling-group tag is a
// system tag: fleet files may set it, TagResources and UntagResources
// refuse acs: keys as ECS does. The ACK tags are ordinary tags.
const (
	TagScalingGroup = "acs:autoscaling:scalingGroupId"
	TagACKCluster   = "ack.aliyun.com"
	TagACKNodePool  = "ack.alibabacloud.com/nodepool-id"
)

// How an instance joined its scaling group (ESS DescribeScalingInstances'
// CreationType values).
const (
	CreationAutoCreated = "AutoCreated"
	CreationAttached    = "Attached"
	CreationManaged     = "Managed"
)

// DefaultScalingGracePeriod is how long an unhealthy AutoCreated member
// lives before Auto Scaling releases it, unless the group says otherwise.
// UNCONFIRMED: ESS documents no such figure; it stands for the time a
// scale-in activity takes.
const DefaultScalingGracePeriod = 5 * time.Minute

// DefaultNodePoolRefillDelay is how long an ACK node pool takes to launch
// a replacement node (Options.NodePoolRefillDelay). UNCONFIRMED.
const DefaultNodePoolRefillDelay = 2 * time.Minute

// SpotNoticePeriod is how long an interrupted spot instance lives after
// the interruption notice: five minutes.
const SpotNoticePeriod = 5 * time.Minute

// scalingGroup is an Auto Scaling group.
type scalingGroup struct {
	id, region string
	desired    int
	desiredSet bool // set explicitly: members added do not raise it
	grace      time.Duration
	graceSet   bool
	// members are the in-service members, in the order they joined.
	members []*instance
	// tmpl makes replacements: the settings of the latest member (the
	// emulator has no scaling configuration; UNCONFIRMED stand-in).
	tmpl *template
	// What the group did, in order.
	unhealthy, launched, released, detached []string
}

// nodePool is an ACK node pool.
type nodePool struct {
	cluster, id, region string
	replaced, launched  []string
	pending             int
}

// refill is a node-pool launch still to come.
type refill struct {
	at   time.Time
	pool *nodePool
	tmpl *template
}

// template is what a platform launches a replacement from: a fleet spec
// and the disks.
type template struct {
	spec  Instance
	disks []FleetDisk
}

// templateOf captures an instance's settings for a replacement: same
// region, zone, type, image, network, security groups, charge type, spot
// settings, name and tags (system tags included); a new ID, addresses and
// times; the same disks, new and empty.
func (s *store) templateOf(in *instance) *template {
	v := in.view()
	v.InstanceId, v.HostName, v.Status, v.StoppedMode = "", "", StatusPending, ""
	v.CreationTime, v.StartTime, v.ExpiredTime, v.AutoReleaseTime = "", "", "", ""
	v.OperationLocks = LockSet{}
	v.VpcAttributes.PrivateIpAddress, v.InnerIpAddress, v.PublicIpAddress = IPSet{}, IPSet{}, IPSet{}
	v.EipAddress = EipAddress{}
	v.NoStockOnStart, v.AutoScaling, v.DeletionProtection = false, nil, false
	if v.Metrics != nil {
		v.Metrics.Points = nil // explicit minutes belong to the old instance
	}
	v.Tags.Tag = slices.Clone(in.tags)
	t := &template{spec: v}
	for _, d := range s.disksOf(in) {
		del := d.deleteWithInstance
		t.disks = append(t.disks, FleetDisk{Type: d.diskType, Category: d.category, Size: d.size, DeleteWithInstance: &del, DiskName: d.name})
	}
	return t
}

// launch creates an instance from a template at time at, as RunInstances
// would: Pending, then Starting, then Running.
func (e *Emulator) launch(t *template, at time.Time) *instance {
	in := e.instanceFromSpec(t.spec, at)
	in.startIssued = at
	e.st.addInstance(in)
	for _, d := range t.disks {
		e.st.addDisk(in, d.Type, d.Category, d.Size, *d.DeleteWithInstance, d.DiskName, at)
	}
	e.st.schedule(in,
		step{at: at.Add(e.opts.PendingDelay), to: StatusStarting},
		step{at: at.Add(e.opts.PendingDelay + e.opts.StartDelay), to: StatusRunning})
	return in
}

func tagValue(tags []Tag, key string) (string, bool) {
	for _, t := range tags {
		if t.TagKey == key {
			return t.TagValue, true
		}
	}
	return "", false
}

func removeTag(tags []Tag, key string) []Tag {
	return slices.DeleteFunc(slices.Clone(tags), func(t Tag) bool { return t.TagKey == key })
}

// joinGroup makes a fleet instance a member of the group its tag names.
func (e *Emulator) joinGroup(in *instance, groupID, creationType string) {
	g := e.st.groups[groupID]
	if g == nil {
		g = &scalingGroup{id: groupID, region: in.region, grace: DefaultScalingGracePeriod}
		e.st.groups[groupID] = g
	}
	if creationType == "" {
		creationType = CreationAutoCreated
	}
	in.group, in.creationType = g, creationType
	g.members = append(g.members, in)
	if !g.desiredSet {
		g.desired++
	}
	g.tmpl = e.st.templateOf(in)
}

// registerPool makes a node pool known (for NodePools) when a fleet
// instance names one.
func (e *Emulator) registerPool(in *instance) *nodePool {
	id, ok := tagValue(in.tags, TagACKNodePool)
	if !ok || id == "" {
		return nil
	}
	p := e.st.pools[id]
	if p == nil {
		cluster, _ := tagValue(in.tags, TagACKCluster)
		p = &nodePool{cluster: cluster, id: id, region: in.region}
		e.st.pools[id] = p
	}
	return p
}

// reconcile launches replacements until the group has its desired
// capacity in service. A group asked to shrink keeps its extra members
// (UNCONFIRMED: the emulator does not scale in).
func (e *Emulator) reconcile(g *scalingGroup, at time.Time) {
	for len(g.members) < g.desired && g.tmpl != nil {
		in := e.launch(g.tmpl, at)
		in.group, in.creationType = g, CreationAutoCreated
		g.members = append(g.members, in)
		g.launched = append(g.launched, in.id)
	}
}

// leftRunning: the instance was Running and is now Stopping. An
// in-service scaling-group member is unhealthy: Auto Scaling removes it
// and launches a replacement; an AutoCreated (or Managed) member is
// released after the group's grace period, an Attached one is only
// detached (its tag removed; it is left as it is). A node-pool node is
// replaced after the refill delay. UNCONFIRMED: the health check runs at
// once (ESS checks periodically).
func (e *Emulator) leftRunning(in *instance, at time.Time) {
	if g := in.group; g != nil {
		g.members = slices.DeleteFunc(g.members, func(m *instance) bool { return m == in })
		g.unhealthy = append(g.unhealthy, in.id)
		in.group = nil
		if in.creationType == CreationAttached {
			in.tags = removeTag(in.tags, TagScalingGroup)
			g.detached = append(g.detached, in.id)
		} else {
			in.essReleaseAt = at.Add(g.grace)
			e.st.due(in, in.essReleaseAt)
		}
		e.reconcile(g, at)
		return
	}
	e.refillPool(in, at)
}

// released: the store released the instance (by any cause). An in-service
// member is replaced (the group keeps its desired capacity); a release by
// Auto Scaling is recorded; a node-pool node not yet replaced is.
func (e *Emulator) released(in *instance, at time.Time, cause releaseCause) {
	if cause == causeESS {
		if id, ok := tagValue(in.tags, TagScalingGroup); ok {
			if g := e.st.groups[id]; g != nil {
				g.released = append(g.released, in.id)
			}
		}
		return
	}
	if g := in.group; g != nil {
		g.members = slices.DeleteFunc(g.members, func(m *instance) bool { return m == in })
		in.group = nil
		e.reconcile(g, at)
		return
	}
	e.refillPool(in, at)
}

// refillPool schedules the replacement of a node-pool node (once per
// node). Instances of a scaling group are Auto Scaling's (ACK node pools
// run on scaling groups): the pool leaves them alone.
func (e *Emulator) refillPool(in *instance, at time.Time) {
	if in.poolReplaced {
		return
	}
	if _, ess := tagValue(in.tags, TagScalingGroup); ess {
		return
	}
	p := e.registerPool(in)
	if p == nil {
		return
	}
	in.poolReplaced = true
	p.replaced = append(p.replaced, in.id)
	p.pending++
	r := refill{at: at.Add(e.opts.NodePoolRefillDelay), pool: p, tmpl: e.st.templateOf(in)}
	e.st.refills = append(e.st.refills, r)
	e.st.wake(r.at)
}

// launchDue launches the node-pool refills due at or before now.
func (s *store) launchDue(now time.Time) {
	kept := s.refills[:0]
	var due []refill
	for _, r := range s.refills {
		if r.at.After(now) {
			kept = append(kept, r)
			s.wake(r.at)
			continue
		}
		due = append(due, r)
	}
	s.refills = kept
	for _, r := range due {
		in := s.emu.launch(r.tmpl, r.at)
		r.pool.pending--
		r.pool.launched = append(r.pool.launched, in.id)
	}
}

// ScalingGroup is what an Auto Scaling group is and did, for tests.
type ScalingGroup struct {
	ScalingGroupId  string `json:"ScalingGroupId"`
	RegionId        string `json:"RegionId"`
	DesiredCapacity int    `json:"DesiredCapacity"`
	GracePeriod     string `json:"GracePeriod"`
	// Members are the in-service members, in the order they joined.
	Members []ScalingMember `json:"Members"`
	// Unhealthy lists the members that left Running and were removed,
	// Launched the replacements launched, Released the instances Auto
	// Scaling released after the grace period, Detached the Attached
	// members removed and left as they are; each in order.
	Unhealthy []string `json:"Unhealthy"`
	Launched  []string `json:"Launched"`
	Released  []string `json:"Released"`
	Detached  []string `json:"Detached"`
}

// ScalingMember is an in-service member of a scaling group.
type ScalingMember struct {
	InstanceId   string `json:"InstanceId"`
	CreationType string `json:"CreationType"`
}

func (g *scalingGroup) view() ScalingGroup {
	v := ScalingGroup{
		ScalingGroupId: g.id, RegionId: g.region, DesiredCapacity: g.desired, GracePeriod: g.grace.String(),
		Members:   []ScalingMember{},
		Unhealthy: slices.Clone(nonNil(g.unhealthy)), Launched: slices.Clone(nonNil(g.launched)),
		Released: slices.Clone(nonNil(g.released)), Detached: slices.Clone(nonNil(g.detached)),
	}
	for _, m := range g.members {
		v.Members = append(v.Members, ScalingMember{InstanceId: m.id, CreationType: m.creationType})
	}
	return v
}

// NodePool is what an ACK node pool did, for tests.
type NodePool struct {
	ClusterId  string `json:"ClusterId"`
	NodePoolId string `json:"NodePoolId"`
	RegionId   string `json:"RegionId"`
	// Replaced lists the nodes stopped or released that the pool
	// replaces, Launched the new nodes, in order; Pending counts the
	// replacements not launched yet.
	Replaced []string `json:"Replaced"`
	Launched []string `json:"Launched"`
	Pending  int      `json:"Pending"`
}

func (p *nodePool) view() NodePool {
	return NodePool{ClusterId: p.cluster, NodePoolId: p.id, RegionId: p.region,
		Replaced: slices.Clone(nonNil(p.replaced)), Launched: slices.Clone(nonNil(p.launched)), Pending: p.pending}
}

// ScalingGroups returns every Auto Scaling group, by ID.
func (e *Emulator) ScalingGroups() []ScalingGroup {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.tick(e.now())
	out := make([]ScalingGroup, 0, len(e.st.groups))
	for _, g := range e.st.groups {
		out = append(out, g.view())
	}
	slices.SortFunc(out, func(a, b ScalingGroup) int { return strings.Compare(a.ScalingGroupId, b.ScalingGroupId) })
	return out
}

// ScalingGroup returns one Auto Scaling group.
func (e *Emulator) ScalingGroup(id string) (ScalingGroup, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.tick(e.now())
	g := e.st.groups[id]
	if g == nil {
		return ScalingGroup{}, false
	}
	return g.view(), true
}

// ScalingGroupConfig changes a scaling group; nil fields stay as they are.
type ScalingGroupConfig struct {
	DesiredCapacity *int
	GracePeriod     *time.Duration
}

// ConfigureScalingGroup changes a scaling group's desired capacity or
// grace period. A desired capacity above the members in service launches
// replacements at once. The group must exist (a fleet instance tagged
// acs:autoscaling:scalingGroupId=<id> creates it).
func (e *Emulator) ConfigureScalingGroup(id string, cfg ScalingGroupConfig) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.st.tick(now)
	g := e.st.groups[id]
	if g == nil {
		return fmt.Errorf("ecsemu: scaling group %q not found", id)
	}
	if cfg.DesiredCapacity != nil {
		if *cfg.DesiredCapacity < 0 {
			return fmt.Errorf("ecsemu: desired capacity %d is negative", *cfg.DesiredCapacity)
		}
		g.desired, g.desiredSet = *cfg.DesiredCapacity, true
	}
	if cfg.GracePeriod != nil {
		if *cfg.GracePeriod < 0 {
			return fmt.Errorf("ecsemu: grace period %v is negative", *cfg.GracePeriod)
		}
		g.grace, g.graceSet = *cfg.GracePeriod, true
	}
	e.reconcile(g, now)
	e.st.tick(now)
	return nil
}

// NodePools returns every ACK node pool the emulator has seen, by ID.
func (e *Emulator) NodePools() []NodePool {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.tick(e.now())
	out := make([]NodePool, 0, len(e.st.pools))
	for _, p := range e.st.pools {
		out = append(out, p.view())
	}
	slices.SortFunc(out, func(a, b NodePool) int { return strings.Compare(a.NodePoolId, b.NodePoolId) })
	return out
}

// NodePool returns one ACK node pool.
func (e *Emulator) NodePool(id string) (NodePool, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.tick(e.now())
	p := e.st.pools[id]
	if p == nil {
		return NodePool{}, false
	}
	return p.view(), true
}
