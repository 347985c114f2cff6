package ecsemu

// Internal checks of the instance actions against the current official
// SDK's models (github.com/alibabacloud-go/ecs-20140526/v7): every
// documented request parameter is implemented or refused by name, every
// implemented one is documented, and every field an answer writes is a
// documented response field of the same JSON type. The calls go through
// ServeHTTP with hand-signed (signature v1) requests.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// instanceRequestModels are the v7 request models of the instance actions
// (those with a response model below), taken from documentedRequests.
var instanceRequestModels = func() map[string]any {
	out := map[string]any{}
	for action := range instanceResponseModels {
		out[action] = documentedRequests[action]
	}
	return out
}()

// instanceResponseModels are the v7 response body models of the same actions.
var instanceResponseModels = map[string]any{
	"DescribeInstances":             ecs7.DescribeInstancesResponseBody{},
	"DescribeInstanceStatus":        ecs7.DescribeInstanceStatusResponseBody{},
	"DescribeInstanceAttribute":     ecs7.DescribeInstanceAttributeResponseBody{},
	"StopInstance":                  ecs7.StopInstanceResponseBody{},
	"StopInstances":                 ecs7.StopInstancesResponseBody{},
	"StartInstance":                 ecs7.StartInstanceResponseBody{},
	"StartInstances":                ecs7.StartInstancesResponseBody{},
	"DeleteInstance":                ecs7.DeleteInstanceResponseBody{},
	"DeleteInstances":               ecs7.DeleteInstancesResponseBody{},
	"ModifyInstanceAutoReleaseTime": ecs7.ModifyInstanceAutoReleaseTimeResponseBody{},
	"ModifyInstanceAttribute":       ecs7.ModifyInstanceAttributeResponseBody{},
	"RunInstances":                  ecs7.RunInstancesResponseBody{},
}

// instTestEmu is an emulator with a signed-call helper.
type instTestEmu struct {
	*Emulator
	nonce int
}

func newInstTestEmu(t *testing.T) *instTestEmu {
	t.Helper()
	e, err := New(Options{SkipTimestampCheck: true, Region: "cn-hangzhou"})
	require.NoError(t, err)
	return &instTestEmu{Emulator: e}
}

// call sends a signature-v1 GET with the common parameters plus extra
// (a nil value leaves a common parameter out) and returns status and body.
func (e *instTestEmu) call(t *testing.T, action string, extra map[string]*string) (int, []byte) {
	t.Helper()
	e.nonce++
	p := map[string]string{
		"Action": action, "Version": APIVersion, "Format": "JSON", "AccessKeyId": e.AccessKeyID(),
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": "n" + strconv.Itoa(e.nonce),
		"Timestamp": time.Now().UTC().Format(layoutSecond), "RegionId": "cn-hangzhou",
	}
	for k, v := range extra {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = *v
		}
	}
	q := url.Values{}
	for k, v := range p {
		q.Set(k, v)
	}
	q.Set("Signature", Sign(StringToSign(http.MethodGet, p), e.AccessKeySecret()))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?"+q.Encode(), nil))
	return rec.Code, rec.Body.Bytes()
}

func instErrorCode(t *testing.T, body []byte) string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m), "%s", body)
	code, _ := m["Code"].(string)
	return code
}

// TestInstanceParamsAgainstV7 checks, for every instance action, that each
// parameter of its v7 request model is implemented or answered 400
// Emulator.UnsupportedParameter naming it (through ServeHTTP), and that
// each implemented parameter is a documented one.
func TestInstanceParamsAgainstV7(t *testing.T) {
	e := newInstTestEmu(t)
	for action, model := range instanceRequestModels {
		documented := documentedParams(reflect.TypeOf(model), "")
		pc := newParamChecker(actions[action].params)
		var refused []string
		for _, p := range documented {
			wire := strings.ReplaceAll(p, ".N", ".1")
			status, body := e.call(t, action, map[string]*string{wire: new("x")})
			if pc.accepts(wire) {
				assert.NotEqual(t, "Emulator.UnsupportedParameter", instErrorCode(t, body), "%s %s is implemented", action, wire)
				continue
			}
			refused = append(refused, p)
			assert.Equal(t, http.StatusBadRequest, status, "%s %s", action, wire)
			assert.Equal(t, "Emulator.UnsupportedParameter", instErrorCode(t, body), "%s %s", action, wire)
			assert.Contains(t, string(body), wire, "%s: the error names the parameter", action)
		}
		for _, p := range actions[action].params {
			assert.Contains(t, documented, p, "%s implements %s, which its v7 request model does not document", action, p)
		}
		t.Logf("%s refuses %v", action, refused)
	}
}

// TestDescribeInstancesParamsAgainstV7 lists every json field of the v7
// DescribeInstancesRequest and asserts each is in the registry's params or
// answered Emulator.UnsupportedParameter.
func TestDescribeInstancesParamsAgainstV7(t *testing.T) {
	e := newInstTestEmu(t)
	typ := reflect.TypeFor[ecs7.DescribeInstancesRequest]()
	pc := newParamChecker(actions["DescribeInstances"].params)
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		wires := documentedParams(reflect.StructOf([]reflect.StructField{f}), "")
		for _, w := range wires {
			wire := strings.ReplaceAll(w, ".N", ".1")
			_, body := e.call(t, "DescribeInstances", map[string]*string{wire: new("x")})
			if pc.accepts(wire) {
				if !slices.Contains(gatewayParams, w) {
					assert.Contains(t, actions["DescribeInstances"].params, w, "field %s", name)
				}
				assert.NotEqual(t, "Emulator.UnsupportedParameter", instErrorCode(t, body), "%s", wire)
			} else {
				assert.Equal(t, "Emulator.UnsupportedParameter", instErrorCode(t, body), "%s", wire)
			}
		}
	}
}

// instCheckShape walks a JSON answer against a v7 response model: every field
// written must be a field of the model with the same JSON type (string,
// integer, number, boolean, object, array); null is never written.
func instCheckShape(t *testing.T, path string, v any, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !assert.True(t, ok, "%s: want an object, got %T", path, v) {
			return
		}
		fields := map[string]reflect.Type{}
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[name] = f.Type
		}
		for k, x := range obj {
			ft, ok := fields[k]
			if !assert.True(t, ok, "%s.%s is not a field of %s", path, k, typ.Name()) {
				continue
			}
			instCheckShape(t, path+"."+k, x, ft)
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !assert.True(t, ok, "%s: want an array, got %T", path, v) {
			return
		}
		for i, x := range arr {
			instCheckShape(t, path+"["+strconv.Itoa(i)+"]", x, typ.Elem())
		}
	case reflect.String:
		_, ok := v.(string)
		assert.True(t, ok, "%s: want a string, got %T %v", path, v, v)
	case reflect.Bool:
		_, ok := v.(bool)
		assert.True(t, ok, "%s: want a boolean, got %T %v", path, v, v)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if assert.True(t, ok, "%s: want an integer, got %T %v", path, v, v) {
			_, err := n.Int64()
			assert.NoError(t, err, "%s: want an integer, got %s", path, n)
		}
	case reflect.Float32, reflect.Float64:
		_, ok := v.(json.Number)
		assert.True(t, ok, "%s: want a number, got %T %v", path, v, v)
	default:
		t.Errorf("%s: unexpected model kind %s", path, typ.Kind())
	}
}

func instDecode(t *testing.T, body []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v), "%s", body)
	return v
}

// TestInstanceAnswersMatchV7Models calls every instance action and checks
// its answer's fields and JSON types against the v7 response model.
func TestInstanceAnswersMatchV7Models(t *testing.T) {
	e := newInstTestEmu(t)
	yes := true
	ids, err := e.AddInstances([]Instance{
		{InstanceId: "i-full", ResourceGroupId: "rg-a", KeyPairName: "kp", PublicIpAddress: IPSet{IpAddress: []string{"47.1.1.1"}},
			EipAddress:     EipAddress{AllocationId: "eip-1", IpAddress: "47.2.2.2", Bandwidth: 5, InternetChargeType: PayByTraffic},
			OperationLocks: LockSet{LockReason: []LockReason{{LockReason: "financial", LockMsg: "overdue"}}},
			Tags:           TagSet{Tag: []Tag{{TagKey: "k", TagValue: "v"}}}, AutoReleaseTime: "2099-01-01T00:00Z",
			Disks: &FleetDiskSet{Disk: []FleetDisk{{Size: 50, DeleteWithInstance: &yes}}}},
		{InstanceId: "i-classic", InstanceNetworkType: NetworkClassic, InstanceChargeType: PrePaid, InstanceType: "ecs.t5-lc1m1.small", Status: StatusStopped},
		{InstanceId: "i-stop", Status: StatusRunning},
		{InstanceId: "i-gone", Status: StatusStopped},
	})
	require.NoError(t, err)
	require.Len(t, ids, 4)
	calls := []struct {
		action string
		params map[string]*string
	}{
		{"DescribeInstances", map[string]*string{"PageSize": new("2")}},
		{"DescribeInstances", map[string]*string{"MaxResults": new("2")}},
		{"DescribeInstances", map[string]*string{"InstanceIds": new(`["i-classic"]`)}},
		{"DescribeInstanceStatus", map[string]*string{"PageSize": new("1")}},
		{"DescribeInstanceAttribute", map[string]*string{"InstanceId": new("i-full"), "RegionId": nil}},
		{"DescribeInstanceAttribute", map[string]*string{"InstanceId": new("i-classic")}},
		{"StopInstances", map[string]*string{"InstanceId.1": new("i-full"), "InstanceId.2": new("i-nosuch"), "BatchOptimization": new("SuccessFirst")}},
		{"StopInstance", map[string]*string{"InstanceId": new("i-stop"), "RegionId": nil}},
		{"StartInstances", map[string]*string{"InstanceId.1": new("i-classic")}},
		{"ModifyInstanceAttribute", map[string]*string{"InstanceId": new("i-stop"), "Description": new("d")}},
		{"ModifyInstanceAutoReleaseTime", map[string]*string{"InstanceId": new("i-stop")}},
		{"DeleteInstances", map[string]*string{"InstanceId.1": new("i-gone"), "ClientToken": new("tok")}},
		{"DeleteInstances", map[string]*string{"InstanceId.1": new("i-gone"), "ClientToken": new("tok")}},
		{"RunInstances", map[string]*string{"Amount": new("2"), "ClientToken": new("run"), "KeyPairName": new("kp")}},
		{"RunInstances", map[string]*string{"Amount": new("2"), "ClientToken": new("run"), "KeyPairName": new("kp")}},
		{"DescribeInstances", map[string]*string{"KeyPairName": new("kp"), "PageSize": new("100")}},
	}
	for _, c := range calls {
		status, body := e.call(t, c.action, c.params)
		require.Equal(t, http.StatusOK, status, "%s %s", c.action, body)
		instCheckShape(t, c.action, instDecode(t, body), reflect.TypeOf(instanceResponseModels[c.action]))
		assert.NotContains(t, string(body), `"Disks"`, "%s: fleet-file extension in an answer", c.action)
	}
}

// TestAnswersAreTyped checks the registry: every action registers its
// typed answer, a struct.
func TestAnswersAreTyped(t *testing.T) {
	for action, def := range actions {
		require.NotNil(t, def.resp, action)
		typ := reflect.TypeOf(def.resp)
		assert.True(t, typ.Kind() == reflect.Pointer && typ.Elem().Kind() == reflect.Struct, "%s answers with %v", action, typ)
	}
}

func TestFamilyAndOS(t *testing.T) {
	for typ, fam := range map[string]string{
		"ecs.g7.large": "ecs.g7", "ecs.t5-lc1m1.small": "ecs.t5", "ecs.gn6i-c4g1.xlarge": "ecs.gn6i",
		"ecs.ebmg5s.24xlarge": "ecs.ebmg5s", "custom": "",
	} {
		assert.Equal(t, fam, familyOf(typ), typ)
	}
	osType, name, nameEn := osOf("ubuntu_22_04_x64_20G_alibase_20240101.vhd")
	assert.Equal(t, []string{"linux", "Ubuntu 22.04 64位", "Ubuntu 22.04 64 bit"}, []string{osType, name, nameEn})
	osType, _, nameEn = osOf("win2022_21H2_x64_dtc_en-us_40G_alibase_20240101.vhd")
	assert.Equal(t, []string{"windows", "Windows Server 64 bit"}, []string{osType, nameEn})
	osType, _, nameEn = osOf("m-bp1abc")
	assert.Equal(t, []string{"linux", "Linux 64 bit"}, []string{osType, nameEn})
}
