package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
)

// Floor calls in flight: the functions' own bounds at the benchmark's
// ECS_MAX_QPS (64 calls, of which 16 page reads).
const (
	floorCalls     = 64
	floorPageReads = 16
)

// floor measures, on a fresh emulator holding the chain's fleet, the least
// wall time this machine gives the chain's work: in the benchmark's process,
// the functions' ECS client (the real SDK, with the functions' page
// decoder) lists the fleet by its tag, stops every batch of 100, and reads
// each batch by ID once the emulator's stop delay has passed since its
// StopInstances was answered, then deletes it. Every batch goes at once,
// within the functions' bounds on calls in flight, with no rate limit. It
// makes no guard check, verify, disk or price read, log line or receipt,
// crosses no process boundary, and knows the stop delay where the functions
// must poll for Stopped. What separates the chain's wall from the floor's
// is the chain's own work; what separates the floor from the limit (stop
// delay plus four round trips) is the CPU the minimum work itself takes
// here, the emulator's and the SDK's JSON on the same cores.
func floor(ctx context.Context, o Options, n int) (time.Duration, error) {
	emu, srv, err := newEmulator(o)
	if err != nil {
		return 0, err
	}
	defer srv.Close()
	if _, err := addFleet(emu, n); err != nil {
		return 0, err
	}
	ep, err := ecs.ParseEndpoint(srv.URL)
	if err != nil {
		return 0, err
	}
	c, err := ecs.New(ecs.Config{Region: emu.Region(), Endpoint: ep,
		Credentials: ecs.Credentials{AccessKeyID: emu.AccessKeyID(), AccessKeySecret: emu.AccessKeySecret()},
		MaxQPS:      -1, Concurrency: floorCalls, ReadConcurrency: floorPageReads})
	if err != nil {
		return 0, err
	}

	start := time.Now()
	var ids []string
	err = c.List(ctx, ecs.Selector{Tags: map[string]string{"pool": "bench"}}, func(page []ecs.Instance) error {
		for _, in := range page {
			ids = append(ids, in.ID)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("floor: listing: %w", err)
	}
	if len(ids) != n {
		return 0, fmt.Errorf("floor: listed %d of %d instances", len(ids), n)
	}
	batches := make([][]string, 0, (n+ecs.BatchSize-1)/ecs.BatchSize)
	for i := 0; i < n; i += ecs.BatchSize {
		batches = append(batches, ids[i:min(i+ecs.BatchSize, n)])
	}

	// Each batch: stop, then, once its stop delay has passed, read and
	// delete. The client bounds the calls in flight, and the page reads
	// among them.
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	ecs.Parallel(len(batches), floorCalls, func(i int) {
		res, err := c.Stop(ctx, batches[i], ecs.StopOptions{StoppedMode: ecs.StopCharging})
		if err == nil {
			err = firstResultErr(res)
		}
		if err != nil {
			fail(fmt.Errorf("floor: StopInstances: %w", err))
			return
		}
		// The rest of the batch's life runs beside the other stops.
		due := time.Now().Add(o.StopDelay)
		wg.Go(func() {
			if err := readAndDelete(ctx, c, batches[i], due, o.Latency); err != nil {
				fail(err)
			}
		})
	})
	wg.Wait()
	wall := time.Since(start)
	if firstErr != nil {
		return 0, firstErr
	}
	if left := len(emu.Instances()); left != 0 {
		return 0, fmt.Errorf("floor: %d of %d instances left", left, n)
	}
	return wall, nil
}

// readAndDelete waits until the batch's instances are due Stopped, reads
// them (again, a round trip later, while any is not yet Stopped) and
// deletes them.
func readAndDelete(ctx context.Context, c *ecs.Client, ids []string, due time.Time, retry time.Duration) error {
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	for {
		found, err := c.Describe(ctx, ids)
		if err != nil {
			return fmt.Errorf("floor: DescribeInstances: %w", err)
		}
		all := len(found) == len(ids)
		for _, in := range found {
			all = all && in.Status == ecs.StatusStopped
		}
		if all {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retry):
		}
	}
	if err := firstResultErr(c.Release(ctx, ids, ecs.ReleaseOptions{})); err != nil {
		return fmt.Errorf("floor: DeleteInstances: %w", err)
	}
	return nil
}

func firstResultErr(res []ecs.Result) error {
	for _, r := range res {
		if r.Err != nil {
			return fmt.Errorf("%s: %w", r.InstanceID, r.Err)
		}
	}
	return nil
}
