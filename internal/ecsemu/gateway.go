package ecsemu

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The gateway: everything ServeHTTP does before it takes e.mu. It reads the
// body (bounded by maxFormBytes and by the server's read timeout), parses
// the parameters and checks the signature, the timestamp and the nonce.
// Nothing here touches state guarded by e.mu: the key pair and
// SkipTimestampCheck in e.opts never change after New, and the nonce store
// has its own mutex. A client that trickles its request therefore holds up
// nobody but itself.
//
// Two signature versions are served, on GET and POST, with parameters in
// the query and/or an application/x-www-form-urlencoded body:
//   - V1, HMAC-SHA1 over every parameter (the classic SDK, pop-core, the CLI);
//   - V3, ACS3-HMAC-SHA256 in the Authorization header (the current SDKs:
//     Go ecs-20140526/v7 with darabonba-openapi/v2, Node @alicloud/ecs20140526
//     with @alicloud/openapi-core). Action and Version come from the
//     x-acs-action and x-acs-version headers and are put into the parameters
//     under "Action" and "Version", so that the rest of the emulator sees a
//     V3 call exactly as it sees a V1 call.

// v3Algorithm is the one V3 signature algorithm the emulator verifies.
const v3Algorithm = "ACS3-HMAC-SHA256"

// gateResult is what the gateway learnt about one request.
type gateResult struct {
	// p are the call's parameters (query and form body merged, the body's
	// value winning on a clash; V1: without Signature; V3: with Action and
	// Version taken from the headers).
	p params
	// accessKeyID is the key the request claims (AccessKeyId or the V3
	// Credential), securityToken its STS token (SecurityToken or
	// x-acs-security-token), "" when none.
	accessKeyID, securityToken string
	// err is the gateway's refusal, nil when the request may proceed.
	err *apiError
}

// gateway reads, parses and authenticates r. It never takes e.mu.
func (e *Emulator) gateway(w http.ResponseWriter, r *http.Request) gateResult {
	g := gateResult{p: params{}}
	if r.URL.Path != "/" {
		g.err = &apiError{Status: http.StatusNotFound, Code: "InvalidAction.NotFound", Message: fmt.Sprintf("The path %q is not served; ECS RPC calls go to /.", r.URL.Path)}
		return g
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		g.err = &apiError{Status: http.StatusForbidden, Code: "UnsupportedHTTPMethod", Message: "This http method is not supported."}
		return g
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		g.err = errf("InvalidParameter", "The request parameters cannot be parsed: %v", err)
		return g
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			g.err = errf("InvalidParameter", "The request parameters cannot be parsed: the body is over %d bytes.", maxFormBytes)
		} else {
			g.err = errf("InvalidParameter", "The request body cannot be read: %v", err)
		}
		return g
	}
	form, err := formBody(r, body)
	if err != nil {
		g.err = errf("InvalidParameter", "The request parameters cannot be parsed: %v", err)
		return g
	}
	for k, vs := range query {
		g.p[k] = vs[0]
	}
	for k, vs := range form {
		g.p[k] = vs[0]
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		g.accessKeyID, g.securityToken, g.err = e.authenticateV3(r, auth, query, body, g.p)
		return g
	}
	signature := g.p["Signature"]
	delete(g.p, "Signature")
	g.accessKeyID, g.securityToken = g.p.get("AccessKeyId"), g.p.get("SecurityToken")
	g.err = e.authenticate(r.Method, g.p, signature)
	return g
}

// formBody parses a POST body sent as application/x-www-form-urlencoded;
// any other body carries no parameters (as with net/http's ParseForm). The
// signature covers the body either way: V1 through the parameters, V3
// through x-acs-content-sha256.
func formBody(r *http.Request, body []byte) (url.Values, error) {
	if r.Method != http.MethodPost || len(body) == 0 {
		return nil, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return nil, nil
	}
	return url.ParseQuery(string(body))
}

// v3Auth is a parsed ACS3 Authorization header.
type v3Auth struct {
	algorithm     string
	credential    string
	signedHeaders string // as sent: names joined by ';'
	signature     string
}

func errIncompleteSignature(detail string) *apiError {
	return errf("IncompleteSignature", "The request signature does not conform to Aliyun standards. %s", detail)
}

// parseV3Auth parses `ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex`.
func parseV3Auth(h string) (v3Auth, *apiError) {
	var a v3Auth
	algo, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.HasPrefix(algo, "ACS3-") {
		return a, errIncompleteSignature(`The Authorization header must read "ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex>".`)
	}
	a.algorithm = algo
	seen := map[string]bool{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || seen[k] {
			return a, errIncompleteSignature(fmt.Sprintf("The Authorization header has a malformed or repeated element %q.", strings.TrimSpace(part)))
		}
		seen[k] = true
		switch k {
		case "Credential":
			a.credential = v
		case "SignedHeaders":
			a.signedHeaders = v
		case "Signature":
			a.signature = v
		default:
			return a, errIncompleteSignature(fmt.Sprintf("The Authorization header has an unknown element %q.", k))
		}
	}
	for name, v := range map[string]string{"Credential": a.credential, "SignedHeaders": a.signedHeaders, "Signature": a.signature} {
		if v == "" {
			return a, errIncompleteSignature(fmt.Sprintf("The Authorization header has no %s.", name))
		}
	}
	return a, nil
}

// authenticateV3 checks an ACS3-HMAC-SHA256 request in the order of the V1
// checks: action and version, Authorization and the headers it needs,
// timestamp, key, body hash and signature, nonce. It adds Action and Version
// to p and returns the claimed key and the STS token.
func (e *Emulator) authenticateV3(r *http.Request, authHeader string, query url.Values, body []byte, p params) (keyID, token string, _ *apiError) {
	// The headers name the action; one in the query or body is overridden
	// (UNCONFIRMED what the real gateway does with both).
	action, version := r.Header.Get("x-acs-action"), r.Header.Get("x-acs-version")
	delete(p, "Action")
	delete(p, "Version")
	if action != "" {
		p["Action"] = action
	}
	if version != "" {
		p["Version"] = version
	}
	token = r.Header.Get("x-acs-security-token")
	auth, aerr := parseV3Auth(authHeader)
	keyID = auth.credential
	if action == "" {
		return keyID, token, errMissing("x-acs-action")
	}
	if version == "" {
		return keyID, token, errMissing("x-acs-version")
	}
	if _, _, err := routeAction(version, action); err != nil {
		return keyID, token, err
	}
	if aerr != nil {
		return keyID, token, aerr
	}
	if auth.algorithm != v3Algorithm {
		// The real gateway also knows ACS3-HMAC-SM3 and ACS3-RSA-SHA256.
		return keyID, token, &apiError{Status: http.StatusBadRequest, Code: "Emulator.UnsupportedSignatureAlgorithm",
			Message: fmt.Sprintf("The signature algorithm %q is not implemented by the ECS emulator; it verifies %s (and signature v1).", auth.algorithm, v3Algorithm)}
	}
	for _, name := range []string{"x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} {
		if r.Header.Get(name) == "" {
			return keyID, token, errMissing(name)
		}
	}
	signed := map[string]bool{}
	names := strings.Split(auth.signedHeaders, ";")
	for _, n := range names {
		if n == "" {
			return keyID, token, errIncompleteSignature("SignedHeaders has an empty name.")
		}
		signed[strings.ToLower(n)] = true
	}
	required := []string{"host"}
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-acs-") {
			required = append(required, l)
		}
	}
	slices.Sort(required)
	for _, n := range required {
		if !signed[n] {
			return keyID, token, errIncompleteSignature(fmt.Sprintf("The header %q is not among SignedHeaders; host and every x-acs-* header must be signed.", n))
		}
	}
	if !e.opts.SkipTimestampCheck {
		ts, err := time.Parse(layoutSecond, r.Header.Get("x-acs-date"))
		if err != nil {
			return keyID, token, errf("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
		}
		if d := time.Since(ts); d > timestampSkew || d < -timestampSkew {
			return keyID, token, errf("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
		}
	}
	if keyID != e.opts.AccessKeyID {
		return keyID, token, errf("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	// The canonical request takes the hash of the body as received, so a
	// body changed after signing fails like any other change. A request
	// whose x-acs-content-sha256 is not the hash of its body is answered
	// SignatureDoesNotMatch too, even where its signature matches that
	// header (UNCONFIRMED: the real gateway's code for this case is not
	// documented; it might answer a code of its own).
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	stringToSign := stringToSignV3(canonicalRequestV3(r, query, names, auth.signedHeaders, payloadHash))
	want := hex.EncodeToString(signV3(stringToSign, e.opts.AccessKeySecret))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(auth.signature))) ||
		!strings.EqualFold(r.Header.Get("x-acs-content-sha256"), payloadHash) {
		return keyID, token, errf("SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", stringToSign)
	}
	if !e.useNonce(r.Header.Get("x-acs-signature-nonce")) {
		return keyID, token, errNonceUsed()
	}
	return keyID, token, nil
}

// canonicalRequestV3 is the V3 canonical request:
//
//	METHOD \n URI \n sorted query \n canonical headers \n signed header names \n hex(sha256(body))
//
// The query is every query parameter (not the form body: the body is covered
// by its hash) sorted by name, name and value RFC 3986 encoded, an empty
// value as "name=". Each signed header is "name:value\n" with the values
// trimmed, sorted and joined by ','; host is the request's Host.
func canonicalRequestV3(r *http.Request, query url.Values, names []string, signedHeaders, payloadHash string) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var pairs []string
	for _, k := range keys {
		vs := slices.Clone(query[k])
		slices.Sort(vs)
		for _, v := range vs {
			pairs = append(pairs, PercentEncode(k)+"="+PercentEncode(v))
		}
	}
	var headers strings.Builder
	for _, n := range names {
		l := strings.ToLower(n)
		var vs []string
		if l == "host" {
			vs = []string{r.Host}
		} else {
			vs = slices.Clone(r.Header.Values(l))
		}
		for i := range vs {
			vs[i] = strings.TrimSpace(vs[i])
		}
		slices.Sort(vs)
		headers.WriteString(l + ":" + strings.Join(vs, ",") + "\n")
	}
	uri := r.URL.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	return r.Method + "\n" + uri + "\n" + strings.Join(pairs, "&") + "\n" + headers.String() + "\n" + signedHeaders + "\n" + payloadHash
}

// stringToSignV3 is the V3 string to sign of a canonical request:
// "ACS3-HMAC-SHA256\n" + hex(sha256(canonical request)).
func stringToSignV3(canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return v3Algorithm + "\n" + hex.EncodeToString(sum[:])
}

// signV3 is HMAC-SHA256(secret, stringToSign).
func signV3(stringToSign, secret string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return mac.Sum(nil)
}

func errNonceUsed() *apiError {
	return errf("SignatureNonceUsed", "Specified signature nonce was used already.")
}

// maxNonces is the size past which the nonce store drops nonces older than
// twice the timestamp skew (a request that old fails the timestamp check).
const maxNonces = 100_000

// useNonce records nonce and reports whether it was fresh. V1's
// SignatureNonce and V3's x-acs-signature-nonce share the store. It takes
// e.nonceMu, never e.mu.
func (e *Emulator) useNonce(nonce string) bool {
	wall := time.Now()
	e.nonceMu.Lock()
	defer e.nonceMu.Unlock()
	if _, used := e.nonces[nonce]; used {
		return false
	}
	e.nonces[nonce] = wall
	// Scan at most once a minute, so that a store full of recent nonces
	// does not cost a scan per call.
	if len(e.nonces) > maxNonces && wall.Sub(e.nonceScan) > time.Minute {
		e.nonceScan = wall
		for n, t := range e.nonces {
			if wall.Sub(t) > 2*timestampSkew {
				delete(e.nonces, n)
			}
		}
	}
	return true
}

// newRequestID returns a RequestId shaped like ECS's (an upper-case version
// 4 UUID, e.g. 473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E). It draws 122 bits from
// crypto/rand, not from the seeded generators: emulators built with the same
// seed (in one process or many) do not repeat each other's RequestIds, and
// no repeat is to be expected in any number of calls a test can make.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
