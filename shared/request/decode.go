package request

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Source names the shape an invocation arrived in.
type Source string

const (
	SourceUnknown         Source = ""
	SourceTimer           Source = "timer"
	SourceHTTP            Source = "fc-http"
	SourceCloudEvent      Source = "cloudevent"
	SourceCloudEventBatch Source = "cloudevent-batch"
	SourceDestination     Source = "fc-destination"
	SourceAWSEventBridge  Source = "aws-eventbridge"
	SourceAPIGatewayV2    Source = "aws-apigatewayv2"
	SourceFunctionURL     Source = "aws-function-url"
	SourceDirect          Source = "direct"
)

// Invocation is one decoded event: its shape, the requests it carries and
// what the caller needs to log it and to answer in the same shape.
type Invocation struct {
	Source Source
	// Requests holds one request per event (a batched CloudEvents array
	// yields one per element, in order). Never empty.
	Requests []Request
	// HTTP is set for SourceHTTP, SourceAPIGatewayV2 and SourceFunctionURL.
	HTTP *HTTPInfo
	// Query is set for an HTTP GET status query; Requests[0] then carries
	// the same instance IDs and region.
	Query *StatusQuery
	// Events is set for CloudEvent sources, SourceAWSEventBridge and
	// SourceCloudMonitor: one per request, same order.
	Events []EventInfo
	// Timer is set for SourceTimer.
	Timer *TimerInfo
	// Destination is set for SourceDestination.
	Destination *DestinationInfo
	// Failure is set (and Requests empty) for an onFailure destination
	// record: an invocation that failed after FC's last retry, or an event
	// FC dropped. It is reported, never acted on.
	Failure *FailureRecord
}

// HTTPInfo describes the HTTP request behind an HTTP-shaped invocation.
type HTTPInfo struct {
	Method    string
	Path      string
	Query     map[string]string // repeated keys arrive joined with commas
	Headers   map[string]string
	RequestID string
	SourceIP  string
}

// StatusQuery asks for the current auto-release setting of instances
// (HTTP GET ?instanceId=i-a,i-b[&region=...]).
type StatusQuery struct {
	Region      string
	InstanceIDs []string
}

// EventInfo is the envelope of one CloudEvent or EventBridge event.
type EventInfo struct {
	ID      string
	Source  string
	Type    string // CloudEvent type, or EventBridge detail-type
	Subject string
	Time    string
	Kind    DataKind
	State   string // ECS events: the instance state the event reports, if any
	JobID   string // job-completion records
	JobName string
}

// DataKind says how an event's data (or detail) was read.
type DataKind string

const (
	DataRequest   DataKind = "request"
	DataJobRecord DataKind = "job-record"
	DataECSEvent  DataKind = "ecs-event"
)

// TimerInfo describes a timer trigger firing.
type TimerInfo struct {
	TriggerName string
	TriggerTime string
}

// DestinationInfo is the requestContext of an async destination record.
type DestinationInfo struct {
	RequestID              string
	FunctionARN            string
	Condition              string
	ApproximateInvokeCount int
	Timestamp              int64 // epoch milliseconds
}

// Option adjusts Decode.
type Option func(*options)

type options struct {
	function Function
}

// WithFunction makes Decode also run Invocation.ValidateFor(fn). Use it only
// when configuration adds nothing to the request; otherwise merge first and
// call ValidateFor yourself.
func WithFunction(fn Function) Option {
	return func(o *options) { o.function = fn }
}

// Decode recognises the shape of payload, decodes every request it carries
// and validates each on its own (see Request.Validate). The size limit is
// checked before any parsing. On error the Invocation is nil and the error is
// an *Error naming the field; answer it with Detect(payload).RespondError.
func Decode(payload []byte, opts ...Option) (*Invocation, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if len(payload) > MaxPayloadBytes {
		return nil, &Error{Code: CodePayloadTooLarge, Message: fmt.Sprintf(
			"the event is %d bytes; at most %d bytes (%d KiB)", len(payload), MaxPayloadBytes, MaxPayloadBytes>>10)}
	}
	// encoding/json silently turns invalid UTF-8 into U+FFFD; refuse it
	// instead of acting on a request that is not what was sent.
	if !utf8.Valid(payload) {
		return nil, invalid("", "the payload is not valid UTF-8")
	}
	inv, err := decode(payload)
	if err != nil {
		return nil, err
	}
	if o.function != "" {
		if err := inv.ValidateFor(o.function); err != nil {
			return nil, err
		}
	}
	return inv, nil
}

// Detect names the shape of payload using the same rules as Decode, without
// decoding it (and without the size limit). Anything not recognised as one
// of the shapes is SourceUnknown.
func Detect(payload []byte) Source {
	raw := bytes.TrimSpace(payload)
	switch jsonKind(raw) {
	case "array":
		if json.Valid(raw) {
			return SourceCloudEventBatch
		}
	case "object":
		if obj, _, err := scanObject(raw); err == nil {
			src, _ := detectObject(obj)
			return src
		}
	}
	return SourceUnknown
}

func decode(payload []byte) (*Invocation, error) {
	raw := bytes.TrimSpace(payload)
	if len(raw) == 0 {
		return nil, unsupported("", "empty payload; send a JSON object ({} for the default request)")
	}
	if !json.Valid(raw) {
		return nil, invalid("", "the payload is not valid JSON")
	}
	switch k := jsonKind(raw); k {
	case "array":
		return decodeCloudEventBatch(raw)
	case "object":
	case "null":
		return nil, invalid("", "null is not a request; send a JSON object ({} for the default request)")
	default:
		return nil, unsupported("", "want a JSON object or an array of CloudEvents, got "+k)
	}
	obj, err := parseObject(raw)
	if err != nil {
		return nil, err
	}
	src, err := detectObject(obj)
	if err != nil {
		return nil, err
	}
	switch src {
	case SourceTimer:
		return decodeTimer(obj)
	case SourceHTTP:
		return decodeFCHTTP(raw)
	case SourceAPIGatewayV2:
		return decodeAPIGatewayV2(raw)
	case SourceFunctionURL:
		return decodeFunctionURL(raw)
	case SourceCloudEvent:
		return decodeSingleCloudEvent(obj)
	case SourceDestination:
		return decodeDestination(raw)
	case SourceAWSEventBridge:
		return decodeAWSEventBridge(raw, obj)
	case SourceCloudMonitor:
		return decodeCloudMonitor(raw, obj)
	default:
		r, err := decodeRequest(raw)
		if err != nil {
			return nil, err
		}
		return &Invocation{Source: SourceDirect, Requests: []Request{r}}, nil
	}
}

// detectObject applies the key rules documented in doc.go, in order.
func detectObject(obj object) (Source, error) {
	switch {
	case obj.present("rawPath") && obj.present("requestContext"):
		v, _ := obj.str("version")
		switch v {
		case "v1":
			return SourceHTTP, nil
		case "2.0":
			if isFunctionURL(obj) {
				return SourceFunctionURL, nil
			}
			return SourceAPIGatewayV2, nil
		default:
			return SourceUnknown, unsupported("version", fmt.Sprintf(
				"%s is not a known HTTP event version (want \"v1\" for an FC HTTP trigger or \"2.0\" for AWS)", quote(v)))
		}
	case obj.present("responseContext") && (obj.present("requestPayload") || obj.present("responsePayload")):
		return SourceDestination, nil
	case obj.present("specversion"):
		return SourceCloudEvent, nil
	case obj.present("detail-type"):
		return SourceAWSEventBridge, nil
	case obj.present("triggerTime") || obj.present("triggerName"):
		return SourceTimer, nil
	case isCloudMonitorEvent(obj):
		return SourceCloudMonitor, nil
	default:
		return SourceDirect, nil
	}
}

// isFunctionURL tells a Lambda function URL event from an API Gateway v2
// HTTP API event (both version "2.0"): a requestContext.domainName under
// ".lambda-url." decides; otherwise a routeKey (top level or in
// requestContext) means API Gateway; otherwise it is a function URL.
func isFunctionURL(obj object) bool {
	var rc struct {
		DomainName any `json:"domainName"`
		RouteKey   any `json:"routeKey"`
	}
	_ = json.Unmarshal(obj["requestContext"], &rc)
	if d, ok := rc.DomainName.(string); ok && strings.Contains(d, ".lambda-url.") {
		return true
	}
	top, _ := obj.str("routeKey")
	rk, _ := rc.RouteKey.(string)
	return top == "" && rk == ""
}

// requestPath is where request i sits inside the event, for error fields.
func (inv *Invocation) requestPath(i int) string {
	switch inv.Source {
	case SourceTimer:
		return "payload"
	case SourceHTTP, SourceAPIGatewayV2, SourceFunctionURL:
		return "body"
	case SourceCloudEvent:
		return "data"
	case SourceCloudEventBatch:
		return fmt.Sprintf("[%d].data", i)
	case SourceDestination:
		if len(inv.Requests) > 1 {
			return fmt.Sprintf("responsePayload.next[%d]", i)
		}
		return "responsePayload.next"
	case SourceAWSEventBridge:
		return "detail"
	default:
		return ""
	}
}

// ValidateFor applies Request.ValidateFor(fn) to every request, naming the
// field where it sits in the event. A status query is only answered by the
// autorelease function; others get MethodNotAllowed.
func (inv *Invocation) ValidateFor(fn Function) error {
	if inv.Query != nil {
		if fn != AutoRelease {
			return &Error{Code: CodeMethodNotAllowed, Field: "requestContext.http.method",
				Message: fmt.Sprintf("GET status queries are answered by the autorelease function only; send the %s request with POST", fn)}
		}
		return nil // Decode validated the IDs and region
	}
	for i, r := range inv.Requests {
		if err := r.ValidateFor(fn); err != nil {
			return within(inv.requestPath(i), err)
		}
	}
	return nil
}
