package handler

import (
	"context"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/waiter"
)

// awaitHandOver waits, before release's planning read of a hand-over,
// until the instances stop handed over leave Stopping, so that the
// planning read sees them Stopped: that one read is then their status
// read and the check at the moment of release, and no instance is read
// twice. It reads only the first batch of the IDs (one call's worth, the
// first ones stopped), the whole batch every round, until none of it is
// Stopping or the wait's budget ends, and returns that batch's last read
// — part of the planning read — with when it began. The planning read
// then reads the other batches in the order they were stopped, each about
// when it stops: reading 100 instances takes longer than stopping them.
// Any still Stopping is waited for as usual (and read again only then). A
// failed read returns nothing: the planning read then reads everything
// (and reports its own failure).
func (inv *invocation) awaitHandOver(c *ecs.Client, ids []string) (map[string]ecs.Instance, time.Time, uint64) {
	probe := ids[:min(len(ids), c.IDsPerRead())]
	var last map[string]ecs.Instance
	at, epoch := inv.clock.Now(), inv.clock.epoch()
	check := func(ctx context.Context, _ []string) (map[string]waiter.Status, error) {
		readAt, readEpoch := inv.clock.Now(), inv.clock.epoch()
		found, err := c.Describe(ctx, probe)
		if err != nil {
			return nil, err
		}
		last, at, epoch = found, readAt, readEpoch
		out := make(map[string]waiter.Status, len(probe))
		for _, id := range probe {
			in, ok := found[id]
			st := ecs.StoppedState(in, ok)
			if st.State != waiter.Pending {
				// Stopped, gone, or restarted: nothing more to wait for
				// here; the planning read and the saga judge it.
				st = waiter.Status{State: waiter.Done}
			}
			out[id] = st
		}
		return out, nil
	}
	if _, err := waiter.Wait(inv.ctx, probe, check, inv.waitOptions()); err != nil && last == nil {
		return nil, inv.clock.Now(), inv.clock.epoch()
	}
	return last, at, epoch
}

// prefetchDisks starts reading the disks of ids in the background (with
// one ECS call at a time, where a run must be deterministic, when first
// asked for) and returns the result's getter. A failed read leaves the
// receipts without disks; the release goes on.
func (inv *invocation) prefetchDisks(c *ecs.Client, ids []string) func() map[string][]ecs.Disk {
	read := func() map[string][]ecs.Disk {
		disks, err := c.Disks(inv.ctx, ids)
		if err != nil {
			inv.log.Warn("could not read disks for receipts; releasing anyway", "error", err.Error())
		}
		return disks
	}
	return inv.future(read)
}

// future runs read in the background (or, with one ECS call at a time,
// when first asked for) and returns a getter of its result.
func (inv *invocation) future(read func() map[string][]ecs.Disk) func() map[string][]ecs.Disk {
	if inv.concurrency() <= 1 {
		var got map[string][]ecs.Disk
		done := false
		return func() map[string][]ecs.Disk {
			if !done {
				got, done = read(), true
			}
			return got
		}
	}
	ch := make(chan map[string][]ecs.Disk, 1)
	go func() { ch <- read() }()
	var got map[string][]ecs.Disk
	done := false
	return func() map[string][]ecs.Disk {
		if !done {
			got, done = <-ch, true
		}
		return got
	}
}
