package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"sync"
)

// maxParsedLine bounds the line a lineWriter holds to hand to onLine
// whole. Log lines are far shorter (a receipt about 1.2 KB, the summary a
// few KB); a longer one still reaches the sink, in pieces, unparsed.
const maxParsedLine = 4 << 20

// lineWriter splits a process's output into lines. Each complete line
// (without its line ending) goes to onLine, then, with its line ending,
// to out, whole, under out's lock, so that two lineWriters sharing a log
// file do not interleave within a line. Write never fails: the process
// must not see a broken pipe because of the log file; the first error
// writing to out is returned by Close.
type lineWriter struct {
	onLine   func(line []byte)
	out      *lockedWriter // nil: lines are only parsed
	buf      []byte
	overlong bool // the line in progress passed maxParsedLine: passed through, not parsed
	err      error
}

// lockedWriter serializes writes to a shared writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial(p)
			break
		}
		w.partial(p[:i+1])
		w.endLine()
		p = p[i+1:]
	}
	return n, nil
}

// partial takes more of the line in progress.
func (w *lineWriter) partial(p []byte) {
	if w.overlong {
		w.emit(p)
		return
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) > maxParsedLine {
		w.emit(w.buf)
		w.buf, w.overlong = w.buf[:0], true
	}
}

// endLine finishes the line in progress.
func (w *lineWriter) endLine() {
	if !w.overlong && w.onLine != nil {
		w.onLine(bytes.TrimRight(w.buf, "\r\n"))
	}
	if !w.overlong || len(w.buf) > 0 {
		w.emit(w.buf)
	}
	w.buf, w.overlong = w.buf[:0], false
	if cap(w.buf) > 64<<10 {
		w.buf = nil // do not keep a large buffer for short lines
	}
}

func (w *lineWriter) emit(p []byte) {
	if w.out == nil || len(p) == 0 || w.err != nil {
		return
	}
	if _, err := w.out.Write(p); err != nil {
		w.err = err
	}
}

// Close hands over a last line without a line ending.
func (w *lineWriter) Close() error {
	if len(w.buf) > 0 || w.overlong {
		w.endLine()
	}
	return w.err
}

// summaryCollector reads a function's JSON log lines for its summaries:
// the line with "msg":"summary" each invocation logs, and in it
// apiCallsByPurpose (calls by why they were made: work, recheck, verify).
type summaryCollector struct {
	mu        sync.Mutex
	summaries int // summary lines seen
	missing   int // of them, without apiCallsByPurpose
	byPurpose map[string]int
}

var summaryMarker = []byte(`"msg":"summary"`)

func (c *summaryCollector) line(line []byte) {
	if !bytes.Contains(line, summaryMarker) {
		return // a receipt or another log line: not decoded
	}
	var s struct {
		Msg       string          `json:"msg"`
		ByPurpose *map[string]int `json:"apiCallsByPurpose"`
	}
	if json.Unmarshal(line, &s) != nil || s.Msg != "summary" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.summaries++
	if s.ByPurpose == nil {
		c.missing++
		return
	}
	if c.byPurpose == nil {
		c.byPurpose = map[string]int{}
	}
	for k, v := range *s.ByPurpose {
		c.byPurpose[k] += v
	}
}

// result is the calls by purpose over the summaries seen, and whether
// there was at least one summary and every one of them carried them.
func (c *summaryCollector) result() (byPurpose map[string]int, reported bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.summaries == 0 || c.missing > 0 {
		return nil, false
	}
	return maps.Clone(c.byPurpose), true
}

// Purposes of calls made only as safety checks (apiCallsByPurpose keys).
var checkPurposes = []string{"recheck", "verify"}
