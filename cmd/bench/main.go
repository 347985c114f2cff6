// Command bench measures a cleanup at fleet scale against the ECS emulator
// and prints this project's figures beside the seed-style baseline's and
// the limit, measured in one run. See internal/bench.
//
//	go run ./cmd/bench                       # 10,000 instances, 20 ms latency, 5 s stop delay
//	go run ./cmd/bench --json                # one JSON object
//	go run ./cmd/bench --instances 1000 --baseline-instances 3
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/bench"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// Targets (issue: cleanup cost and speed at 10,000 instances).
const (
	targetCallsRatio = 0.01
	targetWallRatio  = 1.3
	targetRSS        = 64 << 20
	targetColdRatio  = 1.5
	// targetIdleRatio: CloudMonitor calls of the idle policy within 1.2×
	// the minimum the API allows for the same reads.
	targetIdleRatio = 1.2
	targetBinary    = 25 << 20
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.Options
	fs.IntVar(&o.Instances, "instances", 10000, "fleet size for this project's stop -> release chain")
	fs.IntVar(&o.BaselineInstances, "baseline-instances", 5, "fleet size the sequential baseline runs at; its figures are extrapolated linearly to --instances")
	fs.DurationVar(&o.Latency, "latency", 20*time.Millisecond, "emulator latency per API call")
	fs.DurationVar(&o.StopDelay, "stop-delay", 5*time.Second, "emulator Stopping -> Stopped delay")
	fs.DurationVar(&o.BaselinePoll, "baseline-poll", time.Second, "how often the baseline polls DescribeInstances while an instance stops")
	fs.IntVar(&o.ColdStarts, "cold-starts", 5, "cold starts measured per binary (the median is reported)")
	fs.BoolVar(&o.SkipIdle, "skip-idle", false, "leave out the idle policy's CloudMonitor measurement")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the table")
	fs.StringVar(&o.LogDir, "function-logs", "", "directory to write each function's log to (stop.log, release.log)")
	root := fs.String("root", ".", "the module root (where go.mod is)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./cmd/bench [flags]\n\nMeasures one stop -> release cleanup at fleet scale against the ECS emulator,\nbeside a sequential baseline and the limit measured in the same run.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // asked for: the usage is printed, exit 0
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if o.Instances < 1 || o.BaselineInstances < 1 || o.ColdStarts < 1 {
		return fmt.Errorf("--instances, --baseline-instances and --cold-starts must be at least 1")
	}
	abs, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
		return fmt.Errorf("--root %s: no go.mod (run from the repository root)", abs)
	}
	if !*asJSON {
		o.Log = func(format string, args ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", args...) }
	}
	rep, err := bench.Run(ctx, abs, o)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printTable(stdout, rep)
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func printTable(w io.Writer, r *bench.Report) {
	fmt.Fprintf(w, "\nCleanup of %d instances (emulator: %v per call, %v stop delay)\n\n", r.Instances,
		time.Duration(r.LatencySeconds*float64(time.Second)), time.Duration(r.StopDelaySeconds*float64(time.Second)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tthis project\tbaseline / reference\tratio\ttarget\t")
	fmt.Fprintf(tw, "API calls\t%d\t%d\t%.4f\t<= %.2f\t%s\n", r.Calls, r.BaselineCalls, r.CallsRatio, targetCallsRatio, verdict(r.CallsRatio <= targetCallsRatio))
	fmt.Fprintf(tw, "wall time\t%.2f s\t%.0f s (baseline)\t%.1fx faster\t\t\n", r.WallSeconds, r.BaselineWallSeconds, r.BaselineWallSeconds/r.WallSeconds)
	fmt.Fprintf(tw, "wall time vs limit\t%.2f s\t%.2f s (limit)\t%.2f\t<= %.1f\t%s\n", r.WallSeconds, r.LimitSeconds, r.WallToLimit, targetWallRatio, verdict(r.WallToLimit <= targetWallRatio))
	fmt.Fprintf(tw, "peak RSS of a function\t%.1f MiB\t\t\t<= 64 MiB\t%s\n", float64(r.PeakRSSBytes)/(1<<20), verdict(r.PeakRSSBytes <= targetRSS))
	fmt.Fprintf(tw, "cold start\t%.0f ms\t%.0f ms (hello)\t%.2f\t<= %.1f\t%s\n", r.ColdStartSeconds*1000, r.HelloColdStartSeconds*1000, r.ColdStartRatio, targetColdRatio, verdict(r.ColdStartRatio <= targetColdRatio))
	fmt.Fprintf(tw, "largest function binary\t%.1f MB\t\t\t<= 25 MB\t%s\n", float64(r.BinaryBytes)/1e6, verdict(r.BinaryBytes <= targetBinary))
	if i := r.Idle; i != nil {
		fmt.Fprintf(tw, "CloudMonitor calls, idle policy\t%d\t%d (minimum)\t%.2f\t<= %.1f\t%s\n", i.Calls, i.Minimum, i.Ratio, targetIdleRatio, verdict(i.Ratio <= targetIdleRatio))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nthis project: stop %.2f s, release %.2f s, %d released; calls by action: %s\n", r.StopSeconds, r.ReleaseSeconds, r.Released, countsText(r.CallsByAction))
	fmt.Fprintf(w, "peak RSS by function: %s\n", rssText(r.PeakRSSByFunction))
	if r.BaselineExtrapolated {
		fmt.Fprintf(w, "baseline: measured at %d instances (%d calls, %.1f s) and extrapolated linearly to %d\n", r.BaselineMeasuredN, r.BaselineMeasuredCalls, r.BaselineMeasuredWall, r.Instances)
	}
	fmt.Fprintln(w, "limit: the stop delay plus 4 round trips (find, stop, see Stopped, release; every batch in parallel)")
	if i := r.Idle; i != nil {
		fmt.Fprintf(w, "idle policy (24h at 5m, CPU and network, dry run) over %d instances: %.0f DescribeMetricList calls per 1,000 instances, %.2f s, peak RSS %.1f MiB, %d selected, skipped %s\n",
			i.Instances, i.CallsPer1000, i.Seconds, float64(i.PeakRSSBytes)/(1<<20), i.Selected, countsText(i.SkippedByCode))
		fmt.Fprintf(w, "  calls by metric: %s; instances read by metric: %s\n", countsText(i.CallsByMetric), countsText(i.ReadsByMetric))
		fmt.Fprintf(w, "  minimum: per metric, max(ceil(instances/%d), ceil(datapoints/%d)) for the instances read, %d datapoints each\n", ecs.MaxMetricInstances, ecs.MetricPageLength, i.PointsExpected)
	}
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
		parts = append(parts, fmt.Sprintf("%s %.1f MiB", k, float64(m[k])/(1<<20)))
	}
	return strings.Join(parts, ", ")
}
