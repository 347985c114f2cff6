// Command bench measures a cleanup at fleet scale against the ECS emulator
// and prints this project's figures per fleet size beside the minimum calls,
// the limit and the seed-style baseline, measured in one run. See
// internal/bench.
//
//	go run ./cmd/bench                       # 1,000, 10,000 and 50,000 instances, 20 ms latency, 5 s stop delay
//	go run ./cmd/bench --json                # one JSON object
//	go run ./cmd/bench --instances 1000,10000 --runs 3 --baseline-instances 3
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/bench"
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
	sizes := fs.String("instances", "1000,10000,50000", "comma-separated fleet sizes for this project's stop -> release chain")
	fs.IntVar(&o.Runs, "runs", 1, "runs of the chain per size, each on a fresh emulator and fresh function processes (min, median and max are reported)")
	fs.IntVar(&o.BaselineInstances, "baseline-instances", 5, "fleet size the sequential baseline runs at, once; its figures are extrapolated linearly to each size")
	fs.IntVar(&o.IdleInstances, "idle-instances", 10000, "fleet size the idle policy's CloudMonitor reads are measured at")
	fs.DurationVar(&o.Latency, "latency", 20*time.Millisecond, "emulator latency per API call")
	fs.DurationVar(&o.StopDelay, "stop-delay", 5*time.Second, "emulator Stopping -> Stopped delay")
	fs.DurationVar(&o.BaselinePoll, "baseline-poll", time.Second, "how often the baseline polls DescribeInstances while an instance stops")
	fs.IntVar(&o.ColdStarts, "cold-starts", 5, "cold starts measured per binary (the median is reported)")
	fs.BoolVar(&o.SkipIdle, "skip-idle", false, "leave out the idle policy's CloudMonitor measurement")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the table")
	fs.StringVar(&o.LogDir, "function-logs", "", "directory to write each run's function logs to (stop-<instances>-<run>.log, release-<instances>-<run>.log)")
	root := fs.String("root", ".", "the module root (where go.mod is)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./cmd/bench [flags]\n\nMeasures stop -> release cleanups at fleet scale against the ECS emulator, per fleet\nsize, beside the minimum calls, the limit and a sequential baseline measured in the same run.\n\nFlags:")
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
	var err error
	if o.Sizes, err = parseSizes("instances", *sizes); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"runs", o.Runs}, {"baseline-instances", o.BaselineInstances}, {"idle-instances", o.IdleInstances}, {"cold-starts", o.ColdStarts}} {
		if f.v < 1 {
			return fmt.Errorf("--%s %d: must be at least 1", f.name, f.v)
		}
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
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printTable(stdout, rep)
	}
	// Printed in full first; a size whose runs failed still fails the command.
	return rep.Err()
}

// parseSizes reads a comma-separated list of fleet sizes (spaces around
// items allowed): whole numbers, at least 1, each once. They are returned
// in ascending order.
func parseSizes(flagName, s string) ([]int, error) {
	var sizes []int
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("--%s %q: item %d is empty (want a comma-separated list of fleet sizes, e.g. 1000,10000)", flagName, s, i+1)
		}
		n, err := strconv.Atoi(item)
		if err != nil {
			return nil, fmt.Errorf("--%s %q: %q is not a whole number of instances", flagName, s, item)
		}
		if n < 1 {
			return nil, fmt.Errorf("--%s %q: %d: a fleet size must be at least 1", flagName, s, n)
		}
		if slices.Contains(sizes, n) {
			return nil, fmt.Errorf("--%s %q: %d appears twice", flagName, s, n)
		}
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	return sizes, nil
}
