package ecsemu_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

// The documented signature v1 test vector (Alibaba Cloud's signature v1 documentation).
func TestSignatureDocVector(t *testing.T) {
	t.Parallel()
	p := map[string]string{
		"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
		"SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
	}
	sts := ecsemu.StringToSign("GET", p)
	assert.Equal(t, "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26", sts)
	assert.Equal(t, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=", ecsemu.Sign(sts, "testsecret"))
}

func TestPercentEncode(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"abc-_.~XYZ019", "abc-_.~XYZ019"},
		{"a b", "a%20b"},
		{"a*b", "a%2Ab"},
		{"a+b", "a%2Bb"},
		{"/:=&", "%2F%3A%3D%26"},
		{"中", "%E4%B8%AD"},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, ecsemu.PercentEncode(tc.in))
		})
	}
}

func TestSignatureDoesNotMatch(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddRunning(t, 1)
	c := env.NewClientWithKey(t, region, env.Emu.AccessKeyID(), "wrong-secret", "")
	checkBodies(t, c)
	_, err := c.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	se := requireServerError(t, err, 400, "SignatureDoesNotMatch")
	assert.Contains(t, se.Message(), "server string to sign is:")
	// The SDK compares our string to sign with its own; equal strings make
	// it blame the secret. This proves both sides sign the same string.
	assert.Contains(t, se.Recommend(), "InvalidAccessKeySecret")
	assert.Empty(t, env.Emu.MutatingCalls())

	calls := env.Emu.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, "SignatureDoesNotMatch", calls[0].Code)
	assert.NotContains(t, calls[0].Params, "Signature", "the signature is not recorded")
}

// The signature covers awkward characters exactly as the SDK encodes them:
// a secret with reserved characters, values with spaces, '*', '~' and
// non-ASCII, over POST and GET.
func TestSignatureEncoding(t *testing.T) {
	t.Parallel()
	for _, method := range []string{requests.POST, requests.GET} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{AccessKeySecret: "fake/Secret+=&~*"})
			env.AddFleet(t, ecsemu.Instance{InstanceId: "i-odd", InstanceName: "web *~ 中文/+&="})
			req := ecs.CreateDescribeInstancesRequest()
			req.Method = method
			req.InstanceName = "web *~ 中文/+&="
			resp, err := env.Client.DescribeInstances(req)
			require.NoError(t, err)
			require.Len(t, resp.Instances.Instance, 1)
			assert.Equal(t, "i-odd", resp.Instances.Instance[0].InstanceId)
			calls := env.Emu.Calls()
			require.Len(t, calls, 1)
			assert.Equal(t, method, calls[0].Method)
		})
	}
}

func TestGatewayErrorsThroughSDK(t *testing.T) {
	t.Parallel()
	common := func(version, action string) *requests.CommonRequest {
		r := requests.NewCommonRequest()
		r.Method = requests.POST
		r.Version = version
		r.ApiName = action
		r.Product = "Ecs"
		return r
	}
	cases := []struct {
		name   string
		opts   ecsemu.Options
		call   func(t *testing.T, env *ecsemutest.Env) error
		status int
		code   string
	}{
		{name: "unknown access key", call: func(t *testing.T, env *ecsemutest.Env) error {
			c := env.NewClientWithKey(t, region, "LTAInobody", env.Emu.AccessKeySecret(), "")
			checkBodies(t, c)
			_, err := c.DescribeInstances(ecs.CreateDescribeInstancesRequest())
			return err
		}, status: 404, code: "InvalidAccessKeyId.NotFound"},
		{name: "unknown Action", call: func(t *testing.T, env *ecsemutest.Env) error {
			r := common(ecsemu.APIVersion, "NoSuchAction")
			r.Domain = env.Host()
			_, err := env.Client.ProcessCommonRequest(r)
			return err
		}, status: 404, code: "InvalidAction.NotFound"},
		{name: "wrong Version", call: func(t *testing.T, env *ecsemutest.Env) error {
			r := common("2016-03-14", "DescribeInstances")
			r.Domain = env.Host()
			_, err := env.Client.ProcessCommonRequest(r)
			return err
		}, status: 400, code: "InvalidParameter"},
		{name: "throttled", opts: ecsemu.Options{Faults: ecsemu.Faults{ThrottleRate: 1}}, call: func(t *testing.T, env *ecsemutest.Env) error {
			_, err := env.Client.StopInstance(stopReq("i-fault"))
			return err
		}, status: 400, code: "Throttling.User"},
		{name: "server error", opts: ecsemu.Options{Faults: ecsemu.Faults{ErrorRate: 1}}, call: func(t *testing.T, env *ecsemutest.Env) error {
			_, err := env.Client.StopInstance(stopReq("i-fault"))
			return err
		}, status: 500, code: "InternalError"},
		{name: "MaxQPS", opts: ecsemu.Options{Faults: ecsemu.Faults{MaxQPS: 0.001}}, call: func(t *testing.T, env *ecsemutest.Env) error {
			_, err := env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
			require.NoError(t, err, "the bucket starts with one token")
			_, err = env.Client.DescribeInstanceStatus(ecs.CreateDescribeInstanceStatusRequest())
			require.NoError(t, err, "each action has its own bucket")
			_, err = env.Client.StopInstance(stopReq("i-fault"))
			require.NoError(t, err)
			_, err = env.Client.StopInstance(stopReq("i-fault"))
			return err
		}, status: 400, code: "Throttling.User"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, tc.opts)
			env.AddFleet(t, ecsemu.Instance{InstanceId: "i-fault"})
			err := tc.call(t, env)
			requireServerError(t, err, tc.status, tc.code)
			if tc.name != "MaxQPS" {
				assert.Equal(t, ecsemu.StatusRunning, status(t, env, "i-fault"), "a rejected call changes nothing")
			}
			calls := env.Emu.Calls()
			require.NotEmpty(t, calls)
			last := calls[len(calls)-1]
			assert.Equal(t, tc.status, last.Status)
			assert.Equal(t, tc.code, last.Code)
		})
	}
}

func TestFaultsAtRuntime(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	ids := env.AddRunning(t, 1)
	require.NoError(t, env.Emu.SetFaults(ecsemu.Faults{ErrorRate: 1}))
	_, err := env.Client.StopInstance(stopReq(ids[0]))
	requireServerError(t, err, 500, "InternalError")
	calls := env.Emu.Calls()
	require.Len(t, calls, 1)
	assert.True(t, calls[0].Injected)
	assert.Equal(t, ecsemu.StatusRunning, status(t, env, ids[0]))

	require.NoError(t, env.Emu.SetFaults(ecsemu.Faults{}))
	_, err = env.Client.StopInstance(stopReq(ids[0]))
	require.NoError(t, err)

	// Half and half: over many calls both kinds appear, and nothing else.
	require.NoError(t, env.Emu.SetFaults(ecsemu.Faults{ThrottleRate: 0.5, ErrorRate: 0.5}))
	seen := map[string]int{}
	for range 40 {
		_, err := env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
		require.Error(t, err)
		seen[serverErrorCode(err)]++
	}
	assert.Len(t, seen, 2, "%v", seen)
	assert.Positive(t, seen["Throttling.User"])
	assert.Positive(t, seen["InternalError"])

	for _, bad := range []ecsemu.Faults{{ThrottleRate: -0.1}, {ErrorRate: 1.5}, {ThrottleRate: 0.6, ErrorRate: 0.6}, {MaxQPS: -1}} {
		assert.Error(t, env.Emu.SetFaults(bad), "%+v", bad)
		_, err := ecsemu.New(ecsemu.Options{Faults: bad})
		assert.Error(t, err, "%+v", bad)
	}
	_, err = ecsemu.New(ecsemu.Options{StopDelay: -time.Second})
	assert.Error(t, err)
}

// serverErrorCode returns the code of an *errors.ServerError ("" for any
// other error).
func serverErrorCode(err error) string {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return ""
}

func TestInjectError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		action   string
		code     string
		n        int
		status   int
		affected []string // actions whose first call fails
	}{
		{"one action once", "StopInstance", "ServiceUnavailable", 1, 503, []string{"StopInstance"}},
		{"any action", "", "Throttling", 1, 400, []string{"DescribeInstances"}},
		{"twice", "StopInstance", "InternalError", 2, 500, []string{"StopInstance", "StopInstance"}},
		{"an ECS code", "StopInstance", "IncorrectInstanceStatus", 1, 403, []string{"StopInstance"}},
		{"unknown code is 400", "StopInstance", "Made.Up", 1, 400, []string{"StopInstance"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{})
			ids := env.AddRunning(t, 1)
			env.Emu.InjectError(tc.action, tc.code, "injected for "+tc.name, tc.n)

			describeFails := tc.action == ""
			_, err := env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
			if describeFails {
				se := requireServerError(t, err, tc.status, tc.code)
				assert.Equal(t, "injected for "+tc.name, se.Message())
			} else {
				require.NoError(t, err, "other actions are not affected")
			}
			if tc.action != "" {
				for i := range tc.n {
					_, err := env.Client.StopInstance(stopReq(ids[0]))
					se := requireServerError(t, err, tc.status, tc.code)
					assert.Equal(t, "injected for "+tc.name, se.Message(), "call %d", i)
					assert.Equal(t, ecsemu.StatusRunning, status(t, env, ids[0]))
				}
			}
			_, err = env.Client.StopInstance(stopReq(ids[0]))
			require.NoError(t, err, "the injection is used up")
			injected := 0
			for _, c := range env.Emu.Calls() {
				if c.Injected {
					injected++
				}
			}
			assert.Equal(t, tc.n, injected)
		})
	}
}

func TestNonceReuse(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddRunning(t, 1)
	v := signed(http.MethodPost, baseParams(env, "DescribeInstances"), env.Emu.AccessKeySecret())
	first := rawQuery(t, env, http.MethodPost, v)
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Body)
	second := rawQuery(t, env, http.MethodPost, v)
	requireErrorBody(t, second, 400, "SignatureNonceUsed")

	// A nonce is only spent by a request that passed the signature check.
	p := baseParams(env, "DescribeInstances")
	bad := rawQuery(t, env, http.MethodPost, signed(http.MethodPost, p, "wrong"))
	requireErrorBody(t, bad, 400, "SignatureDoesNotMatch")
	good := rawSigned(t, env, http.MethodPost, p)
	assert.Equal(t, http.StatusOK, good.Status, "%s", good.Body)
}

func TestFormBodyPost(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		inQuery []string // parameters sent in the query; the rest go in the body
	}{
		{"everything in the body", nil},
		{"Action and Version in the query", []string{"Action", "Version"}},
		{"signature in the query", []string{"Signature", "SignatureNonce"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, ecsemu.Options{})
			ids := env.AddRunning(t, 2)
			p := baseParams(env, "StopInstance")
			p["InstanceId"] = ids[1]
			p["StoppedMode"] = "StopCharging"
			all := signed(http.MethodPost, p, env.Emu.AccessKeySecret())
			query, body := url.Values{}, url.Values{}
			for k := range all {
				body.Set(k, all.Get(k))
			}
			for _, k := range tc.inQuery {
				query.Set(k, all.Get(k))
				body.Del(k)
			}
			req, err := http.NewRequest(http.MethodPost, env.Endpoint()+"/?"+query.Encode(), strings.NewReader(body.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp := do(t, req)
			require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
			assert.NotEmpty(t, resp.json(t)["RequestId"])
			in, _ := env.Emu.Instance(ids[1])
			assert.Equal(t, ecsemu.StatusStopped, in.Status)
			assert.Equal(t, "StopCharging", in.StoppedMode)
			assert.Equal(t, ecsemu.StatusRunning, status(t, env, ids[0]))
		})
	}
	t.Run("body parameters are signed", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		ids := env.AddRunning(t, 2)
		p := baseParams(env, "StopInstance")
		p["InstanceId"] = ids[0]
		v := signed(http.MethodPost, p, env.Emu.AccessKeySecret())
		v.Set("InstanceId", ids[1]) // tampered after signing
		req, err := http.NewRequest(http.MethodPost, env.Endpoint()+"/", strings.NewReader(v.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		requireErrorBody(t, do(t, req), 400, "SignatureDoesNotMatch")
		assert.Equal(t, ecsemu.StatusRunning, status(t, env, ids[1]))
	})
	t.Run("the method is signed", func(t *testing.T) {
		t.Parallel()
		env := start(t, ecsemu.Options{})
		v := signed(http.MethodGet, baseParams(env, "DescribeInstances"), env.Emu.AccessKeySecret())
		requireErrorBody(t, rawQuery(t, env, http.MethodPost, v), 400, "SignatureDoesNotMatch")
	})
}

func TestGETAccepted(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	ids := env.AddRunning(t, 1)
	req := stopReq(ids[0])
	req.Method = requests.GET
	_, err := env.Client.StopInstance(req)
	require.NoError(t, err)
	assert.Equal(t, ecsemu.StatusStopped, status(t, env, ids[0]))
	calls := env.Emu.MutatingCalls()
	require.Len(t, calls, 1)
	assert.Equal(t, http.MethodGet, calls[0].Method)

	raw := rawSigned(t, env, http.MethodGet, baseParams(env, "DescribeInstances"))
	assert.Equal(t, http.StatusOK, raw.Status, "%s", raw.Body)
}

func TestSTSToken(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	ids := env.AddRunning(t, 1)
	c := newClient(t, env, "tok-123")
	_, err := c.StopInstance(stopReq(ids[0]))
	require.NoError(t, err)
	_, err = env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	require.NoError(t, err)
	calls := env.Emu.Calls()
	require.Len(t, calls, 2)
	assert.Equal(t, "tok-123", calls[0].SecurityToken)
	assert.Equal(t, env.Emu.AccessKeyID(), calls[0].AccessKeyID)
	assert.NotContains(t, calls[0].Params, "SecurityToken", "the token is kept out of Params")
	assert.Equal(t, "", calls[1].SecurityToken, "AK client sends none")
}

func TestCallRecord(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	env := start(t, ecsemu.Options{MaxRecordedCalls: 3, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	ids := env.AddRunning(t, 1)
	_, err := env.Client.StopInstance(stopReq(ids[0]))
	require.NoError(t, err)
	for range 4 {
		_, err := env.Client.DescribeInstances(ecs.CreateDescribeInstancesRequest())
		require.NoError(t, err)
	}
	calls := env.Emu.Calls()
	require.Len(t, calls, 3, "bounded by MaxRecordedCalls")
	assert.Equal(t, "StopInstance", calls[0].Action)
	assert.True(t, calls[0].Mutating)
	assert.Equal(t, ids[0], calls[0].Params["InstanceId"])
	assert.Equal(t, region, calls[0].Params["RegionId"])
	assert.NotEmpty(t, calls[0].RequestID)
	assert.Equal(t, map[string]int{"StopInstance": 1, "DescribeInstances": 4}, env.Emu.CallCounts(), "counting goes on past the limit")
	assert.Len(t, env.Emu.MutatingCalls(), 1)
	assert.True(t, ecsemu.IsMutating("StopInstance"))
	assert.False(t, ecsemu.IsMutating("DescribeInstances"))

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	assert.Len(t, lines, 5, "one log record per call")
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec))
	assert.Equal(t, "StopInstance", rec["action"])

	env.Emu.ResetCalls()
	assert.Empty(t, env.Emu.Calls())
	assert.Empty(t, env.Emu.CallCounts())
}

func TestActionsList(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{
		"CreateSnapshot", "DeleteInstance", "DeleteInstances", "DescribeDisks", "DescribeInstanceAttribute",
		"DescribeInstanceStatus", "DescribeInstances", "DescribePrice", "DescribeSnapshots", "ListTagResources",
		"ModifyInstanceAttribute", "ModifyInstanceAutoReleaseTime", "RunInstances", "StartInstance",
		"StartInstances", "StopInstance", "StopInstances", "TagResources", "UntagResources",
	}, ecsemu.Actions())
}

// TestRawErrorBodies looks at the wire: every error answer, gateway or
// action, is the ECS error body with five JSON string fields.
func TestRawErrorBodies(t *testing.T) {
	t.Parallel()
	secret := ecsemu.DefaultAccessKeySecret
	type reqFn func(env *ecsemutest.Env) *http.Request
	query := func(method string, v url.Values) reqFn {
		return func(env *ecsemutest.Env) *http.Request {
			r, _ := http.NewRequest(method, env.Endpoint()+"/?"+v.Encode(), nil)
			return r
		}
	}
	// build returns signed parameters for action after mut changed them.
	build := func(action string, mut func(p map[string]string)) func(env *ecsemutest.Env) map[string]string {
		return func(env *ecsemutest.Env) map[string]string {
			p := baseParams(env, action)
			if mut != nil {
				mut(p)
			}
			return p
		}
	}
	signedReq := func(method, action string, mut func(p map[string]string)) reqFn {
		return func(env *ecsemutest.Env) *http.Request {
			return query(method, signed(method, build(action, mut)(env), secret))(env)
		}
	}
	cases := []struct {
		name   string
		opts   ecsemu.Options
		req    reqFn
		status int
		code   string
	}{
		{name: "no Action", req: signedReq("POST", "", nil), status: 400, code: "MissingParameter"},
		{name: "wrong Version", req: signedReq("POST", "DescribeInstances", func(p map[string]string) { p["Version"] = "2016-03-14" }), status: 400, code: "InvalidParameter"},
		{name: "unknown Action", req: signedReq("POST", "NoSuchAction", nil), status: 404, code: "InvalidAction.NotFound"},
		{name: "no Timestamp", req: signedReq("POST", "DescribeInstances", func(p map[string]string) { delete(p, "Timestamp") }), status: 400, code: "MissingParameter"},
		{name: "no SignatureNonce", req: signedReq("POST", "DescribeInstances", func(p map[string]string) { delete(p, "SignatureNonce") }), status: 400, code: "MissingParameter"},
		{name: "no Signature", req: func(env *ecsemutest.Env) *http.Request {
			v := signed("POST", build("DescribeInstances", nil)(env), secret)
			v.Del("Signature")
			return query("POST", v)(env)
		}, status: 400, code: "MissingParameter"},
		{name: "SignatureMethod HMAC-SHA256", req: signedReq("POST", "DescribeInstances", func(p map[string]string) { p["SignatureMethod"] = "HMAC-SHA256" }), status: 400, code: "InvalidParamater"},
		{name: "expired Timestamp", req: signedReq("POST", "DescribeInstances", func(p map[string]string) { p["Timestamp"] = ts(time.Now().Add(-time.Hour)) }), status: 400, code: "InvalidTimeStamp.Expired"},
		{name: "future Timestamp", req: signedReq("POST", "DescribeInstances", func(p map[string]string) { p["Timestamp"] = ts(time.Now().Add(time.Hour)) }), status: 400, code: "InvalidTimeStamp.Expired"},
		{name: "malformed Timestamp", req: signedReq("POST", "DescribeInstances", func(p map[string]string) { p["Timestamp"] = "yesterday" }), status: 400, code: "InvalidTimeStamp.Format"},
		{name: "unknown key", req: signedReq("POST", "DescribeInstances", func(p map[string]string) { p["AccessKeyId"] = "LTAInobody" }), status: 404, code: "InvalidAccessKeyId.NotFound"},
		{name: "bad signature", req: func(env *ecsemutest.Env) *http.Request {
			return query("POST", signed("POST", build("DescribeInstances", nil)(env), "wrong"))(env)
		}, status: 400, code: "SignatureDoesNotMatch"},
		{name: "PUT", req: signedReq("PUT", "DescribeInstances", nil), status: 403, code: "UnsupportedHTTPMethod"},
		{name: "wrong path", req: func(env *ecsemutest.Env) *http.Request {
			r, _ := http.NewRequest("POST", env.Endpoint()+"/api?"+signed("POST", build("DescribeInstances", nil)(env), secret).Encode(), nil)
			return r
		}, status: 404, code: "InvalidAction.NotFound"},
		{name: "body over 1 MiB", req: func(env *ecsemutest.Env) *http.Request {
			r, _ := http.NewRequest("POST", env.Endpoint()+"/", strings.NewReader("Action=DescribeInstances&x="+strings.Repeat("a", 2<<20)))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, status: 400, code: "InvalidParameter"},
		{name: "no RegionId", req: signedReq("POST", "DescribeInstances", func(p map[string]string) { delete(p, "RegionId") }), status: 400, code: "MissingParameter"},
		{name: "instance not found", req: signedReq("POST", "StopInstance", func(p map[string]string) { p["InstanceId"] = "i-nosuch" }), status: 404, code: "InvalidInstanceId.NotFound"},
		{name: "wrong state", req: signedReq("POST", "StopInstance", func(p map[string]string) { p["InstanceId"] = "i-stopped" }), status: 403, code: "IncorrectInstanceStatus"},
		{name: "locked", req: signedReq("POST", "StopInstance", func(p map[string]string) { p["InstanceId"] = "i-locked" }), status: 403, code: "InstanceLockedForSecurity"},
		{name: "deletion protection", req: signedReq("POST", "DeleteInstance", func(p map[string]string) { p["InstanceId"] = "i-protected" }), status: 403, code: "InvalidOperation.DeletionProtection"},
		{name: "charge type", req: signedReq("POST", "ModifyInstanceAutoReleaseTime", func(p map[string]string) { p["InstanceId"] = "i-prepaid" }), status: 403, code: "ChargeTypeViolation"},
		{name: "no such resource", req: signedReq("POST", "ModifyInstanceAutoReleaseTime", func(p map[string]string) { p["InstanceId"] = "i-nosuch" }), status: 404, code: "NoSuchResource"},
		{name: "malformed auto-release time", req: signedReq("POST", "ModifyInstanceAutoReleaseTime", func(p map[string]string) {
			p["InstanceId"] = "i-running"
			p["AutoReleaseTime"] = "2026-13-45T99:00:00Z"
		}), status: 400, code: "InvalidAutoReleaseTime.Malformed"},
		{name: "disk not found", req: signedReq("POST", "CreateSnapshot", func(p map[string]string) { p["DiskId"] = "d-nosuch" }), status: 404, code: "InvalidDiskId.NotFound"},
		{name: "dry run", req: signedReq("POST", "StopInstance", func(p map[string]string) {
			p["InstanceId"] = "i-running"
			p["DryRun"] = "true"
		}), status: 400, code: "DryRunOperation"},
		{name: "too many IDs", req: signedReq("POST", "DeleteInstances", func(p map[string]string) {
			for i, id := range manyIDs(101) {
				p["InstanceId."+strconv.Itoa(i+1)] = id
			}
		}), status: 403, code: "InvalidParameter.ToManyInstanceIds"},
		{name: "throttled", opts: ecsemu.Options{Faults: ecsemu.Faults{ThrottleRate: 1}}, req: signedReq("POST", "DescribeInstances", nil), status: 400, code: "Throttling.User"},
		{name: "internal error", opts: ecsemu.Options{Faults: ecsemu.Faults{ErrorRate: 1}}, req: signedReq("GET", "DescribeInstances", nil), status: 500, code: "InternalError"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, tc.opts)
			env.AddFleet(t, lifecycleFleet()...)
			resp := do(t, tc.req(env))
			body := requireErrorBody(t, resp, tc.status, tc.code)
			assert.Equal(t, env.Host(), body["HostId"])
			assert.Regexp(t, `^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`, body["RequestId"])
			assert.Contains(t, body["Recommend"], url.QueryEscape(tc.code))
			for name, in := range lifecycleFleet() {
				assert.Equal(t, in.Status, status(t, env, in.InstanceId), "fleet[%d] unchanged", name)
			}
		})
	}
}

func TestSignatureDoesNotMatchMessage(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	p := baseParams(env, "DescribeInstances")
	resp := rawQuery(t, env, http.MethodPost, signed(http.MethodPost, p, "wrong"))
	body := requireErrorBody(t, resp, 400, "SignatureDoesNotMatch")
	assert.Equal(t, "Specified signature is not matched with our calculation. server string to sign is:"+ecsemu.StringToSign(http.MethodPost, p), body["Message"])
}

func TestSkipTimestampCheck(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{SkipTimestampCheck: true})
	p := baseParams(env, "DescribeInstances")
	p["Timestamp"] = "2016-02-23T12:46:24Z"
	resp := rawSigned(t, env, http.MethodPost, p)
	assert.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
}

func TestSuccessBody(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-body"})
	resp := rawSigned(t, env, http.MethodPost, baseParams(env, "DescribeInstances"))
	require.Equal(t, http.StatusOK, resp.Status)
	assert.Equal(t, "application/json;charset=utf-8", resp.Header.Get("Content-Type"))
	m := resp.json(t)
	assert.IsType(t, "", m["RequestId"])
	assert.EqualValues(t, 1, m["TotalCount"])
	insts := m["Instances"].(map[string]any)["Instance"].([]any)
	require.Len(t, insts, 1)
	in := insts[0].(map[string]any)
	// Empty lists are wrapper objects with an empty array, never null.
	assert.Equal(t, map[string]any{"LockReason": []any{}}, in["OperationLocks"])
	assert.Equal(t, map[string]any{"Tag": []any{}}, in["Tags"])
	assert.Equal(t, map[string]any{"IpAddress": []any{}}, in["InnerIpAddress"])
	assert.Equal(t, map[string]any{"IpAddress": []any{}}, in["PublicIpAddress"])
	assert.NotContains(t, in, "Disks", "the fleet-only Disks extension is not in API answers")
}
