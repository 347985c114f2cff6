package fclocal

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Response is the functions' JSON answer, the contract of
// shared/handler.Response, decoded here without importing the functions'
// code (and the ECS SDK with it), so fclocal builds quickly. A test keeps
// the two in step.
type Response struct {
	RequestID    string            `json:"requestId"`
	Function     string            `json:"function"`
	DryRun       bool              `json:"dryRun"`
	DryRunSource string            `json:"dryRunSource,omitempty"`
	Instances    []InstanceOutcome `json:"instances"`
	Summary      map[string]int    `json:"summary"`
	// Next is stop's hand-over to release (then:"release"): one request
	// per request that handed instances over.
	Next []Handover `json:"next,omitempty"`
}

// InstanceOutcome is what happened to one instance, and why.
type InstanceOutcome struct {
	InstanceID      string        `json:"instanceId"`
	Outcome         string        `json:"outcome"`
	Code            string        `json:"code,omitempty"`
	Reason          string        `json:"reason,omitempty"`
	Error           *OutcomeError `json:"error,omitempty"`
	Request         int           `json:"request,omitempty"`
	SnapshotIDs     []string      `json:"snapshotIds,omitempty"`
	AutoReleaseTime string        `json:"autoReleaseTime,omitempty"`
	Status          string        `json:"status,omitempty"`
	// StoppedMode is the mode ECS applied to an instance left Stopped;
	// Flags such as "stopped-still-charging" (counted in the summary too,
	// so the invocation lines and totals show them).
	StoppedMode string   `json:"stoppedMode,omitempty"`
	Flags       []string `json:"flags,omitempty"`
	// Receipt is the receipt of a spot interruption (kept as sent).
	Receipt json.RawMessage `json:"receipt,omitempty"`
}

// OutcomeError is the error of one instance.
type OutcomeError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable,omitempty"`
}

// Handover is the part of stop's next request the runner reports.
type Handover struct {
	InstanceIDs []string `json:"instanceIds"`
}

// HandedOver counts the instances of every hand-over request in Next.
func (r *Response) HandedOver() int {
	n := 0
	for _, h := range r.Next {
		n += len(h.InstanceIDs)
	}
	return n
}

// OutcomeSkipped is the outcome of an instance a guard refused.
const OutcomeSkipped = "skipped"

// Answer decodes a function's answer: the Response, directly or inside an
// HTTP trigger answer's body. status is the HTTP status (0 for event
// answers). ok is false when the payload is neither.
func Answer(payload []byte) (resp *Response, status int, ok bool) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil {
		return nil, 0, false
	}
	body := payload
	if probe["statusCode"] != nil {
		var h HTTPResponse
		if json.Unmarshal(payload, &h) != nil {
			return nil, 0, false
		}
		status, body = h.StatusCode, []byte(h.Body)
		if json.Unmarshal(body, &probe) != nil {
			return nil, status, false
		}
	}
	if probe["instances"] == nil && probe["summary"] == nil {
		return nil, status, false
	}
	var r Response
	if json.Unmarshal(body, &r) != nil {
		return nil, status, false
	}
	return &r, status, true
}

// SummaryText renders counts by outcome, sorted: "released=3 skipped=1".
func SummaryText(summary map[string]int) string {
	if len(summary) == 0 {
		return "no instances"
	}
	keys := make([]string, 0, len(summary))
	for k := range summary {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, summary[k])
	}
	return strings.Join(parts, " ")
}

// Outcome is a one-line description of the attempt's result: "ok" plus the
// answer's summary counts, or the error.
func (i Invocation) Outcome() string {
	switch {
	case i.RunErr != nil:
		return "not run: " + i.RunErr.Error()
	case i.Dropped:
		return "dropped: " + i.Err.ErrorMessage
	case i.Err != nil:
		return "error " + i.Err.ErrorType + ": " + oneLine(i.Err.ErrorMessage, 300)
	}
	resp, status, ok := Answer(i.Payload)
	s := "ok"
	if status != 0 {
		s = fmt.Sprintf("HTTP %d", status)
	}
	if !ok {
		if status != 0 {
			return s + " " + i.httpError()
		}
		return s + " " + oneLine(string(i.Payload), 200)
	}
	text := SummaryText(resp.Summary)
	if resp.DryRun {
		text += " (dry run)"
	}
	if len(resp.Next) > 0 {
		text += " next=" + Plural(resp.HandedOver(), "instance")
	}
	return s + " " + text
}

// httpError describes an HTTP answer that is not a function answer (a 4xx
// or 5xx): the request's method and path, then the error's code, field and
// message as the body says them, unescaped; or the body itself.
func (i Invocation) httpError() string {
	var ev struct {
		RawPath        string `json:"rawPath"`
		RequestContext struct {
			HTTP struct {
				Method string `json:"method"`
			} `json:"http"`
		} `json:"requestContext"`
	}
	_ = json.Unmarshal(i.Event, &ev)
	// Locally, a function's HTTP trigger is served under /<functionName>;
	// the event's rawPath is the path below it.
	path := ev.RawPath
	if strings.HasPrefix(i.Trigger, "http:") {
		path = "/" + i.Function + path
	}
	where := strings.TrimSpace(ev.RequestContext.HTTP.Method + " " + path)
	var h HTTPResponse
	_ = json.Unmarshal(i.Payload, &h)
	if h.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(h.Body); err == nil {
			h.Body = string(b)
		}
	}
	var body struct {
		Error *struct {
			Code, Field, Message string
		} `json:"error"`
	}
	text := oneLine(h.Body, 200)
	if json.Unmarshal([]byte(h.Body), &body) == nil && body.Error != nil {
		e := body.Error
		text = e.Code + ": "
		if e.Field != "" && !strings.HasPrefix(e.Message, e.Field) {
			text += e.Field + ": "
		}
		text += oneLine(e.Message, 300)
	}
	if where == "" {
		return text
	}
	return where + ": " + text
}

// Plural is "1 instance" or "n instances" (English's regular plurals:
// "deliveries", "batches"; the last word of noun is the one inflected).
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	switch {
	case len(noun) > 1 && strings.HasSuffix(noun, "y") && !strings.ContainsRune("aeiou", rune(noun[len(noun)-2])):
		noun = noun[:len(noun)-1] + "ies"
	case strings.HasSuffix(noun, "s") || strings.HasSuffix(noun, "x") || strings.HasSuffix(noun, "ch") || strings.HasSuffix(noun, "sh"):
		noun += "es"
	default:
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}

// Line is the progress line of an attempt: time, function, trigger,
// invocation type, request id, attempt, duration, outcome, what next.
func (i Invocation) Line() string {
	kind := "sync"
	att := ""
	if i.Async {
		kind = "async"
		att = fmt.Sprintf(" attempt %d/%d", i.Retry+1, i.MaxRetries+1)
	}
	s := fmt.Sprintf("%s %-16s %-32s %-5s %s%s %7s  %s",
		i.Start.Format("15:04:05.000"), i.Function, i.Trigger, kind, i.RequestID, att,
		i.Duration.Round(time.Millisecond), i.Outcome())
	if i.Next != "" {
		s += "  [" + i.Next + "]"
	}
	return s
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
