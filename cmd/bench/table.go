package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/bench"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// width is the terminal width the table keeps to.
const width = 100

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

const mib = 1 << 20

// targetTexts label the targets and format their values, in the order
// printed.
var targetTexts = []struct {
	name, label  string
	value, bound func(float64) string
}{
	{bench.TargetNameCallsToBaseline, "calls / baseline's (median)", percent, percent},
	{bench.TargetNameCallsToMinimum, "calls / minimum (median)", fixed2, fixed2},
	{bench.TargetNameWallToLimit, "wall / limit (median)", fixed2, fixed2},
	{bench.TargetNamePeakRSS, "peak RSS of a function (largest of runs)", mibText, mibText},
	{bench.TargetNameCallsPerInstance, "calls per instance / 10,000's (medians)", times, times},
	{bench.TargetNameWallGrowth, "wall / limit, over 10,000's (medians)", times, times},
	{bench.TargetNameColdStart, "cold start / hello's", fixed2, fixed2},
	{bench.TargetNameBinary, "largest function binary", mibText, mibText},
	{bench.TargetNameIdle, "CloudMonitor calls / minimum, idle policy", fixed2, fixed2},
}

func percent(v float64) string { return strconv.FormatFloat(v*100, 'f', -1, 64) + "%" }
func fixed2(v float64) string  { return strconv.FormatFloat(v, 'f', -1, 64) }
func times(v float64) string   { return strconv.FormatFloat(v, 'f', -1, 64) + "x" }
func mibText(v float64) string { return fmt.Sprintf("%.1f MiB", v/mib) }

// round2 keeps measured values short; bounds print as given.
func round2(f func(float64) string, v float64, digits int) string {
	p := math.Pow(10, float64(digits))
	return f(math.Round(v*p) / p)
}

// grouped writes n with thousands separators: 10,000.
func grouped(n int) string {
	if n < 0 {
		return "-" + grouped(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// count writes a (median) count: grouped when whole, else one decimal.
func count(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return grouped(int(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// spread writes a median with the runs' range when they differ:
// "7.17 (7.10–7.30)".
func spread(st bench.Stats, scale float64, format string) string {
	m := fmt.Sprintf(format, st.Median/scale)
	lo, hi := fmt.Sprintf(format, st.Min/scale), fmt.Sprintf(format, st.Max/scale)
	if lo == hi {
		return m
	}
	return fmt.Sprintf("%s (%s–%s)", m, lo, hi)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func printTable(w io.Writer, r *bench.Report) {
	runs := "1 run"
	if r.RunsPerSize != 1 {
		runs = fmt.Sprintf("%d runs", r.RunsPerSize)
	}
	fmt.Fprintf(w, "\nCleanup chain stop -> release, %s per size (emulator: %v per call, %v stop delay)\n\n",
		runs, seconds(r.LatencySeconds), seconds(r.StopDelaySeconds))

	// Calls, medians over the runs.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "instances\tcalls\tminimum\tcalls/minimum\tcalls/instance\trecheck calls\t")
	for _, s := range r.Sizes {
		if len(s.Runs) == 0 {
			fmt.Fprintf(tw, "%s\tfailed\t%s\t\t\t\t\n", grouped(s.Instances), grouped(s.MinimumCalls))
			continue
		}
		recheck := "not reported"
		if s.RecheckReported {
			recheck = count(s.RecheckCalls.Median)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.4f\t%s\t\n", grouped(s.Instances), count(s.Calls.Median), grouped(s.MinimumCalls),
			s.CallsToMinimum.Median, s.CallsPerInstance.Median, recheck)
	}
	tw.Flush()
	fmt.Fprintln(w)

	// Time and memory: median (min–max) over the runs.
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "instances\twall s\tlimit s\twall/limit\tpeak RSS MiB\ttargets")
	for _, s := range r.Sizes {
		if len(s.Runs) == 0 {
			fmt.Fprintf(tw, "%s\tfailed\t%.2f\t\t\t%s\n", grouped(s.Instances), s.LimitSeconds, targetsCell(s))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%s\t%s\n", grouped(s.Instances), spread(s.WallSeconds, 1, "%.2f"), s.LimitSeconds,
			spread(s.WallToLimit, 1, "%.2f"), spread(s.PeakRSSBytes, mib, "%.1f"), targetsCell(s))
	}
	tw.Flush()
	if r.RunsPerSize > 1 {
		fmt.Fprintln(w, "(median, and min–max where the runs differ)")
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "minimum calls = 4 × ceil(N/100) + ceil(D/100) + P")
	fmt.Fprintln(w, wrap("    ", "  4 × ceil(N/100): the list that finds the N instances, StopInstances, the status read that sees them Stopped, DeleteInstances (100 instances a call each)"))
	fmt.Fprintln(w, wrap("    ", "  ceil(D/100): DescribeDisks pages over the D disks in the region (100 a page)"))
	fmt.Fprintln(w, wrap("    ", "  P: one DescribePrice per pricing function (stop, release) per distinct instance type"))
	fmt.Fprintln(w, wrap("    ", "  "+fleetNote(r)))
	fmt.Fprintln(w, "limit = "+bench.LimitFormula)
	fmt.Fprintln(w, wrap("  ", "floor: measured beside each run on a fresh emulator: the same fleet listed, stopped, read once Stopped and deleted by a bare client (the functions' ECS client, every batch at once), with no guard, verify, disk read, log or process boundary; wall / floor is each run's wall over its own floor"))
	fmt.Fprintln(w, wrap("  ", "recheck calls: the calls the functions make only as safety checks (apiCallsByPurpose recheck + verify in their summary lines)"+recheckNote(r)))

	printTargets(w, r)
	printOthers(w, r)
	printDetails(w, r)
}

// targetsCell sums up a size's verdicts: "3 of 4 met", "none", "failed".
func targetsCell(s bench.SizeReport) string {
	if s.Error != "" {
		return "failed"
	}
	if len(s.Verdicts) == 0 {
		return "none"
	}
	met := 0
	for _, ok := range s.Verdicts {
		if ok {
			met++
		}
	}
	return fmt.Sprintf("%d of %d met", met, len(s.Verdicts))
}

// fleetNote says what D and P were.
func fleetNote(r *bench.Report) string {
	var parts []string
	for _, s := range r.Sizes {
		if s.Disks == 0 && s.InstanceTypes == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("at %s D = %s, P = %d (%d instance type%s)", grouped(s.Instances), grouped(s.Disks),
			s.MinimumCallsByStep.DescribePrice, s.InstanceTypes, plural(s.InstanceTypes)))
	}
	if len(parts) == 0 {
		return "(no fleet was read)"
	}
	return "from the fleet in the emulator: " + strings.Join(parts, "; ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func recheckNote(r *bench.Report) string {
	var missing []string
	for _, s := range r.Sizes {
		if len(s.Runs) > 0 && !s.RecheckReported {
			missing = append(missing, grouped(s.Instances))
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "; not reported at " + strings.Join(missing, ", ") + ": the functions' summaries carry no apiCallsByPurpose (shown as 0 in JSON)"
}

func printTargets(w io.Writer, r *bench.Report) {
	fmt.Fprintln(w, "\nTargets")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "size\tmeasure\tvalue\ttarget\tverdict")
	row := func(size string, targets map[string]bench.Target, verdicts map[string]bool) {
		for _, t := range targetTexts {
			tg, ok := targets[t.name]
			if !ok {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t<= %s\t%s\n", size, t.label, round2(t.value, tg.Value, valueDigits(t.name)), t.bound(tg.Max), verdict(verdicts[t.name]))
		}
	}
	hasRef := false
	for _, s := range r.Sizes {
		hasRef = hasRef || (s.Instances == bench.TargetSize && s.Error == "" && len(s.Runs) > 0)
	}
	for _, s := range r.Sizes {
		row(grouped(s.Instances), s.Targets, s.Verdicts)
		if s.Instances == bench.GrowthSize && s.Error == "" && len(s.Runs) > 0 && !hasRef {
			fmt.Fprintf(tw, "%s\tcalls per instance and wall / limit, over 10,000's\t\tno complete 10,000 run\t\n", grouped(s.Instances))
		}
		if s.Error != "" && (s.Instances == bench.TargetSize || s.Instances == bench.GrowthSize) {
			fmt.Fprintf(tw, "%s\t(its targets)\t\t\tnot measured: a run failed\n", grouped(s.Instances))
		}
	}
	row("", r.Targets, r.Verdicts)
	tw.Flush()
}

// valueDigits: measured values are shown to 4 decimals for percentages
// and growth, 2 for the other ratios (MiB values format themselves).
func valueDigits(name string) int {
	switch name {
	case bench.TargetNameCallsToBaseline:
		return 4
	case bench.TargetNameCallsPerInstance, bench.TargetNameWallGrowth:
		return 3
	}
	return 2
}

func printOthers(w io.Writer, r *bench.Report) {
	fmt.Fprintln(w, "\nOther measures")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tthis project\tbaseline / reference\tratio")
	for _, s := range r.Sizes {
		if len(s.Runs) == 0 {
			continue
		}
		how := "baseline"
		if s.BaselineExtrapolated {
			how = "baseline, extrapolated"
		}
		fmt.Fprintf(tw, "wall time, %s instances\t%.2f s\t%s s (%s)\t%sx faster\n", grouped(s.Instances), s.WallSeconds.Median,
			grouped(int(math.Round(s.BaselineWallSeconds))), how, grouped(int(math.Round(s.BaselineWallSeconds/s.WallSeconds.Median))))
		fmt.Fprintf(tw, "wall / floor, %s instances\t%.2f s\tfloor %s s\t%s\n", grouped(s.Instances), s.WallSeconds.Median,
			spread(s.FloorSeconds, 1, "%.2f"), spread(s.WallToFloor, 1, "%.2f"))
		fmt.Fprintf(tw, "API calls, %s instances\t%s\t%s (%s)\t%.2f%%\n", grouped(s.Instances), count(s.Calls.Median), grouped(s.BaselineCalls), how, s.CallsToBaseline*100)
	}
	fmt.Fprintf(tw, "cold start, exec to first answer\t%.0f ms\t%.0f ms (hello)\t%.2f\n", r.ColdStartSeconds*1000, r.HelloColdStartSeconds*1000, r.ColdStartRatio)
	fmt.Fprintf(tw, "largest function binary\t%.1f MiB\n", float64(r.BinaryBytes)/mib)
	if i := r.Idle; i != nil {
		fmt.Fprintf(tw, "CloudMonitor calls, idle policy\t%s\t%s (minimum)\t%.2f\n", grouped(i.Calls), grouped(i.Minimum), i.Ratio)
	}
	tw.Flush()
}

func printDetails(w io.Writer, r *bench.Report) {
	fmt.Fprintln(w)
	for _, s := range r.Sizes {
		if s.Error != "" {
			fmt.Fprintln(w, wrap("  ", fmt.Sprintf("%s instances FAILED: %s", grouped(s.Instances), s.Error)))
		}
		if s.MedianRun < 0 {
			continue
		}
		m := s.Runs[s.MedianRun]
		fmt.Fprintln(w, wrap("    ", fmt.Sprintf("%s instances, median run (%d of %d): stop %.2f s, release %.2f s, %s released, hand-over %s KiB",
			grouped(s.Instances), s.MedianRun+1, len(s.Runs), m.StopSeconds, m.ReleaseSeconds, grouped(m.Released), grouped(m.HandOverBytes>>10))))
		fmt.Fprintln(w, wrap("    ", "  calls by action: "+countsText(s.CallsByAction)))
		if m.RecheckReported {
			fmt.Fprintln(w, wrap("    ", "  calls by purpose (the functions' count): "+countsText(m.CallsByPurpose)))
		}
		fmt.Fprintf(w, "  peak RSS by function: %s\n", rssText(s.PeakRSSByFunction))
	}
	b := r.Baseline
	fmt.Fprintln(w, wrap("  ", fmt.Sprintf("baseline (per instance: StopInstance, poll DescribeInstances every %v until Stopped, DeleteInstance; one after another): measured once at %d instance%s (%d calls, %.1f s) and extrapolated linearly to each size",
		seconds(b.PollSeconds), b.MeasuredInstances, plural(b.MeasuredInstances), b.MeasuredCalls, b.MeasuredWallSeconds)))
	if i := r.Idle; i != nil {
		fmt.Fprintln(w, wrap("  ", fmt.Sprintf("idle policy (24h at 5m, CPU and network, dry run) over %s instances: %.0f DescribeMetricList calls per 1,000 instances, %.2f s, peak RSS %.1f MiB, %d selected, skipped %s",
			grouped(i.Instances), i.CallsPer1000, i.Seconds, float64(i.PeakRSSBytes)/mib, i.Selected, countsText(i.SkippedByCode))))
		fmt.Fprintln(w, wrap("    ", fmt.Sprintf("  calls by metric: %s; instances read by metric: %s", countsText(i.CallsByMetric), countsText(i.ReadsByMetric))))
		fmt.Fprintln(w, wrap("    ", fmt.Sprintf("  minimum: per metric, max(ceil(instances/%d), ceil(datapoints/%d)) for the instances read, %d datapoints each", ecs.MaxMetricInstances, ecs.MetricPageLength, i.PointsExpected)))
	}
}

// wrap breaks text into lines of at most width columns at spaces; lines
// after the first start with indent.
func wrap(indent, text string) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(text) {
		n := len([]rune(word))
		switch {
		case i == 0:
			// A leading indent of the text itself is kept.
			lead := text[:len(text)-len(strings.TrimLeft(text, " "))]
			b.WriteString(lead + word)
			line = len(lead) + n
		case line+1+n > width:
			b.WriteString("\n" + indent + word)
			line = len(indent) + n
		default:
			b.WriteString(" " + word)
			line += 1 + n
		}
	}
	return b.String()
}

// countsText lists counts by name, sorted: "DeleteInstances=100 StopInstances=100".
func countsText(m map[string]int) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// rssText lists peak RSS by function, sorted: "release 14.2 MiB, stop 12.1 MiB".
func rssText(m map[string]int64) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %.1f MiB", k, float64(m[k])/mib))
	}
	return strings.Join(parts, ", ")
}
