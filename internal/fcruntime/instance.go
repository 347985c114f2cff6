package fcruntime

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Instance is a running function: a runtime API server and the process
// polling it. It replaces the process when the current one exits or is
// discarded. All methods are safe for concurrent use.
type Instance struct {
	fn Function // normalized; read-only after Start

	wg sync.WaitGroup // one per process: its wait goroutine

	mu        sync.Mutex
	cur       *process               // newest process; nil when none is running
	queue     []*invocation          // pending, not yet taken by a GET next
	active    map[string]*invocation // every unfinished invocation by request id
	abandoned map[string]*process    // ids given up on (ctx done) that their process still runs
	wake      chan struct{}          // closed (and replaced) when queue grows
	stopped   bool
	starts    int
	coldStart time.Duration // of the first process
	peakRSS   int64         // bytes; max over exited processes and samples
}

// process is one execution of the function binary together with its own
// runtime API listener. A listener per process means a request from a
// discarded process can never take an invocation meant for its successor.
type process struct {
	inst       *Instance
	seq        int // 1 for the first process of the instance
	cmd        *exec.Cmd
	srv        *http.Server
	addr       string
	instanceID string
	started    time.Time // just before exec
	readyCh    chan struct{}
	exitedCh   chan struct{}

	// Guarded by inst.mu.
	pid       int
	ready     bool
	coldStart time.Duration
	discarded bool   // killed on purpose; takes no more invocations
	reason    string // why it was discarded
	exited    bool
	exitErr   error
	// hwm is the process's VmHWM as last read while it ran (0: never read).
	hwm int64
}

type invocation struct {
	id       string
	payload  []byte
	header   http.Header
	deadline time.Time
	enqueued time.Time
	done     chan struct{} // closed by finishLocked

	// Guarded by inst.mu.
	proc       *process // the process that took it; nil while queued
	dispatched time.Time
	finished   bool
	res        Result
	err        error
}

// Start starts the runtime API server and the function process, and waits
// until the process is ready (its first GET .../next); that wait is
// recorded as ColdStart. ctx bounds only this startup wait: the instance
// runs until Stop. If the process exits before becoming ready, Start returns
// an error that includes its exit status.
func Start(ctx context.Context, fn Function) (*Instance, error) {
	fn, err := fn.normalize()
	if err != nil {
		return nil, err
	}
	i := &Instance{
		fn:        fn,
		active:    make(map[string]*invocation),
		abandoned: make(map[string]*process),
		wake:      make(chan struct{}),
	}
	i.mu.Lock()
	p, err := i.startLocked()
	i.mu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case <-p.readyCh:
		return i, nil
	case <-p.exitedCh:
		// readyCh may have been closed too; prefer readiness.
		select {
		case <-p.readyCh:
			return i, nil
		default:
		}
		i.Stop()
		return nil, fmt.Errorf("fcruntime: function %s exited before polling for invocations (%s)", fn.Name, exitText(p.exitErr))
	case <-ctx.Done():
		i.Stop()
		return nil, fmt.Errorf("fcruntime: waiting for function %s to become ready: %w", fn.Name, ctx.Err())
	}
}

// startLocked starts a new process with its own runtime API listener and
// makes it current. i.mu must be held.
func (i *Instance) startLocked() (*process, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fcruntime: runtime API listener: %w", err)
	}
	p := &process{
		inst:       i,
		seq:        i.starts + 1,
		addr:       ln.Addr().String(),
		instanceID: newID(),
		readyCh:    make(chan struct{}),
		exitedCh:   make(chan struct{}),
	}
	mux := http.NewServeMux()
	base := "/" + APIVersion + "/runtime/invocation/"
	mux.HandleFunc("GET "+base+"next", p.handleNext)
	mux.HandleFunc("POST "+base+"{id}/response", p.handleResponse)
	mux.HandleFunc("POST "+base+"{id}/error", p.handleError)
	p.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { _ = p.srv.Serve(ln) }()

	fn := i.fn
	cmd := exec.Command(fn.Binary)
	cmd.Dir = filepath.Dir(fn.Binary)
	cmd.Env = i.environ(p)
	cmd.Stdout = fn.Stdout
	cmd.Stderr = fn.Stderr
	cmd.WaitDelay = time.Second // do not hang on output pipes held by grandchildren
	p.cmd = cmd
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		_ = p.srv.Close()
		// exec errors name the path only, never the environment.
		return nil, fmt.Errorf("fcruntime: start function %s: %w", fn.Name, err)
	}
	p.pid = cmd.Process.Pid
	i.starts++
	i.cur = p
	i.wg.Add(1)
	go p.wait()
	return p, nil
}

// environ is the process environment: PATH, Function.Env, then what FC sets.
func (i *Instance) environ(p *process) []string {
	fn := i.fn
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	env = append(env, fn.Env...)
	env = append(env,
		"FC_RUNTIME_API="+p.addr,
		"FC_FUNCTION_NAME="+fn.Name,
		"FC_FUNCTION_HANDLER="+fn.Handler,
		"FC_FUNCTION_MEMORY_SIZE="+strconv.Itoa(fn.MemoryMB),
		"FC_REGION="+fn.Region,
		"FC_ACCOUNT_ID="+fn.AccountID,
		"FC_INSTANCE_ID="+p.instanceID,
		"FC_FUNC_CODE_PATH="+filepath.Dir(fn.Binary),
	)
	c := fn.Credentials
	for _, kv := range [][2]string{
		{"ALIBABA_CLOUD_ACCESS_KEY_ID", c.AccessKeyID},
		{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", c.AccessKeySecret},
		{"ALIBABA_CLOUD_SECURITY_TOKEN", c.SecurityToken},
	} {
		if kv[1] != "" {
			env = append(env, kv[0]+"="+kv[1])
		}
	}
	return env // os/exec keeps the last value of a duplicated key
}

// headers are the x-fc-* headers of one invocation's GET .../next response.
func (i *Instance) headers(id string, deadline time.Time, retry int) http.Header {
	fn := i.fn
	h := http.Header{}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("x-fc-request-id", id)
	h.Set("x-fc-function-deadline", strconv.FormatInt(deadline.UnixMilli(), 10))
	c := fn.Credentials
	if c.AccessKeyID != "" {
		h.Set("x-fc-access-key-id", c.AccessKeyID)
	}
	if c.AccessKeySecret != "" {
		h.Set("x-fc-access-key-secret", c.AccessKeySecret)
	}
	if c.SecurityToken != "" {
		h.Set("x-fc-security-token", c.SecurityToken)
	}
	h.Set("x-fc-function-name", fn.Name)
	h.Set("x-fc-function-handler", fn.Handler)
	h.Set("x-fc-function-memory", strconv.Itoa(fn.MemoryMB))
	h.Set("x-fc-function-timeout", strconv.FormatInt(fn.timeoutSeconds(), 10))
	h.Set("x-fc-region", fn.Region)
	h.Set("x-fc-account-id", fn.AccountID)
	h.Set("x-fc-retry-count", strconv.Itoa(retry))
	h.Set("x-fc-qualifier", Qualifier)
	return h
}

// Invoke runs one invocation and waits for its outcome.
//
// A function-level failure is reported in Result.Err with a nil error: the
// function's own error or panic (as the SDK posts it), a timeout
// (ErrorTypeTimeout; the process is killed and replaced on the next Invoke),
// or the process exiting before it answered (ErrorTypeProcessExited; a new
// process is started for the next or any queued invocation). The error
// return is for failures to run the invocation at all: ctx done (the
// function may keep running; its late answer is dropped), ErrStopped, an
// invalid RequestID, or a replacement process that could not be exec'd.
//
// Invocations may be issued concurrently; each GET .../next takes one.
func (i *Instance) Invoke(ctx context.Context, payload []byte, opts InvokeOptions) (Result, error) {
	id := opts.RequestID
	if id == "" {
		id = newID()
	} else if !validRequestID(id) {
		return Result{RequestID: id}, fmt.Errorf("fcruntime: invalid request id %q", id)
	}
	now := time.Now()
	deadline := opts.Deadline
	if deadline.IsZero() {
		deadline = now.Add(i.fn.Timeout)
	}
	inv := &invocation{
		id:       id,
		payload:  payload,
		header:   i.headers(id, deadline, opts.RetryCount),
		deadline: deadline,
		enqueued: now,
		done:     make(chan struct{}),
	}

	i.mu.Lock()
	if i.stopped {
		i.mu.Unlock()
		return Result{RequestID: id}, ErrStopped
	}
	if _, dup := i.active[id]; dup || i.abandoned[id] != nil {
		i.mu.Unlock()
		return Result{RequestID: id}, fmt.Errorf("fcruntime: request id %q is already in flight", id)
	}
	i.active[id] = inv
	i.queue = append(i.queue, inv)
	if i.cur == nil {
		// Lazy restart after a crash or timeout. If cur is a discarded
		// process still exiting, its wait goroutine starts the successor.
		if _, err := i.startLocked(); err != nil {
			i.finishLocked(inv, Result{}, err)
		}
	}
	close(i.wake)
	i.wake = make(chan struct{})
	i.mu.Unlock()

	timer := time.AfterFunc(time.Until(deadline), func() { i.expire(inv) })
	defer timer.Stop()
	select {
	case <-inv.done:
	case <-ctx.Done():
		i.mu.Lock()
		if !inv.finished && inv.proc != nil {
			// The process still runs it: keep the id reserved until the
			// process answers (the answer is dropped) or exits, so that a
			// reused id cannot receive this invocation's answer.
			i.abandoned[id] = inv.proc
		}
		i.finishLocked(inv, Result{}, ctx.Err())
		i.mu.Unlock()
		<-inv.done
	}
	return inv.res, inv.err
}

// finishLocked records inv's outcome once; later calls are no-ops.
func (i *Instance) finishLocked(inv *invocation, res Result, err error) {
	if inv.finished {
		return
	}
	inv.finished = true
	delete(i.active, inv.id)
	if inv.proc == nil {
		for k, q := range i.queue {
			if q == inv {
				i.queue = append(i.queue[:k], i.queue[k+1:]...)
				break
			}
		}
	}
	now := time.Now()
	res.RequestID = inv.id
	if inv.proc != nil {
		res.Duration = now.Sub(inv.dispatched)
	}
	res.Latency = now.Sub(inv.enqueued)
	inv.res, inv.err = res, err
	close(inv.done)
}

// expire runs at inv's deadline: it reports a timeout and discards the
// process holding inv, as FC discards a timed-out instance.
func (i *Instance) expire(inv *invocation) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if inv.finished {
		return
	}
	p := inv.proc
	i.finishLocked(inv, Result{
		Err: &FunctionError{
			ErrorType:    ErrorTypeTimeout,
			ErrorMessage: fmt.Sprintf("Function timed out after %s", inv.deadline.Sub(inv.enqueued).Round(time.Millisecond)),
		},
		Synthesized: true,
	}, nil)
	if p != nil {
		p.discardLocked("request " + inv.id + " timed out")
	}
}

// discardLocked kills p (if still running) and stops it taking invocations.
// Its wait goroutine reports its other in-flight invocations and, if
// invocations are queued, starts its successor.
func (p *process) discardLocked(reason string) {
	if p.exited || p.discarded {
		return
	}
	p.discarded = true
	p.reason = reason
	_ = p.cmd.Process.Kill()
}

// wait reaps the process and settles everything that depended on it.
func (p *process) wait() {
	i := p.inst
	defer i.wg.Done()
	err := p.cmd.Wait()

	i.mu.Lock()
	// ru_maxrss is the fallback only: Go starts a process with vfork, and
	// the kernel carries the parent's high-water mark across exec into the
	// child's, so for a small function run by a large parent (a benchmark
	// holding an emulator's fleet) it reports the parent's size.
	rss := p.hwm
	if rss == 0 && p.cmd.ProcessState != nil {
		rss = rusageMaxRSS(p.cmd.ProcessState)
	}
	p.exited = true
	p.exitErr = err
	i.peakRSS = max(i.peakRSS, rss)
	if i.cur == p {
		i.cur = nil
	}
	for id, ap := range i.abandoned {
		if ap == p {
			delete(i.abandoned, id)
		}
	}
	close(p.exitedCh)

	msg := "Process exited unexpectedly before completing request (" + exitText(err) + ")"
	if p.discarded {
		msg = "Process exited unexpectedly before completing request (instance discarded: " + p.reason + ")"
	}
	for _, inv := range i.active {
		if inv.proc == p {
			i.finishLocked(inv, Result{
				Err:         &FunctionError{ErrorType: ErrorTypeProcessExited, ErrorMessage: msg},
				Synthesized: true,
			}, nil)
		}
	}
	if !i.stopped && len(i.queue) > 0 {
		// Invocations are waiting for a process.
		var res Result
		var startErr error
		fail := false
		if !p.ready && !p.discarded {
			// It died during startup: fail the queue rather than loop.
			fail = true
			res = Result{
				Err: &FunctionError{
					ErrorType:    ErrorTypeProcessExited,
					ErrorMessage: "Process exited before polling for invocations (" + exitText(err) + ")",
				},
				Synthesized: true,
			}
		} else if _, startErr = i.startLocked(); startErr != nil {
			fail = true
		}
		if fail {
			for _, inv := range append([]*invocation(nil), i.queue...) {
				i.finishLocked(inv, res, startErr)
			}
		}
	}
	i.mu.Unlock()
	_ = p.srv.Close()
}

// Stop kills the process and shuts the runtime API down. Pending
// invocations return ErrStopped. It waits for the process to be reaped, so
// PeakRSS afterwards includes its final peak. Stop is idempotent.
func (i *Instance) Stop() {
	i.mu.Lock()
	if !i.stopped {
		i.stopped = true
		for _, inv := range i.active {
			i.finishLocked(inv, Result{}, ErrStopped)
		}
	}
	if p := i.cur; p != nil && !p.exited {
		p.hwm = max(p.hwm, readVmHWM(p.pid))
		i.peakRSS = max(i.peakRSS, p.hwm)
		p.discardLocked("instance stopped")
	}
	i.mu.Unlock()
	i.wg.Wait()
}

// ColdStart is the time from exec of the first process to its first
// GET .../next.
func (i *Instance) ColdStart() time.Duration {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.coldStart
}

// Restarts is the number of processes started after the first one.
func (i *Instance) Restarts() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return max(i.starts-1, 0)
}

// PID is the current process's id, or 0 if none is running.
func (i *Instance) PID() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	if p := i.cur; p != nil && !p.exited && !p.discarded {
		return p.pid
	}
	return 0
}

// PeakRSS is the largest resident set size, in bytes, of any process of
// this instance so far: VmHWM from /proc/PID/status, read while it runs
// (and by Stop, before it ends it); for a process that exited before it
// was read, the kernel's ru_maxrss, which may include the parent's size
// (see wait). It is 0 where neither is available (non-Linux).
func (i *Instance) PeakRSS() int64 {
	i.mu.Lock()
	defer i.mu.Unlock()
	if p := i.cur; p != nil && !p.exited {
		p.hwm = max(p.hwm, readVmHWM(p.pid))
		i.peakRSS = max(i.peakRSS, p.hwm)
	}
	return i.peakRSS
}

// exitText describes how a process ended, from cmd.Wait's error.
func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
