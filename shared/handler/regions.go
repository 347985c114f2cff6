package handler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// The region rule. ECS is regional: an instance is read and acted on
// through a client of its region. A named instance is looked up in, in
// order (each region once):
//
//  1. the region its ARN names (instanceIds may hold
//     acs:ecs:REGION:ACCOUNT:instance/ID), or its event's (an ECS event
//     names its instance's region: that is the request's region);
//  2. the request's region;
//  3. the function's: DEFAULT_REGION, then the region FC runs it in.
//
// It is looked for in the next region only when the one before does not
// have it; one found nowhere is skipped with code not-found, naming every
// region searched. A selector lists the request's region (2, else 3) only.
//
// One request may so name instances in several regions: it is prepared
// once per region, each part with its region's client and the request's
// own options, as one request (outcomes carry its number when the
// invocation has several). The cap counts the request's instances across
// its regions, the invocation's across its requests; an instance found by
// two requests is one instance (duplicate or conflict, as in one region).
// Stop hands each region's part over to release on its own, with that
// region.

// regionChain is where an instance is looked for, in order: arnRegion
// (its ARN's, "" for a bare ID), the request's region, DEFAULT_REGION, the
// function's region; each once, blanks left out.
func (inv *invocation) regionChain(arnRegion string, req request.Request) []string {
	var out []string
	for _, r := range []string{arnRegion, req.Region, inv.cfg.DefaultRegion, inv.functionRegion()} {
		if r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// prepareRegions prepares one request region by region (see the region
// rule): its named instances go to the first region of their chain, the
// selector to the plan's region; those a region does not have go on to the
// next region of their chain. Every part keeps the request's options, with
// its own region (plan.Region) and only its instance IDs (bare).
func (h *Handler) prepareRegions(inv *invocation, p config.Plan, origin string) ([]*prepared, error) {
	req := p.Request
	if len(req.InstanceIDs) == 0 {
		pr, err := h.prepare(inv, p, origin)
		if err != nil {
			return nil, err
		}
		return []*prepared{pr}, nil
	}
	type named struct {
		id    string
		chain []string
		at    int // the chain's region being searched
		pos   int // its place in instanceIds
	}
	byID := make(map[string]*named, len(req.InstanceIDs))
	todo := make([]*named, 0, len(req.InstanceIDs))
	for pos, ref := range req.InstanceIDs {
		id, region, ok := request.ParseInstanceRef(ref)
		if !ok { // Decode validated it; keep it as given
			id = ref
		}
		chain := inv.regionChain(region, req)
		if len(chain) == 0 {
			chain = []string{p.Region}
		}
		n := &named{id: id, chain: chain, pos: pos}
		byID[id] = n
		todo = append(todo, n)
	}
	var preps []*prepared
	var nowhere []*named
	for round := 0; len(todo) > 0 || (round == 0 && req.Selector != nil); round++ {
		var order []string
		groups := map[string][]string{}
		if round == 0 && req.Selector != nil {
			order = append(order, p.Region)
		}
		for _, n := range todo {
			r := n.chain[n.at]
			if _, ok := groups[r]; !ok && !slices.Contains(order, r) {
				order = append(order, r)
			}
			groups[r] = append(groups[r], n.id)
		}
		var next []*named
		for _, region := range order {
			part := p
			part.Region = region
			part.Request.InstanceIDs = groups[region]
			if round > 0 || region != p.Region {
				part.Request.Selector = nil
			}
			pr, err := h.prepare(inv, part, origin)
			if err != nil && !inv.streamed {
				return nil, err
			}
			if err != nil {
				// An earlier part released instances as its planning read
				// arrived (stream.go): failing the invocation now would
				// lose their receipts. This part's instances end failed
				// (retryable); the run goes on for the rest.
				pr = &prepared{plan: part, origin: origin}
				for _, id := range groups[region] {
					pr.early = append(pr.early, retryableFailure(id, err))
				}
			}
			// Not here: on to the next region of its chain.
			pr.early = slices.DeleteFunc(pr.early, func(o InstanceOutcome) bool {
				n := byID[o.InstanceID]
				if o.Code != CodeNotFound || n == nil || n.chain[n.at] != region {
					return false
				}
				if n.at++; n.at < len(n.chain) {
					next = append(next, n)
				} else {
					nowhere = append(nowhere, n)
				}
				return true
			})
			preps = append(preps, pr)
		}
		todo = next
	}
	// Named instances found in no region: reported once, with the request's
	// first part, in the order named.
	slices.SortFunc(nowhere, func(a, b *named) int { return a.pos - b.pos })
	for _, n := range nowhere {
		preps[0].early = append(preps[0].early, notFound(n.id, n.chain...))
	}
	if len(preps) > 1 {
		if n := matched(preps); n > p.MaxInstances {
			var regions []string
			for _, pr := range preps {
				if !slices.Contains(regions, pr.plan.Region) {
					regions = append(regions, pr.plan.Region)
				}
			}
			return nil, &request.Error{Code: CodeCapExceeded, Field: "maxInstances", Message: fmt.Sprintf(
				"the request matches %d instances in regions %s, more than the cap of %d; nothing was done (narrow it, or raise MAX_INSTANCES in the deployment)", n, strings.Join(regions, ", "), p.MaxInstances)}
		}
	}
	return preps, nil
}

// requestCount is how many requests of the invocation the prepared parts
// belong to (a request spanning regions is prepared once per region).
func requestCount(preps []*prepared) int {
	seen := map[int]bool{}
	for _, pr := range preps {
		seen[pr.index] = true
	}
	return len(seen)
}
