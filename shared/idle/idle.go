// Package idle decides, from CloudMonitor datapoints, whether an instance
// has been idle over a window. It is pure: the datapoints come in, a
// verdict with its reason goes out.
//
// The rules, conservative on purpose (a wrong "idle" costs a machine
// someone uses):
//
//   - The window is (end-window, end], end being the last whole period
//     before now (the period in progress is not complete yet).
//   - An instance is busy if any datapoint of any metric with a threshold
//     is at or above it — whatever the coverage: it was used.
//   - Otherwise it is idle only if every metric has datapoints covering
//     the window: at least Coverage (90%) of the periods it spans. An
//     instance created inside the window, stopped for part of it, or not
//     monitored does not have them: "insufficient data", which is not idle
//     unless the request says noData: idle.
//   - With NoDataRequired only an instance without a single datapoint in
//     the window — one that did not run at all — is idle; any datapoint
//     means it ran ("ran").
//   - Statistic Maximum (the default) compares each datapoint's maximum,
//     so one busy minute in a 5-minute period counts; Average compares the
//     period's average.
package idle

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Metrics of namespace acs_ecs_dashboard (CloudMonitor's ECS host
// metrics, read without an agent). CPU is in percent; the network rates
// are in bit/s.
const (
	Namespace = "acs_ecs_dashboard"
	CPU       = "CPUUtilization"
	// Private network, in and out (every instance).
	IntranetIn  = "IntranetInRate"
	IntranetOut = "IntranetOutRate"
	// Public network of a classic-network instance.
	InternetIn  = "InternetInRate"
	InternetOut = "InternetOutRate"
	// Public IP or elastic IP of a VPC instance.
	VPCPublicIn  = "VPC_PublicIP_InternetInRate"
	VPCPublicOut = "VPC_PublicIP_InternetOutRate"
)

// Coverage is the share of a window's periods each metric must have a
// datapoint for before an instance can be called idle.
const Coverage = 0.9

// NetworkMetrics are the network rates read for an instance: private in
// and out always; public in and out when it has a public address, named
// by its network type (classic or VPC).
func NetworkMetrics(classic, public bool) []string {
	out := []string{IntranetIn, IntranetOut}
	switch {
	case public && classic:
		out = append(out, InternetIn, InternetOut)
	case public:
		out = append(out, VPCPublicIn, VPCPublicOut)
	}
	return out
}

// Point is one datapoint of a metric.
type Point struct {
	At                    time.Time
	Minimum, Average, Max float64
}

// Rule is what idle means for one request.
type Rule struct {
	Window, Period time.Duration
	// CPUBelow (percent) and NetworkBelowBps (bit/s): nil means not
	// checked.
	CPUBelow, NetworkBelowBps *float64
	// Average compares the periods' averages instead of their maxima.
	Average bool
	// NoDataIdle: an instance without enough datapoints counts as idle.
	NoDataIdle bool
	// NoDataRequired: only an instance without any datapoint is idle.
	NoDataRequired bool
}

// Span is the window of a rule ending at the last whole period before
// now: (Start, End].
func (r Rule) Span(now time.Time) (start, end time.Time) {
	end = now.UTC().Truncate(r.Period)
	return end.Add(-r.Window), end
}

// Expected is the number of periods in the window.
func (r Rule) Expected() int { return int(r.Window / r.Period) }

// Codes of a verdict.
const (
	CodeIdle             = ""
	CodeBusy             = "busy"
	CodeInsufficientData = "insufficient-data"
	// CodeRan: a datapoint in the window, where none was required.
	CodeRan = "ran"
)

// Verdict is the decision for one instance.
type Verdict struct {
	Idle bool
	// Code is CodeBusy or CodeInsufficientData when not idle, and
	// CodeInsufficientData too when idle only because noData says so.
	Code   string
	Reason string
}

// Summary is what a verdict needs of one metric's datapoints: how many
// fall in the window, the highest value, and the earliest one at or above
// the threshold. It is small, so that a fleet's series need not be kept:
// each page of datapoints is summarized as it arrives and merged.
type Summary struct {
	N      int
	Top    float64
	Busy   bool
	BusyV  float64
	BusyAt time.Time
}

// Summarize reduces one metric's datapoints (any order, repeats allowed)
// to its summary over (start, end].
func (r Rule) Summarize(metric string, start, end time.Time, ps []Point) Summary {
	var s Summary
	limit, _ := r.limitOf(metric)
	for _, p := range inWindow(ps, start, end) {
		v := r.value(p)
		s.N++
		s.Top = max(s.Top, v)
		if limit != nil && v >= *limit && !s.Busy {
			s.Busy, s.BusyV, s.BusyAt = true, v, p.At
		}
	}
	return s
}

// Merge combines the summaries of disjoint parts of a metric's window.
func (s Summary) Merge(o Summary) Summary {
	out := Summary{N: s.N + o.N, Top: max(s.Top, o.Top)}
	switch {
	case s.Busy && (!o.Busy || !o.BusyAt.Before(s.BusyAt)):
		out.Busy, out.BusyV, out.BusyAt = true, s.BusyV, s.BusyAt
	case o.Busy:
		out.Busy, out.BusyV, out.BusyAt = true, o.BusyV, o.BusyAt
	}
	return out
}

// Evaluate decides over the datapoints of each metric read (by metric
// name; a metric with a threshold that is missing from points has none).
// metrics are the metrics the rule needs, in the order to report them.
func (r Rule) Evaluate(start, end time.Time, metrics []string, points map[string][]Point) Verdict {
	sums := make(map[string]Summary, len(metrics))
	for _, m := range metrics {
		sums[m] = r.Summarize(m, start, end, points[m])
	}
	return r.Decide(metrics, sums)
}

// Decide is the verdict from each metric's summary (a metric missing from
// sums has no datapoint).
func (r Rule) Decide(metrics []string, sums map[string]Summary) Verdict {
	expected := r.Expected()
	if r.NoDataRequired {
		for _, m := range metrics {
			if n := sums[m].N; n > 0 {
				return Verdict{Code: CodeRan, Reason: fmt.Sprintf("ran in the last %s: %d of %d points of %s (noData \"required\" selects only an instance without any)", shortDuration(r.Window), n, expected, m)}
			}
		}
		return Verdict{Idle: true, Reason: fmt.Sprintf("no datapoint in the last %s: it did not run", shortDuration(r.Window))}
	}
	need := max(1, int(float64(expected)*Coverage+0.999999))
	// Busy first: any point at or above a threshold.
	for _, m := range metrics {
		limit, unit := r.limitOf(m)
		if s := sums[m]; limit != nil && s.Busy {
			return Verdict{Code: CodeBusy, Reason: fmt.Sprintf("busy: %s %s %s at %s (threshold %s)",
				label(m), r.statWord(), format(s.BusyV, unit), s.BusyAt.UTC().Format("2006-01-02T15:04Z"), format(*limit, unit))}
		}
	}
	// Then coverage.
	for _, m := range metrics {
		if limit, _ := r.limitOf(m); limit == nil {
			continue
		}
		if n := sums[m].N; n < need {
			reason := fmt.Sprintf("insufficient data: %d of %d points of %s in the last %s (at least %d needed)", n, expected, m, shortDuration(r.Window), need)
			if r.NoDataIdle {
				return Verdict{Idle: true, Code: CodeInsufficientData, Reason: "idle by noData: " + reason}
			}
			return Verdict{Code: CodeInsufficientData, Reason: reason}
		}
	}
	var parts []string
	for _, m := range metrics {
		limit, unit := r.limitOf(m)
		if limit == nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s %s (%d of %d points)", label(m), r.statWord(), format(sums[m].Top, unit), sums[m].N, expected))
	}
	return Verdict{Idle: true, Reason: "idle for " + shortDuration(r.Window) + ": " + strings.Join(parts, ", ")}
}

func (r Rule) limitOf(metric string) (*float64, string) {
	if metric == CPU {
		return r.CPUBelow, "%"
	}
	return r.NetworkBelowBps, "bit/s"
}

func (r Rule) value(p Point) float64 {
	if r.Average {
		return p.Average
	}
	return p.Max
}

func (r Rule) statWord() string {
	if r.Average {
		return "avg"
	}
	return "max"
}

// inWindow keeps the points in (start, end], one per timestamp (a page
// boundary or a retried read may repeat one), in time order.
func inWindow(ps []Point, start, end time.Time) []Point {
	out := make([]Point, 0, len(ps))
	for _, p := range ps {
		if p.At.After(start) && !p.At.After(end) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b Point) int { return a.At.Compare(b.At) })
	return slices.CompactFunc(out, func(a, b Point) bool { return a.At.Equal(b.At) })
}

func label(metric string) string {
	if metric == CPU {
		return "CPU"
	}
	return "network " + metric
}

// format writes a value in its unit; network rates in kbit/s, the unit of
// the request's threshold.
func format(v float64, unit string) string {
	if unit == "%" {
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(math.Round(v/10)/100, 'f', -1, 64) + " kbit/s"
}

// shortDuration writes a window as a request would: "7d", "24h", "90m".
func shortDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}
