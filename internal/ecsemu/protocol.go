package ecsemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// maxFormBytes bounds a form body.
const maxFormBytes = 1 << 20

// params are the merged query and form parameters of one call.
type params map[string]string

func (p params) get(name string) string { return p[name] }

// list returns Name.1, Name.2, ... until the first gap.
func (p params) list(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := p[fmt.Sprintf("%s.%d", name, i)]
		if !ok {
			return out
		}
		out = append(out, v)
	}
}

// ServeHTTP serves the ECS RPC API on "/" and the admin API under /_emulator/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_emulator/") {
		e.serveAdmin(w, r)
		return
	}
	// Latency and spikes are slept outside the lock, so slow calls overlap.
	spike := e.drawSpike()
	if d := e.opts.Latency + spike; d > 0 {
		time.Sleep(d)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	requestID := e.newRequestID()
	p, signature, perr := readParams(r)
	call := Call{Time: e.now(), RequestID: requestID, Action: p.get("Action"), Method: r.Method, AccessKeyID: p.get("AccessKeyId"), SecurityToken: p.get("SecurityToken"), Spike: spike}
	call.Params = make(map[string]string, len(p))
	for k, v := range p {
		if k != "SecurityToken" {
			call.Params[k] = v
		}
	}
	var body answer
	aerr := perr
	if aerr == nil {
		aerr = e.authenticate(r, p, signature)
	}
	if aerr == nil {
		aerr = checkParams(p.get("Action"), p)
	}
	if aerr == nil {
		if aerr = e.injectFault(p); aerr != nil {
			call.Injected = true
		}
	}
	if aerr == nil {
		def := actions[p.get("Action")]
		call.DryRun = p.get("DryRun") == "true"
		call.Mutating = def.mutating && !call.DryRun
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
		e.log(call)
		writeError(w, r, requestID, aerr)
		return
	}
	call.Status = http.StatusOK
	e.record(call)
	e.log(call)
	body.setRequestID(requestID)
	writeJSON(w, http.StatusOK, body)
}

func (e *Emulator) log(c Call) {
	if e.opts.Logger == nil {
		return
	}
	e.opts.Logger.Info("ecs call", "action", c.Action, "status", c.Status, "code", c.Code, "requestId", c.RequestID, "dryRun", c.DryRun)
}

// readParams merges the query and a form body (on a clash the body's value
// wins: net/http's ParseForm lists body values first; the real gateway's
// rule is undocumented). Signature is returned apart; every other parameter
// takes part in the signature.
func readParams(r *http.Request) (params, string, *apiError) {
	if r.URL.Path != "/" {
		return params{}, "", &apiError{Status: http.StatusNotFound, Code: "InvalidAction.NotFound", Message: fmt.Sprintf("The path %q is not served; ECS RPC calls go to /.", r.URL.Path)}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return params{}, "", &apiError{Status: http.StatusForbidden, Code: "UnsupportedHTTPMethod", Message: "This http method is not supported."}
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return params{}, "", errf("InvalidParameter", "The request parameters cannot be parsed: %v", err)
	}
	p := make(params, len(r.Form))
	for k, vs := range r.Form {
		if len(vs) > 0 {
			p[k] = vs[0]
		}
	}
	sig := p["Signature"]
	delete(p, "Signature")
	return p, sig, nil
}

// authenticate performs the gateway checks in the order the real gateway
// reports them: action and version, common parameters, key, signature,
// nonce.
func (e *Emulator) authenticate(r *http.Request, p params, signature string) *apiError {
	action := p.get("Action")
	if action == "" {
		return errMissing("Action")
	}
	if p.get("Version") != APIVersion {
		return errf("InvalidParameter", "Specified parameter \"Action or Version\" is not valid.")
	}
	if _, ok := actions[action]; !ok {
		return errf("InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
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
	stringToSign := StringToSign(r.Method, p)
	if !hmac.Equal([]byte(Sign(stringToSign, e.opts.AccessKeySecret)), []byte(signature)) {
		return errf("SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", stringToSign)
	}
	nonce := p.get("SignatureNonce")
	wall := time.Now()
	if _, used := e.nonces[nonce]; used {
		return errf("SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	e.nonces[nonce] = wall
	if len(e.nonces) > 100_000 {
		for n, t := range e.nonces {
			if wall.Sub(t) > 2*timestampSkew {
				delete(e.nonces, n)
			}
		}
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
	sort.Strings(keys)
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

func (e *Emulator) newRequestID() string {
	r := e.faultRNG
	return fmt.Sprintf("%08X-%04X-%04X-%04X-%012X", r.Uint32(), r.Intn(1<<16), r.Intn(1<<16), r.Intn(1<<16), r.Int63n(1<<48))
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// writeError writes ECS's error body; every field is a string because the
// SDK type-asserts them.
func writeError(w http.ResponseWriter, r *http.Request, requestID string, err *apiError) {
	host := r.Host
	if host == "" {
		host = "ecs.aliyuncs.com"
	}
	writeJSON(w, err.Status, map[string]string{
		"RequestId": requestID,
		"HostId":    host,
		"Code":      err.Code,
		"Message":   err.Message,
		"Recommend": fmt.Sprintf("https://api.aliyun.com/troubleshoot?q=%s&product=Ecs&requestId=%s", url.QueryEscape(err.Code), requestID),
	})
}
