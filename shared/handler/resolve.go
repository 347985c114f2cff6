package handler

import (
	"fmt"
	"maps"
	"strings"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/guard"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// selectorFor turns a request selector into an ECS selector. The managed
// scope is added as a tag filter, so ECS does not even return instances
// outside it. It returns false when the request has no selector.
func (inv *invocation) selectorFor(req request.Request) (ecs.Selector, bool) {
	if req.Selector == nil {
		return ecs.Selector{}, false
	}
	s := req.Selector
	sel := ecs.Selector{Tags: maps.Clone(s.Tags), Name: s.Name, Statuses: s.Status, ChargeType: s.EffectiveChargeType()}
	if sel.Tags == nil {
		sel.Tags = map[string]string{}
	}
	if m := inv.cfg.ManagedTag; m != nil {
		if v, ok := sel.Tags[m.Key]; !ok || v == ecs.AnyValue {
			sel.Tags[m.Key] = m.Value
		} else if v != m.Value {
			// The selector asks for another value of the scope tag: nothing
			// in scope can match. ECS returns the instances carrying that
			// value, and resolve drops them all (see inScope).
			sel.Tags[m.Key] = v
		}
	}
	now := inv.clock.Now()
	if d := s.OlderThanDuration(); d > 0 {
		sel.CreatedBefore = now.Add(-d)
	}
	if s.Expired {
		sel.ExpireTag, sel.ExpiredAt = inv.cfg.ExpireTag, now
	}
	return sel, true
}

// resolve finds a plan's targets: the named IDs (described; missing ones
// are gone) and the selector's matches, de-duplicated. It refuses the whole
// request when more instances match than the cap allows, before anything
// is done, and says how many matched. extra narrows a selector further
// (autorelease's sweep adds the TTL tag).
//
// known holds instances of the named IDs read just before (see
// awaitHandOver): they are part of the planning read and not read again.
//
// stream, when set, takes each part of the read as it is kept (stream.go).
// A read that fails once the stream released something returns what it
// read, with an *unreadError naming the instances it did not read.
func (inv *invocation) resolve(p config.Plan, client *ecs.Client, extra func(*ecs.Selector), known map[string]ecs.Instance, stream *releaseStream) (found []ecs.Instance, gone []string, err error) {
	req := p.Request
	seen := map[string]bool{}
	count := 0
	keep := func(in ecs.Instance) {
		if seen[in.ID] {
			return
		}
		seen[in.ID] = true
		inv.remember(in)
		count++
		if count <= p.MaxInstances {
			found = append(found, in)
		}
	}
	if ids := req.InstanceIDs; len(ids) > 0 {
		// Sized once: growing a fleet's list by doubling keeps two copies
		// of it alive at each step.
		found = make([]ecs.Instance, 0, min(len(ids), p.MaxInstances))
		// The IDs not read yet, and where each stands in ids.
		var unread []string
		var at []int
		for i, id := range ids {
			if _, ok := known[id]; !ok {
				unread, at = append(unread, id), append(at, i)
			}
		}
		// The reads arrive in the order of ids; each settles ids up to its
		// last ID (those known before it in between).
		next, read := 0, 0
		settle := func(upto int, got map[string]ecs.Instance) {
			for ; next < upto; next++ {
				id := ids[next]
				if in, ok := known[id]; ok {
					keep(in)
				} else if in, ok := got[id]; ok {
					keep(in)
				} else if !seen[id] {
					seen[id] = true
					gone = append(gone, id)
				}
			}
		}
		streamed := 0
		err := client.DescribeInOrder(inv.ctx, unread, func(chunk []string, got map[string]ecs.Instance) error {
			read += len(chunk)
			settle(at[read-1]+1, got)
			stream.page(found[streamed:])
			streamed = len(found)
			return nil
		})
		if err != nil {
			if !stream.acted() {
				return nil, nil, err
			}
			// Released already: what was read goes on (the known
			// instances too); the rest fails.
			var missed []string
			for _, id := range ids[next:] {
				if in, ok := known[id]; ok {
					keep(in)
				} else if !seen[id] {
					seen[id] = true
					missed = append(missed, id)
				}
			}
			return found, gone, &unreadError{ids: missed, err: err}
		}
		settle(len(ids), nil)
		stream.page(found[streamed:])
	}
	if sel, ok := inv.selectorFor(req); ok || extra != nil {
		if extra != nil {
			extra(&sel)
		}
		err := client.List(inv.ctx, sel, func(page []ecs.Instance) error {
			for _, in := range page {
				// A selector never reaches outside the managed scope: such
				// matches are neither acted on nor reported (or counted
				// against the cap). Named IDs outside it are reported as
				// skipped by the guards.
				if !inv.inScope(in) {
					continue
				}
				keep(in)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	if count > p.MaxInstances {
		return nil, nil, &request.Error{Code: CodeCapExceeded, Field: "maxInstances", Message: fmt.Sprintf(
			"the request matches %d instances, more than the cap of %d; nothing was done (narrow the selector, or raise MAX_INSTANCES in the deployment)", count, p.MaxInstances)}
	}
	return found, gone, nil
}

// inScope reports whether an instance carries the MANAGED_TAG (always true
// without a managed scope).
func (inv *invocation) inScope(in ecs.Instance) bool { return inv.policy.InScope(in) }

// screen applies the guards for action; refused instances become skipped
// outcomes with the guard's code. allowed reuses found's memory (found is
// not to be used after): a fleet's planning read is kept once, not copied.
func (inv *invocation) screen(a guard.Action, found []ecs.Instance) (allowed []ecs.Instance, refused []InstanceOutcome) {
	allowed = found[:0]
	for _, in := range found {
		if v := inv.policy.Check(a, in); !v.Allowed() {
			o := skipped(in.ID, v.Code, v.Reason)
			o.Status = in.Status
			refused = append(refused, o)
			continue
		}
		allowed = append(allowed, in)
	}
	return allowed, refused
}

// notFound is the outcome of a named instance none of the regions
// searched has (see regionChain); it names them all.
func notFound(id string, regions ...string) InstanceOutcome {
	if len(regions) == 1 {
		return skipped(id, CodeNotFound, fmt.Sprintf("not found in region %s: nothing done (released before this request, or in another region)", regions[0]))
	}
	return skipped(id, CodeNotFound, fmt.Sprintf("not found in regions %s: nothing done (released before this request, or in a region not searched)", strings.Join(regions, ", ")))
}

// prepareCommon resolves, caps and guards a plan for action.
func prepareCommon(inv *invocation, p config.Plan, origin string, a guard.Action) (*prepared, error) {
	client, err := inv.client(p.Region, origin)
	if err != nil {
		return nil, err
	}
	pr := &prepared{plan: p, origin: origin, client: client, readAt: inv.clock.Now(), readEpoch: inv.clock.epoch()}
	var known map[string]ecs.Instance
	if inv.h.fn == request.Release && p.Request.IsHandOver() {
		// The receipts' disks are read while the instances stop.
		pr.disks = inv.prefetchDisks(client, p.Request.InstanceIDs)
		known, pr.readAt, pr.readEpoch = inv.awaitHandOver(client, p.Request.InstanceIDs)
		pr.stream = inv.newReleaseStream(pr, a)
	}
	found, gone, err := inv.resolve(p, client, nil, known, pr.stream)
	unread, partial := unreadOutcomes(err)
	if err != nil && !partial {
		return nil, readError(err)
	}
	for _, id := range gone {
		pr.early = append(pr.early, notFound(id, p.Region))
	}
	pr.early = append(pr.early, unread...)
	allowed, refused := inv.screen(a, found)
	pr.early = append(pr.early, refused...)
	pr.targets = allowed
	// Metrics last: read only for what every cheaper filter and guard let
	// through.
	if err := inv.filterIdle(pr); err != nil {
		return nil, err
	}
	return pr, nil
}

// readError keeps request errors and wraps ECS read failures (the request
// could not even be resolved) so they fail the invocation.
func readError(err error) error {
	if _, ok := request.AsError(err); ok {
		return err
	}
	return fmt.Errorf("resolving targets: %w", err)
}
