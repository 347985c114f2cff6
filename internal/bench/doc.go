// Package bench measures a cleanup at fleet scale against the ECS emulator,
// in one process run: this project's real stop → release chain (the
// function binaries under the local FC runtime, the hand-over as FC's
// destination record) at each of several fleet sizes, a number of runs
// each on a fresh emulator and fresh function processes (min, median and
// max per figure); beside it, per size, the minimum calls the work cannot
// avoid (MinimumFormula, read from the fleet the benchmark builds), the
// limit (LimitFormula: the stop delay plus the minimum round trips), the
// calls the functions report as made only for safety checks (their
// summary lines' apiCallsByPurpose), and the seed-style baseline (per
// instance: StopInstance, poll DescribeInstances until Stopped,
// DeleteInstance, sequentially, as the Alibaba Cloud sample does; measured
// once at a few instances and extrapolated linearly to each size). Cold
// starts, binary sizes and the idle policy's CloudMonitor reads are
// measured once. Targets and verdicts are in targets.go; cmd/bench prints
// the figures.
package bench
