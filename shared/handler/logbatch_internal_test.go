package handler

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingWriter records each write.
type countingWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return c.buf.Write(p)
}

func (c *countingWriter) text() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String(), c.writes
}

func TestLogBatcher(t *testing.T) {
	t.Parallel()
	t.Run("lines gather into few writes, whole and in order", func(t *testing.T) {
		t.Parallel()
		out := &countingWriter{}
		b := newLogBatcher(out)
		b.after = func(time.Duration, func()) {} // no timed flush here
		var want strings.Builder
		for i := range 20000 {
			line := fmt.Sprintf(`{"msg":"instance","n":%d,"pad":%q}`+"\n", i, strings.Repeat("x", i%700))
			want.WriteString(line)
			_, err := b.Write([]byte(line))
			require.NoError(t, err)
		}
		require.NoError(t, b.Flush())
		got, writes := out.text()
		assert.Equal(t, want.String(), got)
		assert.LessOrEqual(t, writes, want.Len()/logBatchBytes+1, "one write per %d bytes", logBatchBytes)
	})
	t.Run("a line waits at most the batch delay", func(t *testing.T) {
		t.Parallel()
		out := &countingWriter{}
		b := newLogBatcher(out)
		var scheduled []func()
		var delays []time.Duration
		b.after = func(d time.Duration, f func()) { delays, scheduled = append(delays, d), append(scheduled, f) }
		_, _ = b.Write([]byte("one\n"))
		_, _ = b.Write([]byte("two\n"))
		require.Len(t, scheduled, 1, "one timed flush for the lines gathered")
		assert.Equal(t, logBatchDelay, delays[0])
		got, _ := out.text()
		assert.Empty(t, got, "not written before the delay")
		scheduled[0]() // the delay has passed
		got, writes := out.text()
		assert.Equal(t, "one\ntwo\n", got)
		assert.Equal(t, 1, writes)
		_, _ = b.Write([]byte("three\n"))
		require.Len(t, scheduled, 2, "the next line schedules the next flush")
		require.NoError(t, b.Flush())
		scheduled[1]() // a timed flush after a flush writes nothing more
		got, writes = out.text()
		assert.Equal(t, "one\ntwo\nthree\n", got)
		assert.Equal(t, 2, writes)
	})
	t.Run("concurrent writers never interleave within a line", func(t *testing.T) {
		t.Parallel()
		out := &countingWriter{}
		b := newLogBatcher(out)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 2000 {
					_, _ = fmt.Fprintf(b, "g%d-%d-%s\n", g, i, strings.Repeat("y", 100+i%300))
				}
			})
		}
		wg.Wait()
		require.NoError(t, b.Flush())
		got, _ := out.text()
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		require.Len(t, lines, 16000)
		next := map[string]int{}
		for _, l := range lines {
			var g, i int
			var pad string
			_, err := fmt.Sscanf(l, "g%d-%d-%s", &g, &i, &pad)
			require.NoError(t, err, l)
			assert.Equal(t, strings.Repeat("y", 100+i%300), pad, l)
			key := fmt.Sprint(g)
			assert.Equal(t, next[key], i, "goroutine %d's lines in order", g)
			next[key] = i + 1
		}
	})
}
