package handler

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/config"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// The failure path. Every function's onFailure destination is the function
// itself (s.yaml): when an invocation still fails after FC's last retry, or
// FC drops its event as too old, FC delivers a destination record of it.
// The function answers the record with a report — which function, what
// condition, how many attempts, the error, the instances the work was
// about, what to do now — and notifies it. It acts on nothing (no ECS
// call), and it never fails: a failing report would be retried and fail
// over to itself again.

// instanceIDInText finds instance IDs in an error message. It is compiled
// when a failure record first needs it, not at start: its bounded
// repetition makes a large program (a quarter of a millisecond, about 5%
// of a cold start, for a path few invocations take).
var instanceIDInText = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bi-[0-9a-z]{1,62}\b`) })

// maxReportedInstances bounds the IDs a report lists.
const maxReportedInstances = 200

// reportFailure answers an onFailure destination record. cfgErr is the
// deployment's configuration problem, if any: the record is reported all
// the same (with the problem), and the invocation succeeds. So does a
// panic while reporting: nothing may send the record round again.
func (h *Handler) reportFailure(inv *invocation, decoded *request.Invocation, cfgErr error) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			inv.log.Error("failure record: the report itself failed; the record is dropped, not sent round again", "panic", inv.redact.String(fmt.Sprint(p)))
			out, err = map[string]any{"failure": "unreported", "error": "the report failed; see the function log"}, nil
		}
	}()
	f, d := decoded.Failure, decoded.Destination
	rep := &answer.FailureReport{
		Function:    functionOf(d.FunctionARN),
		FunctionARN: d.FunctionARN,
		Condition:   f.Condition,
		Attempts:    d.ApproximateInvokeCount,
		RequestID:   d.RequestID,
		Error:       inv.redact.String(f.Error),
	}
	if rep.Function == "" {
		rep.Function = string(h.fn)
	}
	if rep.Condition == "" && f.StatusCode != 0 && f.StatusCode != 200 {
		rep.Condition = fmt.Sprintf("status %d", f.StatusCode)
	}
	var ids []string
	add := func(id string) {
		if request.ValidInstanceID(id) && !slices.Contains(ids, id) && len(ids) < maxReportedInstances {
			ids = append(ids, id)
		}
	}
	for _, id := range instanceIDInText().FindAllString(f.Error, -1) {
		add(id)
	}
	// The failed invocation's own event: which instances or which policy.
	// A record of a record is not unwrapped further.
	if len(f.RequestPayload) > 0 {
		if inner, err := request.Decode(f.RequestPayload); err == nil && inner.Failure == nil {
			for _, r := range inner.Requests {
				for _, id := range r.InstanceIDs {
					add(id)
				}
			}
			rep.Request = inv.redact.String(describeRequests(inner.Requests))
		}
	}
	rep.InstanceIDs = ids
	rep.Advice = failureAdvice(classify(rep.Function, h.fn), rep.Condition, ids)
	if cfgErr != nil {
		rep.Advice = "This function's configuration is invalid (" + inv.redact.String(cfgErr.Error()) + "): fix it first — every invocation fails until then. " + rep.Advice
	}
	resp := inv.newResponse(config.Plan{})
	resp.Failure = rep
	inv.log.Warn("failure record: work left after FC's retries", "sourceFunction", rep.Function, "condition", rep.Condition,
		"attempts", rep.Attempts, "sourceRequestId", rep.RequestID, "instanceIds", ids, "error", rep.Error)
	inv.notify(resp)
	inv.summarize(resp)
	return decoded.Respond(200, resp)
}

// functionOf is the function name of an FC function ARN
// (acs:fc:<region>:<account>:functions/<name>, or the FC 2.0 form
// .../services/<svc>/functions/<name>).
func functionOf(arn string) string {
	if i := strings.LastIndex(arn, "functions/"); i >= 0 {
		return arn[i+len("functions/"):]
	}
	return ""
}

// classify tells which of the three functions a source function is, by its
// name (ecs-stop, ecs-release, ecs-autorelease by default), or fn itself.
func classify(name string, fn request.Function) request.Function {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "autorelease") || strings.Contains(n, "auto-release"):
		return request.AutoRelease
	case strings.Contains(n, "release"):
		return request.Release
	case strings.Contains(n, "stop"):
		return request.Stop
	}
	return fn
}

func failureAdvice(fn request.Function, condition string, ids []string) string {
	var b strings.Builder
	if condition == "EventAgeExceeded" {
		b.WriteString("FC dropped the event before it ran (older than maxAsyncEventAgeInSeconds): nothing in it was done. ")
	}
	retry := `{"instanceIds":[...]}`
	if len(ids) > 0 {
		q, _ := json.Marshal(ids[:min(len(ids), 20)])
		retry = `{"instanceIds":` + string(q) + `}`
	}
	switch fn {
	case request.Stop:
		b.WriteString("These instances may still be running and billing. Check them, then run the stop again (its HTTP trigger with " + retry + ", or the next timer run): every step is idempotent and re-checks the guards.")
	case request.Release:
		b.WriteString("These instances may be stopped but not released: their disks (and any elastic IP) keep billing. Send them to ecs-release again through its HTTP trigger with " + retry + ": it re-checks every guard before it acts.")
	default:
		b.WriteString("These instances may lack the auto-release time they should have, or keep one they should not. Run the sweep again, or call ecs-autorelease's HTTP trigger for them (GET ?instanceId=... shows their setting).")
	}
	return b.String()
}

// describeRequests summarizes the failed event's requests for people:
// reason, instance count, selector.
func describeRequests(reqs []request.Request) string {
	parts := make([]string, 0, len(reqs))
	for _, r := range reqs {
		var p []string
		if r.Reason != "" {
			p = append(p, "reason: "+r.Reason)
		}
		if n := len(r.InstanceIDs); n > 0 {
			p = append(p, fmt.Sprintf("%d named instances", n))
		}
		if r.Selector != nil {
			sel, _ := json.Marshal(r.Selector)
			p = append(p, "selector "+string(sel))
		}
		if r.Then != "" {
			p = append(p, "then "+r.Then)
		}
		if r.Sweep {
			p = append(p, "sweep")
		}
		if len(p) == 0 {
			p = append(p, "a request")
		}
		parts = append(parts, strings.Join(p, ", "))
	}
	s := strings.Join(parts, "; ")
	if r := []rune(s); len(r) > 1000 {
		s = string(r[:1000]) + "…"
	}
	return s
}
