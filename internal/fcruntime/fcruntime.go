package fcruntime

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// APIVersion is the version segment of the runtime API paths the SDK calls:
// /2020-11-11/runtime/invocation/...
const APIVersion = "2020-11-11"

// Defaults applied by Start when the corresponding Function field is zero.
// They are the fc3 component's defaults.
const (
	DefaultTimeout  = 3 * time.Second
	DefaultMemoryMB = 512
)

// Qualifier is the value sent in x-fc-qualifier: this package only runs the
// unpublished version of a function.
const Qualifier = "LATEST"

// Error types of the FunctionErrors this package produces itself (Result
// with Synthesized set). Errors the function posts carry the SDK's own type,
// which is the Go type name of the returned or panicked value (for example
// "errorString").
const (
	// ErrorTypeTimeout: the deadline passed without a response or error
	// POST. The process that held the invocation is killed.
	ErrorTypeTimeout = "FunctionTimeout"
	// ErrorTypeProcessExited: the process exited (crashed, was killed
	// because another invocation on it timed out, or died during startup)
	// before answering.
	ErrorTypeProcessExited = "ProcessExited"
	// ErrorTypeResponseTooLarge: the function posted a body larger than
	// MaxBodyBytes.
	ErrorTypeResponseTooLarge = "ResponseTooLarge"
	// ErrorTypeInvalidErrorPayload: the body POSTed to .../error was not the
	// SDK's JSON error object; ErrorMessage holds the raw body.
	ErrorTypeInvalidErrorPayload = "InvalidErrorPayload"
)

// MaxBodyBytes bounds the body the function may POST as its response or
// error (FC's synchronous response limit is 32 MB; this is more generous).
const MaxBodyBytes = 64 << 20

// ErrStopped is returned by Invoke after Stop, and by invocations that were
// pending when Stop was called.
var ErrStopped = errors.New("fcruntime: instance stopped")

// Credentials are the function role's STS credentials. They reach the
// process only as the ALIBABA_CLOUD_* environment variables and the
// x-fc-access-key-id/-secret/x-fc-security-token headers; String and
// GoString redact them so that printing a Function does not leak them.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// String redacts the credentials.
func (c Credentials) String() string {
	if c == (Credentials{}) {
		return "{}"
	}
	return "{REDACTED}"
}

// GoString redacts the credentials (used by %#v).
func (c Credentials) GoString() string { return "fcruntime.Credentials" + c.String() }

// Function describes an FC 3.0 go1 function: an executable built with
// github.com/aliyun/fc-runtime-go-sdk and the configuration FC would run it
// with.
type Function struct {
	// Name is sent as x-fc-function-name and FC_FUNCTION_NAME. Default: the
	// base name of Binary.
	Name string
	// Handler is sent as x-fc-function-handler and FC_FUNCTION_HANDLER. For
	// go1 it is the executable's file name. Default: the base name of Binary.
	Handler string
	// Binary is the path of the executable. It is run with its own directory
	// as the working directory (FC's /code).
	Binary string
	// Env holds extra KEY=VALUE variables. The process does not inherit the
	// caller's environment: it gets PATH, then Env, then the variables FC
	// sets (FC_*, ALIBABA_CLOUD_*), which win over Env entries of the same
	// name as FC reserves them.
	Env []string
	// MemoryMB is sent as x-fc-function-memory and FC_FUNCTION_MEMORY_SIZE.
	// It is not enforced. Default DefaultMemoryMB.
	MemoryMB int
	// Timeout is the function timeout: the default invocation deadline and,
	// rounded up to whole seconds, x-fc-function-timeout. Default
	// DefaultTimeout.
	Timeout time.Duration
	// Region and AccountID are sent as x-fc-region / FC_REGION and
	// x-fc-account-id / FC_ACCOUNT_ID.
	Region, AccountID string
	// Credentials are sent per invocation as headers and set in the
	// environment as ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/SECURITY_TOKEN.
	// Empty fields are not sent, as FC does when no role is configured.
	Credentials Credentials
	// Stdout and Stderr receive the process's output; nil discards it. Only
	// one process writes to them at a time (a replacement process is started
	// only after the previous one has exited and its output is drained), but
	// reading a writer while the instance runs needs a writer that is safe
	// for concurrent use.
	Stdout, Stderr io.Writer
}

// InvokeOptions are per-invocation settings.
type InvokeOptions struct {
	// RequestID is sent as x-fc-request-id. Generated (a UUID) if empty. It
	// must be unique among the instance's in-flight invocations and use only
	// letters, digits and . _ : - (it becomes part of a URL path).
	RequestID string
	// RetryCount is sent as x-fc-retry-count (FcContext.RetryCount).
	RetryCount int
	// Deadline is sent as x-fc-function-deadline (epoch milliseconds) and is
	// when the invocation times out. Default: now + Function.Timeout.
	Deadline time.Time
}

// StackFrame is one frame of the stack trace the SDK posts for a panic.
type StackFrame struct {
	Path  string `json:"path"`
	Line  int32  `json:"line"`
	Label string `json:"label"`
}

// FunctionError is a failed invocation, in the JSON shape the SDK POSTs to
// .../{id}/error.
type FunctionError struct {
	ErrorMessage string       `json:"errorMessage"`
	ErrorType    string       `json:"errorType"`
	StackTrace   []StackFrame `json:"stackTrace,omitempty"`
}

// Error implements error.
func (e *FunctionError) Error() string {
	return e.ErrorType + ": " + e.ErrorMessage
}

// Result is the outcome of one invocation.
type Result struct {
	RequestID string
	// Payload is the body the function POSTed to .../response (on success).
	Payload []byte
	// Err is non-nil when the invocation failed: either the function POSTed
	// to .../error (a returned error, or a panic with StackTrace), or this
	// package synthesised it (see Synthesized).
	Err *FunctionError
	// Synthesized reports that Err was produced by this package (timeout,
	// process exit, oversized body) rather than posted by the function.
	Synthesized bool
	// Duration is the execution time: from the process taking the invocation
	// (its GET .../next) to the answer. Zero if it never took it.
	Duration time.Duration
	// Latency is the wall time from the Invoke call to the answer, including
	// queueing and any process (re)start.
	Latency time.Duration
}

func (fn Function) normalize() (Function, error) {
	if fn.Binary == "" {
		return fn, errors.New("fcruntime: Function.Binary is empty")
	}
	abs, err := filepath.Abs(fn.Binary)
	if err != nil {
		return fn, fmt.Errorf("fcruntime: binary path: %w", err)
	}
	fn.Binary = abs
	base := filepath.Base(abs)
	if fn.Name == "" {
		fn.Name = base
	}
	if fn.Handler == "" {
		fn.Handler = base
	}
	if fn.MemoryMB <= 0 {
		fn.MemoryMB = DefaultMemoryMB
	}
	if fn.Timeout <= 0 {
		fn.Timeout = DefaultTimeout
	}
	for _, kv := range fn.Env {
		// Report only the key: values may be secrets.
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fn, fmt.Errorf("fcruntime: Env entry %q is not KEY=VALUE", k)
		}
	}
	fn.Env = append([]string(nil), fn.Env...)
	return fn, nil
}

// timeoutSeconds is x-fc-function-timeout: whole seconds, rounded up.
func (fn Function) timeoutSeconds() int64 {
	return int64((fn.Timeout + time.Second - 1) / time.Second)
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

func validRequestID(id string) bool { return requestIDPattern.MatchString(id) }

// newID returns a random UUID (version 4) string.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
