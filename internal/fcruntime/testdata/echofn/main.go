// Command echofn is the test function for package fcruntime: an FC go1
// function built with fc-runtime-go-sdk that reports what it received, or
// misbehaves on request.
//
// Events (JSON objects; anything else is echoed):
//
//	{"action":"echo"}                  (default) reply with what it saw
//	{"action":"error","message":m}     return errors.New(m)
//	{"action":"panic","message":m}     panic(m) in the handler
//	{"action":"sleep","sleepMs":n}     sleep n ms ignoring ctx, then echo
//	{"action":"exit","code":n}         os.Exit(n)
//	{"action":"crash","message":m}     unrecovered panic in another goroutine
//	{"action":"alloc","allocMb":n}     allocate and touch n MiB, then echo
//
// With ECHOFN_EXIT_AT_START set it exits with status 7 before polling.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

type request struct {
	Action  string `json:"action"`
	Message string `json:"message"`
	SleepMS int    `json:"sleepMs"`
	Code    int    `json:"code"`
	AllocMB int    `json:"allocMb"`
}

// Reply is what the echo action returns.
type Reply struct {
	Event           json.RawMessage   `json:"event"`
	HasFcContext    bool              `json:"hasFcContext"`
	RequestID       string            `json:"requestId"`
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	SecurityToken   string            `json:"securityToken"`
	FunctionName    string            `json:"functionName"`
	Handler         string            `json:"handler"`
	Memory          string            `json:"memory"`
	Timeout         int               `json:"timeout"`
	Region          string            `json:"region"`
	AccountID       string            `json:"accountId"`
	RetryCount      int               `json:"retryCount"`
	Qualifier       string            `json:"qualifier"`
	HasDeadline     bool              `json:"hasDeadline"`
	DeadlineMS      int64             `json:"deadlineMs"`
	PID             int               `json:"pid"`
	Cwd             string            `json:"cwd"`
	Env             map[string]string `json:"env"`
}

var sink [][]byte

func handle(ctx context.Context, event json.RawMessage) (any, error) {
	var req request
	_ = json.Unmarshal(event, &req)
	switch req.Action {
	case "error":
		return nil, errors.New(req.Message)
	case "panic":
		panic(req.Message)
	case "sleep":
		time.Sleep(time.Duration(req.SleepMS) * time.Millisecond)
	case "exit":
		os.Exit(req.Code)
	case "crash":
		go func() { panic(req.Message) }()
		select {}
	case "alloc":
		b := make([]byte, req.AllocMB<<20)
		for k := 0; k < len(b); k += 4096 {
			b[k] = 1
		}
		sink = append(sink, b)
	}

	r := Reply{Event: event, PID: os.Getpid(), Env: map[string]string{}}
	r.Cwd, _ = os.Getwd()
	if lc, ok := fccontext.FromContext(ctx); ok {
		r.HasFcContext = true
		r.RequestID = lc.RequestID
		r.AccessKeyID = lc.Credentials.AccessKeyId
		r.AccessKeySecret = lc.Credentials.AccessKeySecret
		r.SecurityToken = lc.Credentials.SecurityToken
		r.FunctionName = lc.Function.Name
		r.Handler = lc.Function.Handler
		r.Memory = lc.Function.Memory
		r.Timeout = lc.Function.Timeout
		r.Region = lc.Region
		r.AccountID = lc.AccountId
		r.RetryCount = lc.RetryCount
		r.Qualifier = lc.Service.Qualifier
	}
	if d, ok := ctx.Deadline(); ok {
		r.HasDeadline = true
		r.DeadlineMS = d.UnixMilli()
	}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "FC_") || strings.HasPrefix(k, "ALIBABA_CLOUD_") ||
			strings.HasPrefix(k, "ECHOFN_") || k == "PATH" || k == "HOME" {
			r.Env[k] = v
		}
	}
	return r, nil
}

func main() {
	if os.Getenv("ECHOFN_EXIT_AT_START") != "" {
		os.Exit(7)
	}
	fc.Start(handle)
}
