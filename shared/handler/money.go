package handler

import (
	"fmt"
	"strings"
	"sync"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// The money an invocation's actions move, per hour at pay-as-you-go prices
// (ECS DescribePrice), in the answer's summary:
//
//   - estimatedSavings: the compute (vCPU and memory) of an economical stop
//     (StopCharging, pay-as-you-go); for a release, the instance's compute
//     when it was still billing (running, or stopped in KeepCharging, or
//     stopped by this very run) plus the disks deleted with it. A stop that
//     hands over to release counts the compute, and the release then
//     counts the disks: the chain counts each once.
//   - stillBilling: the disks a release leaves behind (not deleted with
//     the instance), and the compute of instances left stopped in
//     KeepCharging (flag stopped-still-charging). Elastic IPs left behind
//     are named in the warning but not priced.
//
// A dry run counts the compute it would save (it reads no disks). A price
// that cannot be read leaves both figures out of the summary (and the
// per-hour amount out of the warnings); it never fails or delays an action:
// prices are read after every action, while time is left.

// DisksUnknown stands in a still-billing warning's resources for the disks
// of a released instance that could not be read: some may be left behind.
const DisksUnknown = "disks (unknown: not read)"

// costEntry is one instance's part in the figures (what it needs of the
// instance only: a run over thousands of instances keeps one each).
type costEntry struct {
	client *ecs.Client
	in     costInstance
	// savedCompute, stillCompute: the instance's compute is saved, or
	// keeps billing.
	savedCompute, stillCompute bool
	savedDisks, stillDisks     []ecs.Disk
	// eip is an elastic IP left allocated (named, not priced).
	eip string
	// disksUnknown: the release could not read the instance's disks, so
	// what it left behind is unknown (warned of, not priced).
	disksUnknown bool
	// reclaimed: ECS is reclaiming the spot instance (not this tool's
	// release).
	reclaimed bool
}

// costInstance is what the figures and warnings need of an instance.
type costInstance struct {
	ID, InstanceType, StoppedMode, Region string
}

func costOf(in ecs.Instance) costInstance {
	return costInstance{ID: in.ID, InstanceType: in.InstanceType, StoppedMode: in.StoppedMode, Region: in.Region}
}

// ledger collects the entries of an invocation (safe for concurrent use).
//
// What is saved is only summed, so it is kept as counts per price (an
// instance type, a disk's category, size and performance level, per
// region): a release of 50,000 instances keeps a handful of counts, not
// 50,000 entries. An entry that leaves something billing is kept whole: it
// becomes a warning of its own.
type ledger struct {
	mu sync.Mutex
	// saved: what the invocation saves, counted per price, in the order
	// the prices were first met (so reading them, and any failure to, is
	// the same from run to run).
	saved      map[priceKey]int
	savedOrder []savedPrice
	// savedInstances counts the instances that save anything.
	savedInstances int
	// billing: the entries that leave something billing, in order.
	billing []costEntry
}

// priceKey is one price in the ledger: an instance type's compute, or a
// disk (category, size, performance level), in a client's region.
type priceKey struct {
	client               *ecs.Client
	instanceType         string
	diskCategory, diskPL string
	diskSizeGiB          int
	isDisk               bool
}

// savedPrice is a price the ledger counts, with the first instance it was
// met on (named if the price cannot be read).
type savedPrice struct {
	key     priceKey
	example string
}

func (l *ledger) add(e costEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.savedCompute {
		l.count(computePrice(e), e.in.ID)
	}
	for _, d := range e.savedDisks {
		l.count(diskPrice(e, d), e.in.ID)
	}
	if e.savedCompute || len(e.savedDisks) > 0 {
		l.savedInstances++
	}
	// Compute that is saved is not also billing (as a stop in
	// StopCharging that ECS reports otherwise would have it).
	e.stillCompute = e.stillCompute && !e.savedCompute
	if e.stillCompute || len(e.stillDisks) > 0 || e.eip != "" || e.disksUnknown {
		e.savedDisks = nil
		l.billing = append(l.billing, e)
	}
}

// count adds one to a saved price, met on instance id (the caller holds
// mu).
func (l *ledger) count(k priceKey, id string) {
	if l.saved == nil {
		l.saved = map[priceKey]int{}
	}
	if _, ok := l.saved[k]; !ok {
		l.savedOrder = append(l.savedOrder, savedPrice{key: k, example: id})
	}
	l.saved[k]++
}

func computePrice(e costEntry) priceKey {
	return priceKey{client: e.client, instanceType: e.in.InstanceType}
}

func diskPrice(e costEntry, d ecs.Disk) priceKey {
	return priceKey{client: e.client, isDisk: true, diskCategory: d.Category, diskSizeGiB: d.SizeGiB, diskPL: d.PerformanceLevel}
}

// account notes what an item's outcome saves or leaves billing.
func (r *run) account(it *item, o InstanceOutcome) {
	if it.in.ChargeType == ecs.PrePaid {
		return // paid for its term whatever happens
	}
	e := costEntry{client: it.pr.client, in: costOf(*it.in)}
	switch o.Outcome {
	case OutcomeStopping, OutcomeWouldStop:
		e.savedCompute = it.stopMode() == ecs.StopCharging && !it.fellBack
	case OutcomeWouldRelease:
		// A dry-run stop's hand-over still reads Running: the stop's
		// would-stop counted its compute already.
		e.savedCompute = billsCompute(*it.in) && !it.pr.plan.Request.IsHandOver()
	}
	for _, f := range o.Flags {
		if f == FlagStoppedStillCharging {
			e.stillCompute = true
		}
	}
	if e.savedCompute || e.stillCompute {
		r.inv.ledger.add(e)
	}
}

// accountRelease notes what a verified release saved and left behind.
// known: the instance's disks were read (every instance has a system
// disk, so an empty list means the read failed). stoppedHere: this run
// stopped the instance (its compute was billing).
func (inv *invocation) accountRelease(client *ecs.Client, in ecs.Instance, disks []ecs.Disk, known, stoppedHere bool) {
	e := costEntry{client: client, in: costOf(in), savedCompute: stoppedHere || billsCompute(in), eip: in.EIPAllocationID, disksUnknown: !known || len(disks) == 0}
	for _, d := range disks {
		if d.DeleteWithInstance {
			e.savedDisks = append(e.savedDisks, d)
		} else {
			e.stillDisks = append(e.stillDisks, d)
		}
	}
	inv.ledger.add(e)
}

// accountReclaim notes what survives ECS's reclaim of a spot instance and
// keeps billing: disks not deleted with it, an elastic IP. Nothing is
// saved: the reclaim is ECS's, not an action of this tool.
func (inv *invocation) accountReclaim(client *ecs.Client, in ecs.Instance, disks []ecs.Disk) {
	e := costEntry{client: client, in: costOf(in), eip: in.EIPAllocationID, reclaimed: true}
	for _, d := range disks {
		if !d.DeleteWithInstance {
			e.stillDisks = append(e.stillDisks, d)
		}
	}
	if len(e.stillDisks) > 0 || e.eip != "" {
		inv.ledger.add(e)
	}
}

// prefetchPrices starts reading, in the background, the prices the ledger
// holds so far, so that tally finds them read: a release calls it once its
// last action is done and verified, before it writes its receipts (prices
// never delay an action). Errors are tally's to report (a price's read is
// made once, whoever asks). With one ECS call at a time, where a run must
// be deterministic, tally reads them itself, in order.
func (inv *invocation) prefetchPrices() {
	if inv.concurrency() <= 1 || !inv.timeLeft() {
		return
	}
	inv.ledger.mu.Lock()
	var keys []priceKey
	for _, sp := range inv.ledger.savedOrder {
		keys = append(keys, sp.key)
	}
	for _, e := range inv.ledger.billing {
		if e.stillCompute {
			keys = append(keys, computePrice(e))
		}
		for _, d := range e.stillDisks {
			keys = append(keys, diskPrice(e, d))
		}
	}
	inv.ledger.mu.Unlock()
	for _, k := range keys {
		go func() { _, _ = inv.readPrice(k) }()
	}
}

// readPrice reads one price through the invocation's cache of its region.
func (inv *invocation) readPrice(k priceKey) (ecs.Price, error) {
	prices := inv.pricesFor(k.client)
	if k.isDisk {
		return prices.Disk(inv.ctx, k.diskCategory, k.diskSizeGiB, k.diskPL)
	}
	return prices.Compute(inv.ctx, k.instanceType)
}

// billsCompute: a pay-as-you-go instance pays for its vCPU and memory
// unless it is stopped in economical mode.
func billsCompute(in ecs.Instance) bool {
	return in.ChargeType != ecs.PrePaid && !(in.Status == ecs.StatusStopped && in.StoppedMode == ecs.StopCharging)
}

// tally prices the ledger into the answer: the summary's figures and a
// still-billing warning per instance that leaves something billing.
func (inv *invocation) tally(resp *Response) {
	inv.ledger.mu.Lock()
	order, counts, savedInstances, billing := inv.ledger.savedOrder, inv.ledger.saved, inv.ledger.savedInstances, inv.ledger.billing
	inv.ledger.mu.Unlock()
	if len(order) == 0 && len(billing) == 0 {
		return
	}
	pricesOK := inv.timeLeft()
	if !pricesOK {
		inv.log.Warn("no time left to read prices: the answer carries no money figures")
	}
	saved := &answer.Money{Instances: savedInstances}
	still := &answer.Money{}
	// price reads one price (cached per region); the first that cannot be
	// read, or that comes in a second currency, leaves the figures out.
	price := func(k priceKey, example string) float64 {
		if !pricesOK {
			return 0
		}
		p, err := inv.readPrice(k)
		if err == nil && (saved.Currency == "" || saved.Currency == p.Currency) {
			saved.Currency, still.Currency = p.Currency, p.Currency
			return p.PerHour
		}
		if err != nil {
			inv.log.Warn("could not read a price: the answer carries no money figures", "instanceId", example, "error", inv.redact.String(err.Error()))
		} else {
			inv.log.Warn("prices in more than one currency: the answer carries no money figures", "currencies", saved.Currency+","+p.Currency)
		}
		pricesOK = false
		return 0
	}
	for _, sp := range order {
		v := price(sp.key, sp.example) * float64(counts[sp.key])
		if sp.key.isDisk {
			saved.Disks += v
		} else {
			saved.Compute += v
		}
	}
	for _, e := range billing {
		var stillHere float64
		var resources []string
		if e.stillCompute {
			c := price(computePrice(e), e.in.ID)
			still.Compute += c
			stillHere += c
			resources = append(resources, "compute ("+e.in.InstanceType+")")
		}
		for _, d := range e.stillDisks {
			v := price(diskPrice(e, d), e.in.ID)
			still.Disks += v
			stillHere += v
			resources = append(resources, d.ID)
		}
		if e.eip != "" {
			resources = append(resources, e.eip)
		}
		if e.disksUnknown {
			resources = append(resources, DisksUnknown)
		}
		still.Instances++
		w := Warning{Code: answer.WarningStillBilling, InstanceID: e.in.ID, Message: stillBillingMessage(e)}
		if pricesOK {
			v := answer.Round(stillHere)
			w.PerHour, w.Currency = &v, still.Currency
		}
		w.Resources = resources
		inv.warn(resp, w)
	}
	if !pricesOK {
		for i := range resp.Warnings {
			resp.Warnings[i].PerHour, resp.Warnings[i].Currency = nil, ""
		}
		return
	}
	for _, m := range []*answer.Money{saved, still} {
		m.Compute, m.Disks = answer.Round(m.Compute), answer.Round(m.Disks)
		m.PerHour = answer.Round(m.Compute + m.Disks)
	}
	resp.Summary.EstimatedSavings, resp.Summary.StillBilling = saved, still
}

func stillBillingMessage(e costEntry) string {
	var parts []string
	if e.stillCompute {
		parts = append(parts, fmt.Sprintf("stopped but still charged for its vCPU and memory (%s, stopped mode %s): release it, or start and stop it in StopCharging", e.in.InstanceType, orUnknown(e.in.StoppedMode)))
	}
	if len(e.stillDisks) > 0 {
		ids := make([]string, len(e.stillDisks))
		for i, d := range e.stillDisks {
			ids[i] = fmt.Sprintf("%s (%s, %d GiB)", d.ID, d.Category, d.SizeGiB)
		}
		verb := "released, but its disks " + strings.Join(ids, ", ") + " were not deleted with it"
		if e.reclaimed {
			verb = "reclaimed by ECS (spot), but its disks " + strings.Join(ids, ", ") + " are not deleted with it: they survive"
		}
		parts = append(parts, verb+" and keep billing: snapshot and delete them if they are not needed")
	}
	if e.eip != "" {
		parts = append(parts, "its elastic IP "+e.eip+" stays allocated and keeps billing: release it if it is not needed")
	}
	if e.disksUnknown {
		parts = append(parts, "released, but its disks could not be read before: any disk not deleted with it keeps billing; look for Available disks in "+e.in.Region)
	}
	return strings.Join(parts, "; ")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// pricesFor is the invocation's price cache of a client's region.
func (inv *invocation) pricesFor(c *ecs.Client) *ecs.Prices {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	key := c.Region()
	if p, ok := inv.prices[key]; ok {
		return p
	}
	p := c.NewPrices()
	inv.prices[key] = p
	return p
}

// warn adds a warning to the answer, with the instance's name and owner.
func (inv *invocation) warn(resp *Response, w Warning) {
	inv.label(&w.Name, &w.Owner, w.InstanceID)
	w.Message = inv.redact.String(w.Message)
	inv.recMu.Lock()
	resp.Warnings = append(resp.Warnings, w)
	inv.recMu.Unlock()
	inv.log.Warn("warning", "code", w.Code, "instanceId", w.InstanceID, "message", w.Message)
}
