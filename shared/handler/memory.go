package handler

import (
	"runtime/debug"
	"strconv"
)

// maxFunctionMemoryMB is FC's largest function memory (32 GB): a larger
// value is not FC's and is ignored rather than shifted into an overflow.
const maxFunctionMemoryMB = 32 << 10

// memoryShare is the part of the function's memory the Go runtime is held
// to (a soft limit: the garbage collector works harder near it). The rest
// is left to the binary, the OS and headroom; FC kills a function that
// exceeds its memory size. A function process then peaks at about this
// share plus 9 MB: 46 MB at 128 MB, with a cleanup of 10,000 instances
// (measured by the benchmark; 0.32 gave 49.5 MB and a 2% faster chain).
const memoryShare = 0.29

// TuneMemory sets the Go runtime's soft memory limit to a share of the
// function's memory (FC_FUNCTION_MEMORY_SIZE, in MB), so a run over
// thousands of instances collects garbage before it grows near the
// function's size. GOMEMLIMIT, when set, wins. It returns the limit set
// (0: none).
func TuneMemory(getenv func(string) string) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return 0
	}
	mb, err := strconv.Atoi(getenv("FC_FUNCTION_MEMORY_SIZE"))
	if err != nil || mb <= 0 || mb > maxFunctionMemoryMB {
		return 0
	}
	limit := int64(float64(mb<<20) * memoryShare)
	debug.SetMemoryLimit(limit)
	return limit
}
