package fclocal

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"slices"
	"strings"
	"time"
)

// Response and InstanceOutcome are the functions' answer: the wire
// contract of package answer (which links no SDK, so fclocal builds
// quickly).
type (
	Response        = answer.Response
	InstanceOutcome = answer.InstanceOutcome
)

// OutcomeSkipped is the outcome of an instance a guard refused.
const OutcomeSkipped = answer.OutcomeSkipped

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
	text := SummaryText(resp.Summary.Counts)
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
