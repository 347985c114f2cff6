package ecsemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// maxFormBytes bounds a form body.
const maxFormBytes = 1 << 20

// params are the merged query and form parameters of one call.
type params map[string]string

func (p params) get(name string) string { return p[name] }

// ServeHTTP serves the ECS RPC API on "/" and the admin API under /_emulator/.
//
// The gateway (gateway.go) reads the body, parses the parameters and checks
// the signature, timestamp and nonce without e.mu; then latency and spikes
// are slept, still without it. Only fault injection, checkParams, the action
// and the call record run under e.mu; the answer is encoded and written
// after e.mu is released, so a client that sends or reads slowly holds up
// no other client, and a large answer no other call.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_emulator/") {
		e.serveAdmin(w, r)
		return
	}
	requestID := newRequestID()
	g := e.gateway(w, r)
	// Latency and spikes are slept outside the lock, so slow calls overlap.
	spike := e.drawSpike()
	if d := e.opts.Latency + spike; d > 0 {
		time.Sleep(d)
	}
	call, status, body := e.handle(r, requestID, g, spike)
	e.log(call)
	writeBody(w, status, encodeJSON(body))
}

// handle runs a call that passed (or failed) the gateway under e.mu, records
// it and returns the recorded call and the answer. Answers hold copies of
// the store's values, never references into it, so they are encoded after
// e.mu is released.
func (e *Emulator) handle(r *http.Request, requestID string, g gateResult, spike time.Duration) (Call, int, any) {
	// lockCall, not Lock: a read-only call leaves the listings remembered
	// (listing.go) good; a mutating one forgets them below, and a tick
	// pass does (tickOnce).
	e.mu.lockCall()
	defer e.mu.Unlock()
	p := g.p
	call := Call{Time: e.now(), RequestID: requestID, Action: p.get("Action"), Method: r.Method, AccessKeyID: g.accessKeyID, SecurityToken: g.securityToken, Spike: spike}
	call.Params = make(map[string]string, len(p))
	for k, v := range p {
		if k != "SecurityToken" {
			call.Params[k] = v
		}
	}
	var body answer
	aerr := g.err
	// The gateway routed the call (gateway.go): a call it let through
	// names a served version and action.
	prod, def, rerr := routeAction(p.get("Version"), p.get("Action"))
	if aerr == nil {
		aerr = rerr
	}
	if aerr == nil {
		aerr = prod.checkParams(p.get("Action"), p)
	}
	if aerr == nil {
		if aerr = e.injectFault(p); aerr != nil {
			call.Injected = true
		}
	}
	if aerr == nil {
		call.DryRun = p.get("DryRun") == "true"
		call.Mutating = def.mutating && !call.DryRun
		if def.mutating {
			e.st.changed()
		}
		e.st.tick(call.Time)
		if e.opts.Witness && def.mutating {
			call.Before = e.witnessNamed(p)
		}
		body, aerr = def.run(e, &rpc{p: p, now: call.Time, region: p.get("RegionId")})
		if e.opts.Witness && aerr == nil && call.Action == "DescribeInstances" {
			call.Returned = e.witnessReturned(body)
		}
	}
	if aerr != nil {
		call.Status, call.Code = aerr.Status, aerr.Code
		e.record(call)
		if aerr.Status == http.StatusOK {
			// CloudMonitor's in-body failure (cms.go).
			return call, http.StatusOK, cmsFailure{Response: Response{RequestId: requestID}, Code: aerr.Code, Message: aerr.Message}
		}
		code := "Ecs"
		if prod == nil {
			prod = products[p.get("Version")]
		}
		if prod != nil {
			code = prod.code
		}
		return call, aerr.Status, errorBody(r, requestID, aerr, code)
	}
	call.Status = http.StatusOK
	e.record(call)
	body.setRequestID(requestID)
	return call, http.StatusOK, body
}

func (e *Emulator) log(c Call) {
	if e.opts.Logger == nil {
		return
	}
	e.opts.Logger.Info("ecs call", "action", c.Action, "status", c.Status, "code", c.Code, "requestId", c.RequestID, "dryRun", c.DryRun)
}

// authenticate performs the signature v1 checks in the order the real
// gateway reports them: action and version, common parameters, timestamp,
// key, signature, nonce. p holds every parameter but Signature. It does not
// take e.mu.
func (e *Emulator) authenticate(method string, p params, signature string) *apiError {
	action := p.get("Action")
	if action == "" {
		return errMissing("Action")
	}
	if _, _, err := routeAction(p.get("Version"), action); err != nil {
		return err
	}
	for _, name := range []string{"AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"} {
		if p.get(name) == "" {
			return errMissing(name)
		}
	}
	if signature == "" {
		return errMissing("Signature")
	}
	if p.get("SignatureMethod") != "HMAC-SHA1" || p.get("SignatureVersion") != "1.0" {
		return errf("InvalidParamater", "The specified parameter \"SignatureMethod or SignatureVersion\" is not valid.")
	}
	if !e.opts.SkipTimestampCheck {
		ts, err := time.Parse(layoutSecond, p.get("Timestamp"))
		if err != nil {
			return errf("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
		}
		if d := time.Since(ts); d > timestampSkew || d < -timestampSkew {
			return errf("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
		}
	}
	if p.get("AccessKeyId") != e.opts.AccessKeyID {
		return errf("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	stringToSign := StringToSign(method, p)
	if !hmac.Equal([]byte(Sign(stringToSign, e.opts.AccessKeySecret)), []byte(signature)) {
		return errf("SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", stringToSign)
	}
	if !e.useNonce(p.get("SignatureNonce")) {
		return errNonceUsed()
	}
	return nil
}

// injectFault applies queued injected errors, then the QPS limit, then the
// random throttle and error rates.
func (e *Emulator) injectFault(p params) *apiError {
	action := p.get("Action")
	for i := range e.inject {
		in := &e.inject[i]
		if in.left > 0 && (in.action == "" || in.action == action) {
			in.left--
			err := *in.err
			return &err
		}
	}
	if e.faults.MaxQPS > 0 {
		key := p.get("AccessKeyId") + "/" + action
		lim := e.limiters[key]
		if lim == nil {
			lim = rate.NewLimiter(rate.Limit(e.faults.MaxQPS), max(1, int(e.faults.MaxQPS)))
			e.limiters[key] = lim
		}
		if !lim.Allow() {
			return errf("Throttling.User", msgThrottled)
		}
	}
	if e.faults.ThrottleRate > 0 || e.faults.ErrorRate > 0 {
		x := e.faultRNG.Float64()
		switch {
		case x < e.faults.ThrottleRate:
			return errf("Throttling.User", msgThrottled)
		case x < e.faults.ThrottleRate+e.faults.ErrorRate:
			return errf("InternalError", msgInternal)
		}
	}
	return nil
}

// PercentEncode is RFC 3986 encoding as signature v1 wants it.
func PercentEncode(s string) string {
	out := url.QueryEscape(s)
	out = strings.ReplaceAll(out, "+", "%20")
	out = strings.ReplaceAll(out, "*", "%2A")
	return strings.ReplaceAll(out, "%7E", "~")
}

// StringToSign builds the signature v1 string to sign over every parameter
// (except Signature) with the request's HTTP method.
func StringToSign(method string, p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = PercentEncode(k) + "=" + PercentEncode(p[k])
	}
	return method + "&" + PercentEncode("/") + "&" + PercentEncode(strings.Join(pairs, "&"))
}

// Sign is Base64(HMAC-SHA1(secret + "&", stringToSign)).
func Sign(stringToSign, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// encodeJSON encodes an answer body.
func encodeJSON(body any) []byte {
	b, err := json.Marshal(body)
	if err != nil {
		// Answers are plain data; this is a bug in the emulator.
		panic(fmt.Sprintf("ecsemu: encoding an answer: %v", err))
	}
	return append(b, '\n')
}

// writeBody writes an encoded JSON answer.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// errorBody is ECS's error body; every field is a string because the SDK
// type-asserts them.
func errorBody(r *http.Request, requestID string, err *apiError, product string) map[string]string {
	host := r.Host
	if host == "" {
		host = strings.ToLower(product) + ".aliyuncs.com"
	}
	return map[string]string{
		"RequestId": requestID,
		"HostId":    host,
		"Code":      err.Code,
		"Message":   err.Message,
		"Recommend": fmt.Sprintf("https://api.aliyun.com/troubleshoot?q=%s&product=%s&requestId=%s", url.QueryEscape(err.Code), product, requestID),
	}
}
