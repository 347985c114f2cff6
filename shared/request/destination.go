package request

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// destinationRecord is the body FC sends to an async destination:
// {timestamp, requestContext, requestPayload, responseContext, responsePayload}.
type destinationRecord struct {
	Timestamp      int64 `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext *struct {
		StatusCode    *int   `json:"statusCode"`
		FunctionError string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

// decodeDestination reads the record and returns responsePayload.next (a
// request, typically stop's hand-off to release). A record of a failed
// invocation, or one without next, is refused: release must not act on it.
func decodeDestination(raw []byte) (*Invocation, error) {
	var rec destinationRecord
	if err := looseUnmarshal(raw, &rec); err != nil {
		return nil, err
	}
	reqID := rec.RequestContext.RequestID
	if n := utf8.RuneCountInString(reqID); n > MaxRequestIDLength {
		return nil, invalid("requestContext.requestId", fmt.Sprintf("%d characters; at most %d", n, MaxRequestIDLength))
	}
	info := &DestinationInfo{
		RequestID:              reqID,
		FunctionARN:            rec.RequestContext.FunctionARN,
		Condition:              rec.RequestContext.Condition,
		ApproximateInvokeCount: rec.RequestContext.ApproximateInvokeCount,
		Timestamp:              rec.Timestamp,
	}
	rc := rec.ResponseContext
	if failed(rec) {
		// An onFailure record: reported, never acted on (whatever its
		// responsePayload says).
		return &Invocation{Source: SourceDestination, Destination: info, Failure: failureRecord(rec)}, nil
	}
	if rc == nil {
		return nil, invalid("responseContext", "missing")
	}
	if rc.StatusCode == nil {
		return nil, invalid("responseContext.statusCode", "missing")
	}
	next, err := destinationNext(rec.ResponsePayload)
	if err != nil {
		return nil, err
	}
	// next is one request, or (stop's hand-over of a batch) a list of
	// requests, each with its own options.
	var raws []json.RawMessage
	if jsonKind(next) == "array" {
		if err := json.Unmarshal(next, &raws); err != nil {
			return nil, within("responsePayload.next", notJSON(err))
		}
		if len(raws) == 0 {
			return nil, &Error{Code: CodeNothingHandedOver, Field: "responsePayload.next", Message: "the source function handed over no request (nothing to act on)"}
		}
	} else {
		raws = []json.RawMessage{next}
	}
	var reqs []Request
	for i, raw := range raws {
		at := "responsePayload.next"
		if len(raws) > 1 || jsonKind(next) == "array" {
			at = fmt.Sprintf("responsePayload.next[%d]", i)
		}
		r, err := decodeRequest(raw)
		if err != nil {
			return nil, within(at, err)
		}
		if r.OriginRequestID == "" {
			r.OriginRequestID = reqID
		}
		reqs = append(reqs, r)
	}
	return &Invocation{Source: SourceDestination, Requests: reqs, Destination: info}, nil
}

// FailureRecord is FC's destination record of an invocation that failed:
// its handler returned an error on every attempt, it crashed or timed out,
// or FC dropped the event as too old (maxAsyncEventAgeInSeconds). FC sends
// it to the function's onFailure destination.
type FailureRecord struct {
	// Condition is FC's requestContext.condition (HandledInvocationError,
	// UnhandledInvocationError, EventAgeExceeded, ...).
	Condition string
	// StatusCode is responseContext.statusCode (0 when absent).
	StatusCode int
	// Error is the failure's message: responseContext.functionError, or the
	// errorMessage of an error in responsePayload.
	Error string
	// RequestPayload is the failed invocation's event (a JSON string's
	// contents when FC wrote it as one).
	RequestPayload json.RawMessage
}

// Conditions FC writes on a failed invocation's record. The value on
// success is not documented (UNCONFIRMED; fclocal writes ""): a record is
// a failure when responseContext says so (a functionError, a status other
// than 200), or when its condition is one of these or reads like one (ends
// in "Error", "Exceeded" or "Exhausted", as the documented sample's
// FunctionResourceExhausted does). Reading too much as a failure only
// reports instead of acting, the safe side.
var failureConditions = []string{"HandledInvocationError", "UnhandledInvocationError", "EventAgeExceeded", "FunctionResourceExhausted"}

func failed(rec destinationRecord) bool {
	if rc := rec.ResponseContext; rc != nil && (rc.FunctionError != "" || (rc.StatusCode != nil && *rc.StatusCode != http.StatusOK)) {
		return true
	}
	c := rec.RequestContext.Condition
	if slices.Contains(failureConditions, c) {
		return true
	}
	for _, suffix := range []string{"Error", "Exceeded", "Exhausted"} {
		if strings.HasSuffix(c, suffix) {
			return true
		}
	}
	return false
}

// maxFailureText bounds the error text and the request a failure record
// carries into an answer.
const maxFailureText = 4 << 10

func failureRecord(rec destinationRecord) *FailureRecord {
	f := &FailureRecord{Condition: rec.RequestContext.Condition}
	if rc := rec.ResponseContext; rc != nil {
		f.Error = rc.FunctionError
		if rc.StatusCode != nil {
			f.StatusCode = *rc.StatusCode
		}
	}
	if inner, err := unwrapJSONText(rec.ResponsePayload); err == nil && inner != nil {
		var e struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal(inner, &e) == nil && e.ErrorMessage != "" {
			f.Error = e.ErrorMessage
		}
	}
	f.Error = truncateText(f.Error, maxFailureText)
	if inner, err := unwrapJSONText(rec.RequestPayload); err == nil && inner != nil && len(inner) <= fcAsyncLimit {
		f.RequestPayload = inner
	}
	return f
}

// fcAsyncLimit is FC's limit on an async event (and so on a record's
// request payload).
const fcAsyncLimit = 128 << 10

// truncateText cuts s to at most n bytes on a rune boundary, marking the cut.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// destinationNext finds responsePayload.next; responsePayload may be inline
// JSON or a string holding JSON.
func destinationNext(payload json.RawMessage) (json.RawMessage, error) {
	const missing = "missing or null: the source function returned no request to hand on"
	if payload == nil || isNull(payload) {
		return nil, invalid("responsePayload.next", missing)
	}
	inner, err := unwrapJSONText(payload)
	if err != nil {
		return nil, within("responsePayload", err)
	}
	if inner == nil || isNull(inner) {
		return nil, invalid("responsePayload.next", missing)
	}
	obj, dup, err := scanObject(inner)
	if err != nil {
		return nil, within("responsePayload", err)
	}
	if dup == "next" {
		return nil, invalid("responsePayload.next", "duplicate field")
	}
	next, ok := obj["next"]
	if !ok {
		// An HTTP-triggered invocation sent with X-Fc-Invocation-Type:
		// Async answers in the HTTP trigger's shape; its body holds the
		// answer.
		if body, isHTTP := httpAnswerBody(obj); isHTTP {
			return destinationNext(body)
		}
	}
	if !ok || isNull(next) || strings.TrimSpace(string(next)) == "" {
		// The source answered (an object) and handed nothing on: not an
		// error of the caller, but nothing to act on either.
		return nil, &Error{Code: CodeNothingHandedOver, Field: "responsePayload.next", Message: "the source function handed over no request (nothing to act on)"}
	}
	return next, nil
}

// httpAnswerBody returns the body of an answer in the FC HTTP trigger's
// shape {statusCode, headers, isBase64Encoded, body} as JSON, if obj is one.
func httpAnswerBody(obj map[string]json.RawMessage) (json.RawMessage, bool) {
	rawStatus, hasStatus := obj["statusCode"]
	rawBody, hasBody := obj["body"]
	if !hasStatus || !hasBody {
		return nil, false
	}
	var status int
	var body string
	if json.Unmarshal(rawStatus, &status) != nil || json.Unmarshal(rawBody, &body) != nil {
		return nil, false
	}
	var b64 bool
	if raw, ok := obj["isBase64Encoded"]; ok && json.Unmarshal(raw, &b64) == nil && b64 {
		decoded, err := base64.StdEncoding.DecodeString(body)
		if err != nil || !utf8.Valid(decoded) {
			return nil, false
		}
		body = string(decoded)
	}
	if status < 200 || status > 299 || !json.Valid([]byte(body)) {
		return nil, false
	}
	return json.RawMessage(body), true
}
