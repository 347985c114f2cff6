package ecsemu_test

// The gateway: signature V3 (ACS3-HMAC-SHA256) through the current SDK
// (ecs-20140526/v7) and through hand-signed requests, the nonce store V1
// and V3 share, RequestIds, and a slow client not holding up others.

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// requireTeaError asserts err is the v7 SDK's error with status and code.
func requireTeaError(t testing.TB, err error, status int, code string) *tea.SDKError {
	t.Helper()
	require.Error(t, err)
	var se *tea.SDKError
	require.True(t, errors.As(err, &se), "want *tea.SDKError, got %T: %v", err, err)
	assert.Equal(t, code, tea.StringValue(se.Code), "message: %s", tea.StringValue(se.Message))
	assert.Equal(t, status, tea.IntValue(se.StatusCode), "HTTP status of %s", tea.StringValue(se.Code))
	return se
}

func TestV7SDKDefaultSettings(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	ids := env.AddRunning(t, 2, ecsemu.Tag{TagKey: "team", TagValue: "ci"})
	odd := env.AddFleet(t, ecsemu.Instance{InstanceName: "web *~ 中文/+&="})
	c := env.NewV7Client(t, region, "")

	resp, err := c.DescribeInstances(&ecs7.DescribeInstancesRequest{
		RegionId:    new(region),
		InstanceIds: new(jsonList(ids...)),
		Tag:         []*ecs7.DescribeInstancesRequestTag{{Key: new("team"), Value: new("ci")}},
	})
	require.NoError(t, err)
	assert.EqualValues(t, 2, tea.Int32Value(resp.Body.TotalCount))
	assert.NotEmpty(t, tea.StringValue(resp.Body.RequestId))

	// The canonical query encodes awkward characters as the SDK does.
	resp, err = c.DescribeInstances(&ecs7.DescribeInstancesRequest{RegionId: new(region), InstanceName: new("web *~ 中文/+&=")})
	require.NoError(t, err)
	require.Len(t, resp.Body.Instances.Instance, 1)
	assert.Equal(t, odd[0], tea.StringValue(resp.Body.Instances.Instance[0].InstanceId))

	_, err = c.StopInstances(&ecs7.StopInstancesRequest{RegionId: new(region), InstanceId: []*string{new(ids[0])}})
	require.NoError(t, err)
	assert.Equal(t, ecsemu.StatusStopped, status(t, env, ids[0]))
	assert.Equal(t, ecsemu.StatusRunning, status(t, env, ids[1]))

	sresp, err := c.DescribeInstanceStatus(&ecs7.DescribeInstanceStatusRequest{RegionId: new(region), InstanceId: []*string{new(ids[0]), new(ids[1])}})
	require.NoError(t, err)
	require.Len(t, sresp.Body.InstanceStatuses.InstanceStatus, 2)

	calls := env.Emu.Calls()
	require.Len(t, calls, 4)
	for _, call := range calls {
		assert.Equal(t, http.StatusOK, call.Status, "%s %s", call.Action, call.Code)
		assert.Equal(t, http.MethodPost, call.Method)
		assert.Equal(t, env.Emu.AccessKeyID(), call.AccessKeyID)
		assert.Empty(t, call.SecurityToken)
		assert.Equal(t, call.Action, call.Params["Action"], "Action comes from x-acs-action")
		assert.Equal(t, ecsemu.APIVersion, call.Params["Version"], "Version comes from x-acs-version")
		assert.Equal(t, region, call.Params["RegionId"])
		assert.Regexp(t, requestIDPattern, call.RequestID)
	}
	assert.Equal(t, []string{"DescribeInstances", "DescribeInstances", "StopInstances", "DescribeInstanceStatus"},
		[]string{calls[0].Action, calls[1].Action, calls[2].Action, calls[3].Action})
	assert.Equal(t, "team", calls[0].Params["Tag.1.Key"])
	assert.Equal(t, ids[0], calls[2].Params["InstanceId.1"])
}

func TestV7SDKAuthentication(t *testing.T) {
	t.Parallel()
	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		ids := env.AddRunning(t, 1)
		c := env.NewV7ClientWithKey(t, region, env.Emu.AccessKeyID(), "wrong-secret", "")
		_, err := c.StopInstance(&ecs7.StopInstanceRequest{InstanceId: new(ids[0])})
		se := requireTeaError(t, err, 400, "SignatureDoesNotMatch")
		assert.Contains(t, tea.StringValue(se.Message), "server string to sign is:ACS3-HMAC-SHA256\n")
		assert.NotContains(t, tea.StringValue(se.Message), "wrong-secret")
		assert.NotContains(t, tea.StringValue(se.Message), env.Emu.AccessKeySecret())
		assert.Equal(t, ecsemu.StatusRunning, status(t, env, ids[0]))
		calls := env.Emu.Calls()
		require.Len(t, calls, 1)
		assert.Equal(t, "SignatureDoesNotMatch", calls[0].Code)
		assert.Equal(t, "StopInstance", calls[0].Action)
	})
	t.Run("unknown key", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		c := env.NewV7ClientWithKey(t, region, "LTAInobody", env.Emu.AccessKeySecret(), "")
		_, err := c.DescribeInstances(&ecs7.DescribeInstancesRequest{RegionId: new(region)})
		requireTeaError(t, err, 404, "InvalidAccessKeyId.NotFound")
		calls := env.Emu.Calls()
		require.Len(t, calls, 1)
		assert.Equal(t, "LTAInobody", calls[0].AccessKeyID)
	})
	t.Run("STS token", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		ids := env.AddRunning(t, 1)
		c := env.NewV7Client(t, region, "tok-v3")
		_, err := c.StopInstances(&ecs7.StopInstancesRequest{RegionId: new(region), InstanceId: []*string{new(ids[0])}, StoppedMode: new("StopCharging")})
		require.NoError(t, err)
		in, _ := env.Emu.Instance(ids[0])
		assert.Equal(t, "StopCharging", in.StoppedMode)
		calls := env.Emu.Calls()
		require.Len(t, calls, 1)
		assert.Equal(t, "tok-v3", calls[0].SecurityToken)
		assert.Equal(t, env.Emu.AccessKeyID(), calls[0].AccessKeyID)
		for k, v := range calls[0].Params {
			assert.NotContains(t, v, "tok-v3", "parameter %s", k)
		}
	})
	t.Run("throttled like V1", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{Faults: ecsemu.Faults{ThrottleRate: 1}})
		c := env.NewV7Client(t, region, "")
		_, err := c.DescribeInstances(&ecs7.DescribeInstancesRequest{RegionId: new(region)})
		requireTeaError(t, err, 400, "Throttling.User")
	})
}

// --- hand-signed V3 requests --------------------------------------------

// v3Call describes a raw ACS3-HMAC-SHA256 request. The test signs it with
// its own signer, written from the SDKs' algorithm, not with the emulator's.
type v3Call struct {
	method  string
	query   url.Values
	form    url.Values // sent as an application/x-www-form-urlencoded body
	action  string
	version string    // default ecsemu.APIVersion
	date    time.Time // default now
	nonce   string    // default fresh
	keyID   string    // default the emulator's
	secret  string    // default the emulator's
	token   string    // x-acs-security-token
	// omit are headers not sent; unsigned are sent but left out of
	// SignedHeaders.
	omit, unsigned []string
	// algorithm replaces ACS3-HMAC-SHA256 in the Authorization header.
	algorithm string
	// auth rewrites the Authorization header.
	auth func(string) string
	// after tampers with the request once it is signed.
	after func(r *http.Request)
}

// v3Encode is RFC 3986 encoding as the SDKs do it for V3.
func v3Encode(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}

// v3StringToSign computes the string to sign of a request as the SDKs do.
func v3StringToSign(method string, query url.Values, headers map[string]string, signed []string, body []byte) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var q []string
	for _, k := range keys {
		q = append(q, k+"="+v3Encode(query.Get(k)))
	}
	var h strings.Builder
	for _, n := range signed {
		h.WriteString(n + ":" + strings.TrimSpace(headers[n]) + "\n")
	}
	payload := sha256.Sum256(body)
	canonical := method + "\n/\n" + strings.Join(q, "&") + "\n" + h.String() + "\n" + strings.Join(signed, ";") + "\n" + hex.EncodeToString(payload[:])
	sum := sha256.Sum256([]byte(canonical))
	return "ACS3-HMAC-SHA256\n" + hex.EncodeToString(sum[:])
}

// build returns the signed request and its string to sign.
func (c v3Call) build(t testing.TB, env *ecsemutest.Env) (*http.Request, string) {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.version == "" {
		c.version = ecsemu.APIVersion
	}
	if c.date.IsZero() {
		c.date = time.Now()
	}
	if c.nonce == "" {
		c.nonce = nonce()
	}
	if c.keyID == "" {
		c.keyID = env.Emu.AccessKeyID()
	}
	if c.secret == "" {
		c.secret = env.Emu.AccessKeySecret()
	}
	var body []byte
	if c.form != nil {
		body = []byte(c.form.Encode())
	}
	sum := sha256.Sum256(body)
	headers := map[string]string{
		"host":                  env.Host(),
		"x-acs-action":          c.action,
		"x-acs-version":         c.version,
		"x-acs-date":            ts(c.date),
		"x-acs-signature-nonce": c.nonce,
		"x-acs-content-sha256":  hex.EncodeToString(sum[:]),
	}
	if c.form != nil {
		headers["content-type"] = "application/x-www-form-urlencoded"
	}
	if c.token != "" {
		headers["x-acs-security-token"] = c.token
		headers["x-acs-accesskey-id"] = c.keyID
	}
	for _, n := range c.omit {
		delete(headers, n)
	}
	var signed []string
	for n := range headers {
		if !slices.Contains(c.unsigned, n) {
			signed = append(signed, n)
		}
	}
	sort.Strings(signed)
	sts := v3StringToSign(c.method, c.query, headers, signed, body)
	mac := hmac.New(sha256.New, []byte(c.secret))
	mac.Write([]byte(sts))
	algorithm := "ACS3-HMAC-SHA256"
	if c.algorithm != "" {
		algorithm = c.algorithm
	}
	auth := algorithm + " Credential=" + c.keyID + ",SignedHeaders=" + strings.Join(signed, ";") + ",Signature=" + hex.EncodeToString(mac.Sum(nil))
	if c.auth != nil {
		auth = c.auth(auth)
	}
	target := env.Endpoint() + "/"
	if len(c.query) > 0 {
		target += "?" + c.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(c.method, target, rd)
	require.NoError(t, err)
	for n, v := range headers {
		if n != "host" {
			req.Header.Set(n, v)
		}
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	if c.after != nil {
		c.after(req)
	}
	return req, sts
}

// stopQuery is a StopInstance of id in the default region.
func stopQuery(id string) url.Values {
	return url.Values{"RegionId": {region}, "InstanceId": {id}}
}

func TestV3RawAccepted(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		call func(id string) v3Call
	}{
		{"POST, query", func(id string) v3Call { return v3Call{action: "StopInstance", query: stopQuery(id)} }},
		{"GET, query", func(id string) v3Call {
			return v3Call{method: http.MethodGet, action: "StopInstance", query: stopQuery(id)}
		}},
		{"POST, form body", func(id string) v3Call {
			return v3Call{action: "StopInstance", form: stopQuery(id)}
		}},
		{"POST, query and form body", func(id string) v3Call {
			return v3Call{action: "StopInstance", query: url.Values{"RegionId": {region}}, form: url.Values{"InstanceId": {id}}}
		}},
		{"empty value in the query", func(id string) v3Call {
			q := stopQuery(id)
			q.Set("StoppedMode", "")
			return v3Call{action: "StopInstance", query: q}
		}},
		{"STS token", func(id string) v3Call { return v3Call{action: "StopInstance", query: stopQuery(id), token: "tok-raw"} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{})
			ids := env.AddRunning(t, 2)
			call := tc.call(ids[1])
			req, _ := call.build(t, env)
			resp := do(t, req)
			require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
			assert.Regexp(t, requestIDPattern, resp.json(t)["RequestId"])
			assert.Equal(t, ecsemu.StatusStopped, status(t, env, ids[1]))
			assert.Equal(t, ecsemu.StatusRunning, status(t, env, ids[0]))
			calls := env.Emu.Calls()
			require.Len(t, calls, 1)
			assert.Equal(t, req.Method, calls[0].Method)
			assert.Equal(t, "StopInstance", calls[0].Params["Action"])
			assert.Equal(t, ids[1], calls[0].Params["InstanceId"])
			assert.Equal(t, call.token, calls[0].SecurityToken)
			assert.NotContains(t, calls[0].Params, "SecurityToken")
		})
	}
}

// Characters the encodings treat differently (space, '*', '~', '/', '+',
// '&', '=', non-ASCII) in the signed query and in the hashed form body.
func TestV3AwkwardCharacters(t *testing.T) {
	t.Parallel()
	const name = "web *~ 中文/+&="
	env := start(t, ecsemu.Options{})
	ids := env.AddFleet(t, ecsemu.Instance{InstanceName: name}, ecsemu.Instance{InstanceName: "web"})
	for _, call := range []v3Call{
		{action: "DescribeInstances", query: url.Values{"RegionId": {region}, "InstanceName": {name}}},
		{action: "DescribeInstances", query: url.Values{"RegionId": {region}}, form: url.Values{"InstanceName": {name}}},
		{method: http.MethodGet, action: "DescribeInstances", query: url.Values{"RegionId": {region}, "InstanceName": {name}}},
	} {
		req, _ := call.build(t, env)
		resp := do(t, req)
		require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
		insts := resp.json(t)["Instances"].(map[string]any)["Instance"].([]any)
		require.Len(t, insts, 1)
		assert.Equal(t, ids[0], insts[0].(map[string]any)["InstanceId"])
	}
	for _, c := range env.Emu.Calls() {
		assert.Equal(t, name, c.Params["InstanceName"])
	}
}

// requestIDPattern is an upper-case version 4 UUID, as ECS's RequestIds are.
var requestIDPattern = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)

// setBody replaces a request's body after signing.
func setBody(r *http.Request, body string) {
	r.Body = io.NopCloser(strings.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
}

// stringToSignOf recomputes, with the test's signer, the string to sign of
// a request as it goes out (after any tampering): what the emulator must
// report in SignatureDoesNotMatch.
func stringToSignOf(t testing.TB, r *http.Request) string {
	t.Helper()
	var body []byte
	if r.GetBody != nil {
		rc, err := r.GetBody()
		require.NoError(t, err)
		body, err = io.ReadAll(rc)
		require.NoError(t, err)
	}
	auth := r.Header.Get("Authorization")
	_, after, ok := strings.Cut(auth, "SignedHeaders=")
	require.True(t, ok, auth)
	names, _, _ := strings.Cut(after, ",")
	signed := strings.Split(names, ";")
	headers := map[string]string{}
	for _, n := range signed {
		if n == "host" {
			headers[n] = r.URL.Host
			if r.Host != "" {
				headers[n] = r.Host
			}
		} else {
			headers[n] = r.Header.Get(n)
		}
	}
	return v3StringToSign(r.Method, r.URL.Query(), headers, signed, body)
}

func TestV3RawRefused(t *testing.T) {
	t.Parallel()
	withoutElement := func(name string) func(string) string {
		return func(h string) string {
			algo, rest, _ := strings.Cut(h, " ")
			var keep []string
			for part := range strings.SplitSeq(rest, ",") {
				if !strings.HasPrefix(part, name+"=") {
					keep = append(keep, part)
				}
			}
			return algo + " " + strings.Join(keep, ",")
		}
	}
	cases := []struct {
		name   string
		opts   ecsemu.Options
		call   func(running, other string) v3Call
		status int
		code   string
	}{
		{name: "tampered query", call: func(running, other string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(other), after: func(r *http.Request) {
				r.URL.RawQuery = stopQuery(running).Encode()
			}}
		}, status: 400, code: "SignatureDoesNotMatch"},
		{name: "query parameter added", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), after: func(r *http.Request) {
				r.URL.RawQuery += "&ForceStop=true"
			}}
		}, status: 400, code: "SignatureDoesNotMatch"},
		{name: "tampered body", call: func(running, other string) v3Call {
			return v3Call{action: "StopInstance", form: stopQuery(other), after: func(r *http.Request) {
				setBody(r, stopQuery(running).Encode())
			}}
		}, status: 400, code: "SignatureDoesNotMatch"},
		{name: "body sent, empty body signed", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: url.Values{"RegionId": {region}}, after: func(r *http.Request) {
				setBody(r, url.Values{"InstanceId": {running}}.Encode())
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}}
		}, status: 400, code: "SignatureDoesNotMatch"},
		{name: "x-acs-content-sha256 not the body's hash", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", form: stopQuery(running), after: func(r *http.Request) {
				sum := sha256.Sum256([]byte("something else"))
				r.Header.Set("x-acs-content-sha256", hex.EncodeToString(sum[:]))
			}}
		}, status: 400, code: "SignatureDoesNotMatch"},
		{name: "method is signed", call: func(running, _ string) v3Call {
			return v3Call{method: http.MethodGet, action: "StopInstance", query: stopQuery(running), after: func(r *http.Request) {
				r.Method = http.MethodPost
			}}
		}, status: 400, code: "SignatureDoesNotMatch"},
		{name: "host is signed", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), after: func(r *http.Request) {
				r.Host = "ecs.cn-hangzhou.aliyuncs.com"
			}}
		}, status: 400, code: "SignatureDoesNotMatch"},
		{name: "tampered x-acs-action", call: func(running, _ string) v3Call {
			return v3Call{action: "DescribeInstanceAttribute", query: url.Values{"InstanceId": {running}}, after: func(r *http.Request) {
				r.Header.Set("x-acs-action", "StopInstance")
			}}
		}, status: 400, code: "SignatureDoesNotMatch"},
		{name: "wrong secret", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), secret: "wrong"}
		}, status: 400, code: "SignatureDoesNotMatch"},
		{name: "nonce not signed", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), unsigned: []string{"x-acs-signature-nonce"}}
		}, status: 400, code: "IncompleteSignature"},
		{name: "host not signed", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), unsigned: []string{"host"}}
		}, status: 400, code: "IncompleteSignature"},
		{name: "security token not signed", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), token: "tok", unsigned: []string{"x-acs-security-token"}}
		}, status: 400, code: "IncompleteSignature"},
		{name: "x-acs header added after signing", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), after: func(r *http.Request) {
				r.Header.Set("x-acs-security-token", "smuggled")
			}}
		}, status: 400, code: "IncompleteSignature"},
		{name: "no Credential", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), auth: withoutElement("Credential")}
		}, status: 400, code: "IncompleteSignature"},
		{name: "no SignedHeaders", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), auth: withoutElement("SignedHeaders")}
		}, status: 400, code: "IncompleteSignature"},
		{name: "no Signature", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), auth: withoutElement("Signature")}
		}, status: 400, code: "IncompleteSignature"},
		{name: "not an ACS3 Authorization", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), auth: func(string) string { return "Bearer abc" }}
		}, status: 400, code: "IncompleteSignature"},
		{name: "ACS3-HMAC-SM3", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), algorithm: "ACS3-HMAC-SM3"}
		}, status: 400, code: "Emulator.UnsupportedSignatureAlgorithm"},
		{name: "no x-acs-action", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), omit: []string{"x-acs-action"}}
		}, status: 400, code: "MissingParameter"},
		{name: "Action in the query does not stand in for x-acs-action", call: func(running, _ string) v3Call {
			q := stopQuery(running)
			q.Set("Action", "StopInstance")
			return v3Call{action: "StopInstance", query: q, omit: []string{"x-acs-action"}}
		}, status: 400, code: "MissingParameter"},
		{name: "no x-acs-version", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), omit: []string{"x-acs-version"}}
		}, status: 400, code: "MissingParameter"},
		{name: "wrong version", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), version: "2016-03-14"}
		}, status: 400, code: "InvalidParameter"},
		{name: "unknown action", call: func(running, _ string) v3Call {
			return v3Call{action: "NoSuchAction", query: stopQuery(running)}
		}, status: 404, code: "InvalidAction.NotFound"},
		{name: "no x-acs-date", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), omit: []string{"x-acs-date"}}
		}, status: 400, code: "MissingParameter"},
		{name: "no x-acs-signature-nonce", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), omit: []string{"x-acs-signature-nonce"}}
		}, status: 400, code: "MissingParameter"},
		{name: "no x-acs-content-sha256", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), omit: []string{"x-acs-content-sha256"}}
		}, status: 400, code: "MissingParameter"},
		{name: "expired date", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), date: time.Now().Add(-time.Hour)}
		}, status: 400, code: "InvalidTimeStamp.Expired"},
		{name: "future date", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), date: time.Now().Add(time.Hour)}
		}, status: 400, code: "InvalidTimeStamp.Expired"},
		{name: "malformed date", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), after: func(r *http.Request) {
				r.Header.Set("x-acs-date", "yesterday")
			}}
		}, status: 400, code: "InvalidTimeStamp.Format"},
		{name: "unknown key", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", query: stopQuery(running), keyID: "LTAInobody"}
		}, status: 404, code: "InvalidAccessKeyId.NotFound"},
		{name: "form body over 1 MiB", call: func(running, _ string) v3Call {
			return v3Call{action: "StopInstance", form: url.Values{"RegionId": {region}, "InstanceId": {running}, "Description": {strings.Repeat("a", 2<<20)}}}
		}, status: 400, code: "InvalidParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, tc.opts)
			ids := env.AddRunning(t, 2)
			req, _ := tc.call(ids[0], ids[1]).build(t, env)
			resp := do(t, req)
			body := requireErrorBody(t, resp, tc.status, tc.code)
			assert.Regexp(t, requestIDPattern, body["RequestId"])
			assert.Equal(t, req.Host, body["HostId"], "the Host the request named")
			if tc.code == "SignatureDoesNotMatch" {
				assert.Equal(t, "Specified signature is not matched with our calculation. server string to sign is:"+stringToSignOf(t, req), body["Message"],
					"the emulator signs the request as sent, as the test's signer does")
				assert.NotContains(t, body["Message"], env.Emu.AccessKeySecret())
			}
			assert.Equal(t, ecsemu.StatusRunning, status(t, env, ids[0]), "a refused call changes nothing")
			assert.Equal(t, ecsemu.StatusRunning, status(t, env, ids[1]))
			calls := env.Emu.Calls()
			require.Len(t, calls, 1)
			assert.Equal(t, tc.code, calls[0].Code)
			assert.Equal(t, tc.status, calls[0].Status)
			assert.Equal(t, body["RequestId"], calls[0].RequestID)
		})
	}
}

func TestV3SkipTimestampCheck(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{SkipTimestampCheck: true})
	req, _ := v3Call{action: "DescribeInstances", query: url.Values{"RegionId": {region}}, date: time.Date(2016, 2, 23, 12, 46, 24, 0, time.UTC)}.build(t, env)
	resp := do(t, req)
	assert.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
}

// One nonce store serves both signature versions, and only a request that
// passed the signature check spends its nonce.
func TestNoncesSharedByV1AndV3(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	describe := func(n string) v3Call {
		return v3Call{action: "DescribeInstances", query: url.Values{"RegionId": {region}}, nonce: n, date: time.Now()}
	}
	v1 := func(n string) rawResponse {
		p := baseParams(env, "DescribeInstances")
		p["SignatureNonce"] = n
		return rawSigned(t, env, http.MethodPost, p)
	}
	n1 := nonce()
	call := describe(n1)
	req, _ := call.build(t, env)
	first := do(t, req)
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Body)
	replay, _ := call.build(t, env) // the same request again
	requireErrorBody(t, do(t, replay), 400, "SignatureNonceUsed")
	requireErrorBody(t, v1(n1), 400, "SignatureNonceUsed")

	n2 := nonce()
	resp := v1(n2)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	req, _ = describe(n2).build(t, env)
	requireErrorBody(t, do(t, req), 400, "SignatureNonceUsed")

	n3 := nonce()
	bad := describe(n3)
	bad.secret = "wrong"
	req, _ = bad.build(t, env)
	requireErrorBody(t, do(t, req), 400, "SignatureDoesNotMatch")
	req, _ = describe(n3).build(t, env)
	resp = do(t, req)
	assert.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
}

// RequestIds are unique in the process: not drawn from the seeded
// generators, so two emulators with one seed do not repeat each other.
func TestRequestIDsUnique(t *testing.T) {
	t.Parallel()
	a := start(t, ecsemu.Options{Seed: 9})
	b := start(t, ecsemu.Options{Seed: 9})
	seen := map[string]bool{}
	firsts := map[*ecsemutest.Env]string{}
	for range 150 {
		for _, env := range []*ecsemutest.Env{a, b} {
			_, err := env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
			require.NoError(t, err)
		}
	}
	// Refused calls get RequestIds too.
	for _, env := range []*ecsemutest.Env{a, b} {
		c := env.NewClientWithKey(t, region, "LTAInobody", "x", "")
		checkBodies(t, c)
		_, err := c.DescribeInstances(ecs.CreateDescribeInstancesRequest())
		requireServerError(t, err, 404, "InvalidAccessKeyId.NotFound")
	}
	for _, env := range []*ecsemutest.Env{a, b} {
		calls := env.Emu.Calls()
		require.Len(t, calls, 151)
		firsts[env] = calls[0].RequestID
		for _, c := range calls {
			assert.Regexp(t, requestIDPattern, c.RequestID)
			assert.False(t, seen[c.RequestID], "RequestId %s repeated", c.RequestID)
			seen[c.RequestID] = true
		}
	}
	assert.NotEqual(t, firsts[a], firsts[b], "same seed, different RequestIds")
}

// trickle sends a request's head and half of its body on a fresh
// connection, then stalls; it returns the connection and the rest of the
// body.
func trickle(t *testing.T, host string, body string) (net.Conn, string) {
	t.Helper()
	conn, err := net.Dial("tcp", host)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	half := len(body) / 2
	_, err = fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nX-Test-Trickle: 1\r\n\r\n%s",
		host, len(body), body[:half])
	require.NoError(t, err)
	return conn, body[half:]
}

// A client that sends its body slowly holds up nobody: while it stalls
// mid-body, another client's call is answered. Ordering only, no clocks:
// the server's read timeout is far beyond the test.
func TestTricklingClientDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	emu, err := ecsemu.New(ecsemu.Options{})
	require.NoError(t, err)
	entered := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test-Trickle") != "" {
			close(entered) // the handler runs; the body is still half sent
		}
		emu.ServeHTTP(w, r)
	}))
	srv.Config.ReadTimeout = 10 * time.Minute
	srv.Start()
	t.Cleanup(srv.Close)
	env := &ecsemutest.Env{Emu: emu, Server: srv}
	ids := env.AddRunning(t, 1)

	p := baseParams(env, "DescribeInstances")
	p["PageSize"] = "7"
	conn, rest := trickle(t, env.Host(), signed(http.MethodPost, p, emu.AccessKeySecret()).Encode())
	<-entered

	// Another connection, the current SDK: answered while the trickler
	// stalls. Were the trickler's body read under the emulator lock, this
	// call would wait for it and fail on the SDK's read timeout (which is
	// none by default: the 20 s given here only turn a hang into a failure).
	c := env.NewV7Client(t, region, "")
	done := make(chan error, 1)
	go func() {
		req := &ecs7.StopInstancesRequest{RegionId: new(region), InstanceId: []*string{new(ids[0])}}
		_, err := c.StopInstancesWithOptions(req, &dara.RuntimeOptions{ReadTimeout: new(20_000)})
		done <- err
	}()
	require.NoError(t, <-done, "another client's call completes while the trickler stalls")
	assert.Equal(t, ecsemu.StatusStopped, status(t, env, ids[0]))

	// The trickler finishes its body and is answered after.
	_, err = io.WriteString(conn, rest)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)

	calls := emu.Calls()
	require.Len(t, calls, 2)
	assert.Equal(t, "StopInstances", calls[0].Action, "the other client's call was handled first")
	assert.Equal(t, "DescribeInstances", calls[1].Action)
	assert.Equal(t, "7", calls[1].Params["PageSize"])
}

// The server's read timeout cuts a stalled client off: it cannot hold its
// connection (or the emulator) longer than that.
func TestReadTimeoutClosesStalledConnection(t *testing.T) {
	t.Parallel()
	emu, err := ecsemu.New(ecsemu.Options{})
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(emu)
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	env := &ecsemutest.Env{Emu: emu, Server: srv}

	p := baseParams(env, "DescribeInstances")
	conn, _ := trickle(t, env.Host(), signed(http.MethodPost, p, emu.AccessKeySecret()).Encode())
	// A failsafe far beyond the server's timeout, so that a server that
	// never closes fails the test instead of hanging it.
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(time.Minute)))
	got, err := io.ReadAll(conn)
	require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the server did not close the stalled connection")
	if len(got) > 0 {
		resp, rerr := http.ReadResponse(bufio.NewReader(strings.NewReader(string(got))), nil)
		require.NoError(t, rerr)
		t.Logf("the stalled request was answered %s before the close", resp.Status)
		assert.NotEqual(t, http.StatusOK, resp.StatusCode, "a request whose body never came is not answered 200")
	}

	// The server still serves others.
	c := env.NewClient(t, region, "")
	_, err = c.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	require.NoError(t, err)
}
