package handler

import (
	"fmt"
	"slices"

	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/idle"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// Codes of instances an idle selector leaves out (see package idle).
const (
	CodeBusy             = idle.CodeBusy
	CodeInsufficientData = idle.CodeInsufficientData
	CodeRan              = idle.CodeRan
	// CodeMetricsUnavailable is the request error when CloudMonitor could
	// not be read: nothing is judged idle without its metrics.
	CodeMetricsUnavailable = "MetricsUnavailable"
)

// ruleOf turns a request's idle selector into a rule.
func ruleOf(s *request.IdleSpec) idle.Rule {
	r := idle.Rule{Window: s.Window(), Period: s.PeriodDuration(), CPUBelow: s.CPUBelow,
		Average: s.EffectiveStatistic() == request.StatisticAverage, NoDataIdle: s.NoDataIsIdle(), NoDataRequired: s.NoDataIsRequired()}
	if s.NetworkBelowKbps != nil {
		bps := *s.NetworkBelowKbps * 1000
		r.NetworkBelowBps = &bps
	}
	return r
}

// metricsOf are the metrics the rule reads for an instance: CPU first
// (it settles most), then its network rates.
func metricsOf(r idle.Rule, in ecs.Instance) []string {
	var out []string
	// CPUUtilization is reported whenever an instance runs: it alone tells
	// whether one ran at all (noData "required").
	if r.CPUBelow != nil || (r.NoDataRequired && r.NetworkBelowBps == nil) {
		out = append(out, idle.CPU)
	}
	if r.NetworkBelowBps != nil {
		public := len(in.PublicIPs) > 0 || in.EIPAddress != ""
		out = append(out, idle.NetworkMetrics(in.VpcID == "", public)...)
	}
	return out
}

// filterIdle narrows a prepared request's targets (already past the
// guards, so metrics are read for nothing else) to those its selector's
// idle rule finds idle; the others are reported with their reason.
// Metrics are read one metric at a time for every instance still in
// question: an instance found busy on one is not read further. Any read
// that fails after its retries refuses the request: nothing is judged idle
// without its metrics.
func (inv *invocation) filterIdle(pr *prepared) error {
	sel := pr.plan.Request.Selector
	if sel == nil || sel.Idle == nil || len(pr.targets) == 0 {
		return nil
	}
	rule := ruleOf(sel.Idle)
	start, end := rule.Span(inv.clock.Now())
	cms, err := inv.metricsClient(pr.plan.Region, pr.origin)
	if err != nil {
		return err
	}
	needs := map[string][]string{}
	sums := map[string]map[string]idle.Summary{}
	var order []string // every metric any target needs, in reading order
	for _, in := range pr.targets {
		needs[in.ID] = metricsOf(rule, in)
		sums[in.ID] = map[string]idle.Summary{}
		for _, m := range needs[in.ID] {
			if !slices.Contains(order, m) {
				order = append(order, m)
			}
		}
	}
	settled := map[string]bool{} // busy, or ran where none was wanted
	for _, m := range order {
		var ids []string
		for _, in := range pr.targets {
			if !settled[in.ID] && slices.Contains(needs[in.ID], m) {
				ids = append(ids, in.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		q := ecs.MetricQuery{Namespace: idle.Namespace, Metric: m, Period: rule.Period, Start: start, End: end, InstanceIDs: ids}
		err := cms.MetricList(inv.ctx, q, func(id string, got []ecs.MetricPoint) {
			ps := make([]idle.Point, len(got))
			for i, p := range got {
				ps[i] = idle.Point{At: p.At, Minimum: p.Minimum, Average: p.Average, Max: p.Maximum}
			}
			sums[id][m] = sums[id][m].Merge(rule.Summarize(m, start, end, ps))
		})
		if err != nil {
			return &request.Error{Code: CodeMetricsUnavailable, Field: "selector.idle", Message: fmt.Sprintf(
				"CloudMonitor could not be read (%s %s): no instance is judged idle without its metrics; nothing was done", m, inv.redact.String(err.Error()))}
		}
		for _, id := range ids {
			if c := rule.Decide([]string{m}, sums[id]).Code; c == idle.CodeBusy || c == idle.CodeRan {
				settled[id] = true
			}
		}
	}
	kept := pr.targets[:0:0]
	for _, in := range pr.targets {
		v := rule.Decide(needs[in.ID], sums[in.ID])
		if !v.Idle {
			o := skipped(in.ID, v.Code, v.Reason)
			o.Status = in.Status
			pr.early = append(pr.early, o)
			continue
		}
		inv.log.Info("idle", "instanceId", in.ID, "reason", v.Reason)
		kept = append(kept, in)
	}
	pr.targets = kept
	return nil
}

// metricsClient is the invocation's CloudMonitor client for a region.
func (inv *invocation) metricsClient(region, origin string) (*ecs.Client, error) {
	return inv.cachedClient("cms|"+region, func() (*ecs.Client, error) {
		base := inv.baseConfig(origin, inv.cfg.CMSMaxQPS)
		// Few workers: each holds a page of up to 1,440 datapoints while it
		// is decoded, and CloudMonitor allows 50 calls a second per account.
		base.Concurrency = min(4, base.Concurrency)
		return ecs.NewMetricsForInvocation(inv.ctx, region, inv.h.deps.Getenv, base)
	})
}
