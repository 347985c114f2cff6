// Command flakyfn is the test function of package fclocal: an FC go1
// function (fc-runtime-go-sdk) whose failures are scripted by its event.
//
// Events:
//
//	{"failUntilRetry": n}   fail (return an error) while x-fc-retry-count < n,
//	                        then answer; n larger than the retries = always fail
//	{"sleepMs": n}          sleep n ms first
//	an FC HTTP trigger event (version v1): answer {statusCode, headers, body}
//	                        with status from ?status= (default 200), header
//	                        X-Flaky-Method, and the event it got as the body;
//	                        with ?fail=msg it returns an error instead
//	anything else           {"retryCount": n, "requestId": ..., "event": ...}
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

type script struct {
	FailUntilRetry int               `json:"failUntilRetry"`
	SleepMS        int               `json:"sleepMs"`
	Version        string            `json:"version"`
	RawPath        string            `json:"rawPath"`
	Query          map[string]string `json:"queryParameters"`
	RequestContext struct {
		HTTP struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
}

func handle(ctx context.Context, event json.RawMessage) (any, error) {
	var s script
	_ = json.Unmarshal(event, &s)
	retry, requestID := 0, ""
	if lc, ok := fccontext.FromContext(ctx); ok {
		retry, requestID = lc.RetryCount, lc.RequestID
	}
	if s.SleepMS > 0 {
		time.Sleep(time.Duration(s.SleepMS) * time.Millisecond)
	}
	if retry < s.FailUntilRetry {
		return nil, fmt.Errorf("flaky: failing at retry count %d (until %d)", retry, s.FailUntilRetry)
	}
	if s.Version == "v1" && s.RawPath != "" {
		if msg := s.Query["fail"]; msg != "" {
			return nil, fmt.Errorf("flaky: asked to fail: %s", msg)
		}
		status := 200
		if v, err := strconv.Atoi(s.Query["status"]); err == nil {
			status = v
		}
		return events.HTTPTriggerResponse{
			StatusCode: status,
			Headers:    map[string]string{"Content-Type": "application/json", "X-Flaky-Method": s.RequestContext.HTTP.Method},
			Body:       string(event),
		}, nil
	}
	return map[string]any{"retryCount": retry, "requestId": requestID, "event": event}, nil
}

func main() { fc.Start(handle) }
