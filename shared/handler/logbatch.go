package handler

import (
	"io"
	"sync"
	"time"
)

// A release over a fleet logs two lines per instance (its outcome and its
// receipt, about 1.4 KB): 20,000 lines for 10,000 instances. Written one
// write(2) each, to the pipe FC reads the function's output from, they
// took 0.3 s at the end of the run, on the cores the run itself needs.
// The invocation's lines are batched instead, with bounds on how long a
// line may wait:
//
//   - when logBatchBytes have gathered, they are written at once;
//   - a line waits at most logBatchDelay (a timer writes what is there);
//   - everything is written before the invocation sleeps (a wait, a
//     backoff) and before it answers, so a line never waits on ECS or on
//     the answer, and a function killed at its timeout (which comes while
//     it waits) has lost nothing but the last logBatchDelay.
//
// Lines stay whole and in the order they were logged.
const (
	logBatchBytes = 64 << 10
	logBatchDelay = 50 * time.Millisecond
)

// logBatcher gathers log lines for few, large writes to w.
type logBatcher struct {
	w io.Writer
	// after schedules f in d (time.AfterFunc; tests fire it by hand).
	after func(d time.Duration, f func())

	mu      sync.Mutex
	buf     []byte
	pending bool // a timed flush is scheduled
}

func newLogBatcher(w io.Writer) *logBatcher {
	return &logBatcher{w: w, after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

// Write takes one or more whole lines (slog writes a record at a time).
func (b *logBatcher) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logBatchBytes {
		return len(p), b.flushLocked()
	}
	if !b.pending {
		b.pending = true
		b.after(logBatchDelay, b.timed)
	}
	return len(p), nil
}

func (b *logBatcher) timed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = false
	_ = b.flushLocked()
}

// Flush writes what has gathered.
func (b *logBatcher) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *logBatcher) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	if cap(b.buf) > 4*logBatchBytes {
		b.buf = nil // one huge line: not kept for the rest of the run
	}
	return err
}
