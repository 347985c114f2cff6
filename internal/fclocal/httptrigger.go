package fclocal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// HTTPEvent is the FC 3.0 HTTP trigger event (version "v1") a function
// receives (FC 3.0 HTTP trigger event).
type HTTPEvent struct {
	Version         string            `json:"version"`
	RawPath         string            `json:"rawPath"`
	Headers         map[string]string `json:"headers"`
	QueryParameters map[string]string `json:"queryParameters"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  HTTPRequestCtx    `json:"requestContext"`
}

// HTTPRequestCtx is the event's requestContext.
type HTTPRequestCtx struct {
	AccountID    string          `json:"accountId"`
	DomainName   string          `json:"domainName"`
	DomainPrefix string          `json:"domainPrefix"`
	RequestID    string          `json:"requestId"`
	Time         string          `json:"time"`
	TimeEpoch    string          `json:"timeEpoch"`
	HTTP         HTTPRequestInfo `json:"http"`
}

// HTTPRequestInfo is requestContext.http.
type HTTPRequestInfo struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// HTTPResponse is what a function answers an HTTP trigger with.
type HTTPResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Body            string            `json:"body"`
}

// HTTPHandler serves the HTTP triggers. Each function with an HTTP trigger
// is served under the path prefix /<functionName>/ (FC's function
// identity, as in its invoke path); the function sees the rest of the path
// as rawPath, as it would see the path of its fcapp.run URL. GET / lists
// the routes.
//
// A method outside the trigger's methods gets 405 with Allow. With
// X-Fc-Invocation-Type: Async the event is queued (async retries and
// destinations apply) and the answer is 202 with X-Fc-Request-Id. A
// synchronous function error is answered 502 with the error as JSON and
// X-Fc-Error-Type (FC's exact answer here is not documented). An answer
// that is not a {statusCode, ...} object is sent as a 200 JSON body.
// authType function/jwt signatures are NOT checked locally.
func (r *Runner) HTTPHandler() http.Handler {
	return http.HandlerFunc(r.serveHTTP)
}

// HTTPRoutes maps each served path prefix to its function name.
func (r *Runner) HTTPRoutes() map[string]string {
	m := map[string]string{}
	for _, rf := range r.funcs {
		if rf.fn.HTTPTrigger() != nil {
			m["/"+rf.fn.Name+"/"] = rf.fn.Name
		}
	}
	return m
}

func httpError(w http.ResponseWriter, status int, reqID, code, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	if reqID != "" {
		w.Header().Set("X-Fc-Request-Id", reqID)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"ErrorCode": code, "ErrorMessage": fmt.Sprintf(format, args...)})
}

func (r *Runner) serveHTTP(w http.ResponseWriter, req *http.Request) {
	escaped := req.URL.EscapedPath()
	name, rest, _ := strings.Cut(strings.TrimPrefix(escaped, "/"), "/")
	if name == "" {
		routes := r.HTTPRoutes()
		keys := make([]string, 0, len(routes))
		for k := range routes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"routes": keys})
		return
	}
	fname, _ := url.PathUnescape(name)
	var rf *runFunc
	for _, f := range r.funcs {
		if f.fn.Name == fname {
			rf = f
		}
	}
	reqID := NewRequestID()
	if rf == nil {
		httpError(w, http.StatusNotFound, reqID, "FunctionNotFound", "no function %q here; HTTP triggers are served under /<functionName>/ (%s)", fname, strings.Join(r.Project.FunctionNames(), ", "))
		return
	}
	trig := rf.fn.HTTPTrigger()
	if trig == nil {
		httpError(w, http.StatusNotFound, reqID, "TriggerNotFound", "function %s has no HTTP trigger", rf.fn.Name)
		return
	}
	if !trig.HTTP.Allows(req.Method) {
		w.Header().Set("Allow", strings.Join(trig.HTTP.Methods, ", "))
		httpError(w, http.StatusMethodNotAllowed, reqID, "MethodNotAllowed", "method %s is not allowed by trigger %s of %s (methods: %s)", req.Method, trig.Name, rf.fn.Name, strings.Join(trig.HTTP.Methods, ", "))
		return
	}
	async := strings.EqualFold(req.Header.Get("X-Fc-Invocation-Type"), "Async")
	limit := int64(MaxSyncPayloadBytes)
	if async {
		limit = MaxAsyncPayloadBytes
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		httpError(w, http.StatusBadRequest, reqID, "BadRequest", "reading the body: %v", err)
		return
	}
	if int64(len(body)) > limit {
		httpError(w, http.StatusRequestEntityTooLarge, reqID, "PayloadTooLarge", "the body is over %d bytes", limit)
		return
	}
	event := r.httpEvent(req, "/"+rest, body, reqID)
	payload, _ := json.Marshal(event)
	if async {
		id, err := r.InvokeAsync(rf.fn.Name, payload, "http:"+trig.Name)
		if err != nil {
			httpError(w, http.StatusServiceUnavailable, reqID, "ServiceUnavailable", "%v", err)
			return
		}
		w.Header().Set("X-Fc-Request-Id", id)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	inv := r.call(req.Context(), rf, payload, attempt{trigger: "http:" + trig.Name, requestID: reqID})
	r.emit(inv)
	w.Header().Set("X-Fc-Request-Id", reqID)
	switch {
	case inv.RunErr != nil:
		httpError(w, http.StatusServiceUnavailable, reqID, "ServiceUnavailable", "%v", inv.RunErr)
		return
	case inv.Err != nil:
		w.Header().Set("X-Fc-Error-Type", inv.Err.ErrorType)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		_ = json.NewEncoder(w).Encode(inv.Err)
		return
	}
	writeHTTPAnswer(w, inv.Payload, reqID)
}

func writeHTTPAnswer(w http.ResponseWriter, payload []byte, reqID string) {
	var probe map[string]json.RawMessage
	var ans HTTPResponse
	if json.Unmarshal(payload, &probe) != nil || probe["statusCode"] == nil || json.Unmarshal(payload, &ans) != nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
		return
	}
	body := []byte(ans.Body)
	if ans.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ans.Body)
		if err != nil {
			httpError(w, http.StatusBadGateway, reqID, "InvalidFunctionResponse", "isBase64Encoded is true but body is not base64: %v", err)
			return
		}
		body = b
	}
	for k, v := range ans.Headers {
		w.Header().Set(k, v)
	}
	status := ans.StatusCode
	if status < 100 || status > 999 {
		httpError(w, http.StatusBadGateway, reqID, "InvalidFunctionResponse", "statusCode %d is not an HTTP status", status)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// httpEvent maps a request to the HTTP trigger event.
func (r *Runner) httpEvent(req *http.Request, rawPath string, body []byte, reqID string) HTTPEvent {
	now := time.Now().UTC()
	headers := map[string]string{}
	for k, vs := range req.Header {
		headers[k] = strings.Join(vs, ",")
	}
	if req.Host != "" {
		headers["Host"] = req.Host
	}
	query := map[string]string{}
	for k, vs := range req.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		path = rawPath
	}
	ip := req.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	ev := HTTPEvent{
		Version:         "v1",
		RawPath:         rawPath,
		Headers:         headers,
		QueryParameters: query,
		RequestContext: HTTPRequestCtx{
			AccountID:    r.opts.AccountID,
			DomainName:   req.Host,
			DomainPrefix: strings.SplitN(req.Host, ".", 2)[0],
			RequestID:    reqID,
			Time:         now.Format(time.RFC3339),
			TimeEpoch:    strconv.FormatInt(now.UnixMilli(), 10),
			HTTP: HTTPRequestInfo{
				Method: req.Method, Path: path, Protocol: req.Proto, SourceIP: ip, UserAgent: req.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isTextBody(req.Header.Get("Content-Type"), body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// isTextBody decides whether a body is passed as text: valid UTF-8 without
// NUL bytes, and a textual or absent Content-Type. Anything else is sent
// base64-encoded with isBase64Encoded true.
func isTextBody(contentType string, body []byte) bool {
	if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
		return false
	}
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/x-www-form-urlencoded",
		mt == "application/javascript", mt == "application/x-ndjson":
		return true
	}
	return false
}
