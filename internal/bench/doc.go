// Package bench measures a cleanup at fleet scale against the ECS emulator,
// in one process run: this project's real stop → release chain (the
// function binaries under the local FC runtime, the hand-over as FC's
// destination record), the seed-style baseline (per instance: StopInstance,
// poll DescribeInstances until Stopped, DeleteInstance, sequentially, as the
// Alibaba Cloud sample does), and the limit (the stop delay plus the
// minimum round trips). cmd/bench prints the figures.
package bench
