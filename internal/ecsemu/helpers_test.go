package ecsemu_test

// Shared helpers of the emulator tests. Every test drives the emulator over
// HTTP: through the real SDK (github.com/aliyun/alibaba-cloud-sdk-go) or, to
// look at the wire, through hand-signed net/http requests.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// region is the emulator's default region (ecsemutest clients use it).
const region = ecsemu.DefaultRegion

// errorFields are the fields of an ECS error body; the SDK type-asserts
// each of them to string and panics otherwise.
var errorFields = []string{"RequestId", "HostId", "Code", "Message", "Recommend"}

// start runs an emulator and returns its Env. Its client checks the shape
// of every error body it receives (see bodyCheck).
func start(t *testing.T, opts ecsemu.Options) *ecsemutest.Env {
	t.Helper()
	env := ecsemutest.Start(t, opts)
	checkBodies(t, env.Client)
	return env
}

// newClient is env.NewClient with the error-body check installed.
func newClient(t *testing.T, env *ecsemutest.Env, token string) *ecs.Client {
	t.Helper()
	c := env.NewClient(t, region, token)
	checkBodies(t, c)
	return c
}

// checkBodies wraps the client's transport so that every non-2xx answer is
// checked: an ECS error body whose five fields are JSON strings.
func checkBodies(t *testing.T, c *ecs.Client) {
	c.SetTransport(&bodyCheck{t: t, next: &http.Transport{Proxy: nil}})
}

type bodyCheck struct {
	t    *testing.T
	next http.RoundTripper
}

func (b *bodyCheck) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.next.RoundTrip(r)
	if err != nil || resp.StatusCode < 300 {
		return resp, err
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return nil, rerr
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if msg := errorBodyProblem(body); msg != "" {
		b.t.Errorf("%s %s: error body %s: %s", r.Method, r.URL.Query().Get("Action"), body, msg)
	}
	return resp, nil
}

// errorBodyProblem returns "" when body is an ECS error body whose five
// fields are non-empty JSON strings.
func errorBodyProblem(body []byte) string {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return "not a JSON object: " + err.Error()
	}
	for _, f := range errorFields {
		s, ok := m[f].(string)
		if !ok {
			return fmt.Sprintf("field %s is %T, want a string", f, m[f])
		}
		if s == "" {
			return fmt.Sprintf("field %s is empty", f)
		}
	}
	return ""
}

// requireServerError asserts err is an *errors.ServerError with the given
// HTTP status and code, and returns it.
func requireServerError(t testing.TB, err error, status int, code string) *sdkerrors.ServerError {
	t.Helper()
	require.Error(t, err)
	var se *sdkerrors.ServerError
	require.True(t, errors.As(err, &se), "want *errors.ServerError, got %T: %v", err, err)
	assert.Equal(t, status, se.HttpStatus(), "HTTP status of %s", se.ErrorCode())
	assert.Equal(t, code, se.ErrorCode(), "message: %s", se.Message())
	assert.NotEmpty(t, se.RequestId())
	assert.NotEmpty(t, se.HostId())
	return se
}

// status returns an instance's status as the emulator sees it ("" when gone).
func status(t testing.TB, env *ecsemutest.Env, id string) string {
	t.Helper()
	in, ok := env.Emu.Instance(id)
	if !ok {
		return ""
	}
	return in.Status
}

// describe returns DescribeInstances' view of one instance (nil when absent).
func describe(t testing.TB, c *ecs.Client, id string) *ecs.Instance {
	t.Helper()
	req := ecs.CreateDescribeInstancesRequest()
	req.InstanceIds = jsonList(id)
	resp, err := c.DescribeInstances(req)
	require.NoError(t, err)
	for i := range resp.Instances.Instance {
		if resp.Instances.Instance[i].InstanceId == id {
			return &resp.Instances.Instance[i]
		}
	}
	return nil
}

// jsonList encodes ids as the JSON array string InstanceIds/DiskIds want.
func jsonList(ids ...string) string {
	if ids == nil {
		ids = []string{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

// manyIDs returns n syntactically valid instance IDs.
func manyIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("i-many%04d", i)
	}
	return out
}

func stopReq(id string) *ecs.StopInstanceRequest {
	r := ecs.CreateStopInstanceRequest()
	r.InstanceId = id
	return r
}

func startReq(id string) *ecs.StartInstanceRequest {
	r := ecs.CreateStartInstanceRequest()
	r.InstanceId = id
	return r
}

func deleteReq(id string, force bool) *ecs.DeleteInstanceRequest {
	r := ecs.CreateDeleteInstanceRequest()
	r.InstanceId = id
	if force {
		r.Force = requests.NewBoolean(true)
	}
	return r
}

func autoReleaseReq(id, at string) *ecs.ModifyInstanceAutoReleaseTimeRequest {
	r := ecs.CreateModifyInstanceAutoReleaseTimeRequest()
	r.InstanceId = id
	r.AutoReleaseTime = at
	return r
}

func protectReq(id string, on bool) *ecs.ModifyInstanceAttributeRequest {
	r := ecs.CreateModifyInstanceAttributeRequest()
	r.InstanceId = id
	r.DeletionProtection = requests.NewBoolean(on)
	return r
}

// ts formats t as a request timestamp / AutoReleaseTime (seconds form).
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// minute formats t as DescribeInstances reports times.
func minute(t time.Time) string { return t.UTC().Format("2006-01-02T15:04Z") }

// --- raw, hand-signed requests ----------------------------------------------

var nonceMu sync.Mutex

func nonce() string {
	nonceMu.Lock()
	defer nonceMu.Unlock()
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// baseParams are the common parameters the SDK sends.
func baseParams(env *ecsemutest.Env, action string) map[string]string {
	return map[string]string{
		"Action":           action,
		"Version":          ecsemu.APIVersion,
		"Format":           "JSON",
		"AccessKeyId":      env.Emu.AccessKeyID(),
		"SignatureMethod":  "HMAC-SHA1",
		"SignatureVersion": "1.0",
		"SignatureType":    "",
		"SignatureNonce":   nonce(),
		"Timestamp":        ts(time.Now()),
		"RegionId":         region,
	}
}

// signed returns p plus a Signature computed with secret for method.
func signed(method string, p map[string]string, secret string) url.Values {
	v := url.Values{}
	for k, x := range p {
		v.Set(k, x)
	}
	v.Set("Signature", ecsemu.Sign(ecsemu.StringToSign(method, p), secret))
	return v
}

// rawResponse is an HTTP answer read whole.
type rawResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r rawResponse) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body %s", r.Body)
	return m
}

// do sends a request built by the caller and reads the answer.
func do(t testing.TB, req *http.Request) rawResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// rawQuery sends the parameters in the query string (as the SDK does).
func rawQuery(t testing.TB, env *ecsemutest.Env, method string, v url.Values) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, env.Endpoint()+"/?"+v.Encode(), nil)
	require.NoError(t, err)
	return do(t, req)
}

// rawSigned signs p with the emulator's secret and sends it in the query.
func rawSigned(t testing.TB, env *ecsemutest.Env, method string, p map[string]string) rawResponse {
	t.Helper()
	return rawQuery(t, env, method, signed(method, p, env.Emu.AccessKeySecret()))
}

// requireErrorBody checks a raw error answer: status, code and the five
// string fields.
func requireErrorBody(t testing.TB, r rawResponse, status int, code string) map[string]any {
	t.Helper()
	assert.Equal(t, status, r.Status, "body %s", r.Body)
	assert.Empty(t, errorBodyProblem(r.Body), "body %s", r.Body)
	m := r.json(t)
	assert.Equal(t, code, m["Code"], "body %s", r.Body)
	assert.True(t, strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"), "Content-Type %q", r.Header.Get("Content-Type"))
	return m
}
