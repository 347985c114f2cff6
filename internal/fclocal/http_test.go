package fclocal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

func do(t *testing.T, method, url string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Add(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// A real HTTP request to the local port reaches the function as FC's v1
// HTTP event, and the function's {statusCode, headers, body} comes back.
func TestHTTPTriggerRoundTrip(t *testing.T) {
	t.Parallel()
	r, rec := startTestRunner(t, testSYAML, 10*time.Millisecond)
	srv := httptest.NewServer(r.HTTPHandler())
	t.Cleanup(srv.Close)

	binary := []byte{0x00, 0x01, 0xfe, 0xff, 'x'}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/flaky/some/path%20x?status=201&a=1&a=2", bytes.NewReader(binary))
	require.NoError(t, err)
	req.Header.Add("X-Foo", "a")
	req.Header.Add("X-Foo", "b")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("User-Agent", "fclocal-test/1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	assert.Equal(t, 201, resp.StatusCode, "statusCode from the function")
	assert.Equal(t, "POST", resp.Header.Get("X-Flaky-Method"), "headers from the function")
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	reqID := resp.Header.Get("X-Fc-Request-Id")
	require.NotEmpty(t, reqID)

	// The body is the event the function received.
	var ev HTTPEvent
	require.NoError(t, json.Unmarshal(body, &ev))
	assert.Equal(t, "v1", ev.Version)
	assert.Equal(t, "/some/path%20x", ev.RawPath, "rawPath: the path after /<functionName>, still encoded")
	assert.Equal(t, "/some/path x", ev.RequestContext.HTTP.Path, "requestContext.http.path is decoded")
	assert.Equal(t, "a,b", ev.Headers["X-Foo"], "repeated headers joined with commas")
	assert.Equal(t, "1,2", ev.QueryParameters["a"], "repeated query values joined with commas")
	assert.Equal(t, "201", ev.QueryParameters["status"])
	assert.True(t, ev.IsBase64Encoded, "a binary body is base64")
	got, err := base64.StdEncoding.DecodeString(ev.Body)
	require.NoError(t, err)
	assert.Equal(t, binary, got)
	assert.Equal(t, reqID, ev.RequestContext.RequestID)
	assert.Equal(t, "POST", ev.RequestContext.HTTP.Method)
	assert.Equal(t, "HTTP/1.1", ev.RequestContext.HTTP.Protocol)
	assert.Equal(t, "127.0.0.1", ev.RequestContext.HTTP.SourceIP)
	assert.Equal(t, "fclocal-test/1", ev.RequestContext.HTTP.UserAgent)
	assert.Equal(t, DefaultAccountID, ev.RequestContext.AccountID)
	assert.NotEmpty(t, ev.RequestContext.TimeEpoch)
	invs := rec.of("flaky")
	require.Len(t, invs, 1)
	assert.Equal(t, "http:http", invs[0].Trigger)
	assert.False(t, invs[0].Async)

	// A JSON body travels as text.
	resp, body = do(t, http.MethodGet, srv.URL+"/flaky", []byte(`{"k":"v"}`), map[string]string{"Content-Type": "application/json"})
	assert.Equal(t, 200, resp.StatusCode)
	require.NoError(t, json.Unmarshal(body, &ev))
	assert.False(t, ev.IsBase64Encoded)
	assert.Equal(t, `{"k":"v"}`, ev.Body)
	assert.Equal(t, "/", ev.RawPath)

	// Methods outside the trigger's list: 405, and the function is not run.
	resp, body = do(t, http.MethodPut, srv.URL+"/flaky/x", nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "GET, POST", resp.Header.Get("Allow"))
	assert.Contains(t, string(body), "MethodNotAllowed")
	assert.Len(t, rec.of("flaky"), 2)

	// A function error: 502 with the error.
	resp, body = do(t, http.MethodGet, srv.URL+"/flaky/x?fail=boom", nil, nil)
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Equal(t, "errorString", resp.Header.Get("X-Fc-Error-Type"))
	assert.Contains(t, string(body), "flaky: asked to fail: boom")
	assert.Len(t, rec.of("flaky"), 3, "a synchronous HTTP call is not retried")

	// X-Fc-Invocation-Type: Async: 202 at once, then an async invocation
	// with the same event shape.
	resp, body = do(t, http.MethodPost, srv.URL+"/flaky/async?x=1", []byte("hi"), map[string]string{"X-Fc-Invocation-Type": "Async", "Content-Type": "text/plain"})
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.Empty(t, body)
	asyncID := resp.Header.Get("X-Fc-Request-Id")
	require.NotEmpty(t, asyncID)
	waitIdle(t, r, 10*time.Second)
	var asyncInv *Invocation
	for _, inv := range rec.of("flaky") {
		if inv.RequestID == asyncID {
			asyncInv = &inv
		}
	}
	require.NotNil(t, asyncInv, "the async invocation ran")
	assert.True(t, asyncInv.Async)
	assert.Equal(t, "http:http", asyncInv.Trigger)
	require.NoError(t, json.Unmarshal(asyncInv.Event, &ev))
	assert.Equal(t, "/async", ev.RawPath)
	assert.Equal(t, "hi", ev.Body)
	assert.Len(t, rec.of("sink-ok"), 1, "async HTTP calls get the destinations")

	// Unknown function, or one without an HTTP trigger: 404.
	resp, _ = do(t, http.MethodGet, srv.URL+"/ghost/", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, body = do(t, http.MethodGet, srv.URL+"/sink-ok/", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, string(body), "no HTTP trigger")
	resp, body = do(t, http.MethodGet, srv.URL+"/", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"routes":["/flaky/"]}`, string(body))
}

// The real functions behind their HTTP triggers (s.yaml's methods).
func TestHTTPTriggerRealFunctions(t *testing.T) {
	t.Parallel()
	managed := ecsemu.TagSet{Tag: []ecsemu.Tag{{TagKey: "ecs-release:managed", TagValue: "true"}}}
	r, rec, emu := startRealRunner(t, []ecsemu.Instance{{InstanceId: "i-http1", Tags: managed}}, 100*time.Millisecond, nil)
	srv := httptest.NewServer(r.HTTPHandler())
	t.Cleanup(srv.Close)

	// s.yaml deploys with DRY_RUN=true: the stop is only planned.
	resp, body := do(t, http.MethodPost, srv.URL+"/ecs-stop/", []byte(`{"instanceIds":["i-http1"],"reason":"http test"}`), map[string]string{"Content-Type": "application/json"})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var ans handler.Response
	require.NoError(t, json.Unmarshal(body, &ans))
	assert.True(t, ans.DryRun)
	require.Len(t, ans.Instances, 1)
	assert.Equal(t, handler.OutcomeWouldStop, ans.Instances[0].Outcome)
	assert.Equal(t, resp.Header.Get("X-Fc-Request-Id"), ans.RequestID, "the function saw the trigger's request id")
	assert.Zero(t, emu.CallCounts()["StopInstances"]+len(emu.MutatingCalls()), "dry run: no mutating call")

	// stop's trigger allows POST only.
	resp, _ = do(t, http.MethodGet, srv.URL+"/ecs-stop/", nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "POST", resp.Header.Get("Allow"))

	// autorelease answers GET ?instanceId= with the current setting.
	resp, body = do(t, http.MethodGet, srv.URL+"/ecs-autorelease/?instanceId=i-http1", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.NoError(t, json.Unmarshal(body, &ans))
	require.Len(t, ans.Instances, 1)
	assert.Equal(t, handler.OutcomeStatus, ans.Instances[0].Outcome)

	// A bad request is the function's own 400, passed through.
	resp, body = do(t, http.MethodPost, srv.URL+"/ecs-release/", []byte(`{"instanceIds":["bogus"]}`), nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.True(t, strings.Contains(string(body), "instanceIds"), string(body))
	for _, inv := range rec.all() {
		assert.True(t, inv.OK(), "HTTP errors are answers, not function errors: %s", inv.Outcome())
	}
}
