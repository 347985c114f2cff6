package bench

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lineWriter hands every line to onLine whole, however the output is cut
// into writes and however long the line (a summary well past bufio's 64
// KB default), and passes the output through unchanged.
func TestLineWriterSplitsLines(t *testing.T) {
	long := `{"msg":"summary","pad":"` + strings.Repeat("x", 200<<10) + `"}`
	text := "first\r\n" + long + "\n\nreceipt " + strings.Repeat("r", 1200) + "\nlast without newline"
	for _, chunk := range []int{1, 7, 4096, len(text)} {
		var lines []string
		var sink bytes.Buffer
		w := &lineWriter{onLine: func(l []byte) { lines = append(lines, string(l)) }, out: &lockedWriter{w: &sink}}
		for p := text; len(p) > 0; {
			n := min(chunk, len(p))
			k, err := w.Write([]byte(p[:n]))
			require.NoError(t, err)
			require.Equal(t, n, k)
			p = p[n:]
		}
		require.NoError(t, w.Close())
		assert.Equal(t, []string{"first", long, "", "receipt " + strings.Repeat("r", 1200), "last without newline"}, lines, "chunk %d", chunk)
		assert.Equal(t, text, sink.String(), "chunk %d", chunk)
	}
}

// A line past maxParsedLine still reaches the sink, but is not parsed;
// the lines after it are.
func TestLineWriterOverlongLine(t *testing.T) {
	huge := strings.Repeat("y", maxParsedLine+10)
	text := "a\n" + huge + "\nb\n"
	var lines []string
	var sink bytes.Buffer
	w := &lineWriter{onLine: func(l []byte) { lines = append(lines, string(l)) }, out: &lockedWriter{w: &sink}}
	for p := text; len(p) > 0; {
		n := min(1<<20, len(p))
		_, _ = w.Write([]byte(p[:n]))
		p = p[n:]
	}
	require.NoError(t, w.Close())
	assert.Equal(t, []string{"a", "b"}, lines)
	assert.Equal(t, text, sink.String())
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// A failing log file never fails the process's writes; Close reports it.
func TestLineWriterSinkError(t *testing.T) {
	var lines int
	w := &lineWriter{onLine: func([]byte) { lines++ }, out: &lockedWriter{w: failingWriter{}}}
	n, err := w.Write([]byte("one\ntwo\n"))
	assert.NoError(t, err)
	assert.Equal(t, 8, n)
	assert.Equal(t, 2, lines, "still parsed")
	assert.EqualError(t, w.Close(), "disk full")
}

// The collector adds up apiCallsByPurpose over the summary lines and
// ignores every other line.
func TestSummaryCollector(t *testing.T) {
	var c summaryCollector
	_, ok := c.result()
	assert.False(t, ok, "no summary yet")
	for _, l := range []string{
		`not json "msg":"summary"`,
		`{"level":"INFO","msg":"receipt","apiCallsByPurpose":{"work":1000}}`,
		`{"level":"INFO","msg":"summary","function":"stop","apiCalls":{"StopInstances":100},"apiCallsByPurpose":{"work":300,"recheck":2}}`,
		`{"level":"INFO","msg":"summary","function":"stop","apiCallsByPurpose":{"work":10,"verify":1}}`,
	} {
		c.line([]byte(l))
	}
	got, ok := c.result()
	assert.True(t, ok)
	assert.Equal(t, map[string]int{"work": 310, "recheck": 2, "verify": 1}, got)

	// A summary without the field (older function code): not reported.
	c.line([]byte(`{"level":"INFO","msg":"summary","function":"release","apiCalls":{"DeleteInstances":100}}`))
	got, ok = c.result()
	assert.False(t, ok)
	assert.Nil(t, got)

	// Present but empty: reported, nothing by purpose.
	var e summaryCollector
	e.line([]byte(`{"msg":"summary","apiCallsByPurpose":{}}`))
	_, ok = e.result()
	assert.True(t, ok)
}
