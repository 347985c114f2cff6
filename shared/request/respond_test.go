package request

import (
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"testing"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type answer struct {
	Outcomes []string `json:"outcomes"`
}

// httpAnswer is the wire form common to the three HTTP response shapes.
type httpAnswer struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Body            string            `json:"body"`
}

func TestRespondHTTPShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fixture string
		source  Source
		want    any // zero value of the expected Go type
	}{
		{"fc-http-post.json", SourceHTTP, fcevents.HTTPTriggerResponse{}},
		{"aws-apigatewayv2-post.json", SourceAPIGatewayV2, awsevents.APIGatewayV2HTTPResponse{}},
		{"aws-function-url-post.json", SourceFunctionURL, awsevents.LambdaFunctionURLResponse{}},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			inv, err := Decode(readFixture(t, tc.fixture))
			require.NoError(t, err)
			require.Equal(t, tc.source, inv.Source)

			out, err := inv.Respond(http.StatusOK, answer{Outcomes: []string{"stopping"}})
			require.NoError(t, err)
			assert.IsType(t, tc.want, out)
			got := roundTrip(t, out)
			assert.Equal(t, http.StatusOK, got.StatusCode)
			assert.Equal(t, "application/json", got.Headers["Content-Type"])
			assert.False(t, got.IsBase64Encoded)
			assert.JSONEq(t, `{"outcomes":["stopping"]}`, got.Body)

			out, err = inv.RespondError(&Error{Code: CodeInvalidRequest, Field: "body.instanceIds[0]", Message: "bad ID"})
			require.NoError(t, err, "HTTP callers get a 4xx response, not a function error")
			got = roundTrip(t, out)
			assert.Equal(t, http.StatusBadRequest, got.StatusCode)
			assert.JSONEq(t, `{"error":{"code":"InvalidRequest","field":"body.instanceIds[0]","message":"body.instanceIds[0]: bad ID"}}`, got.Body)

			out, err = inv.RespondError(errors.New("ecs: throttled"))
			require.NoError(t, err)
			got = roundTrip(t, out)
			assert.Equal(t, http.StatusInternalServerError, got.StatusCode)
			assert.JSONEq(t, `{"error":{"code":"InternalError","message":"ecs: throttled"}}`, got.Body)

			out, err = inv.Respond(0, nil)
			require.NoError(t, err)
			got = roundTrip(t, out)
			assert.Equal(t, http.StatusOK, got.StatusCode)
			assert.Empty(t, got.Body)
		})
	}
}

func TestRespondDecodeErrorInCallerShape(t *testing.T) {
	t.Parallel()
	payload := readFixture(t, filepath.Join("malformed", "fc-http-delete.json"))
	inv, err := Decode(payload)
	require.Error(t, err)
	require.Nil(t, inv)
	out, rerr := Detect(payload).RespondError(err)
	require.NoError(t, rerr)
	got := roundTrip(t, out)
	assert.Equal(t, http.StatusMethodNotAllowed, got.StatusCode)
	assert.Equal(t, "GET, POST, PUT", got.Headers["Allow"])
	var body ErrorBody
	require.NoError(t, json.Unmarshal([]byte(got.Body), &body))
	assert.Equal(t, CodeMethodNotAllowed, body.Error.Code)
	assert.Equal(t, "requestContext.http.method", body.Error.Field)

	// Too large: still answered as HTTP 413.
	big := []byte(fcHTTPFixture("POST", `{"reason":"`+repeat("x", MaxPayloadBytes)+`"}`, nil))
	_, err = Decode(big)
	require.Error(t, err)
	out, rerr = Detect(big).RespondError(err)
	require.NoError(t, rerr)
	assert.Equal(t, http.StatusRequestEntityTooLarge, roundTrip(t, out).StatusCode)
}

func TestRespondPlainSources(t *testing.T) {
	t.Parallel()
	for _, fixture := range []string{
		"timer.json", "cloudevent-request.json", "cloudevent-batch.json", "destination-inline.json",
		"aws-eventbridge-request.json", "direct.json",
	} {
		t.Run(fixture, func(t *testing.T) {
			t.Parallel()
			inv, err := Decode(readFixture(t, fixture))
			require.NoError(t, err)
			body := answer{Outcomes: []string{"released"}}
			out, err := inv.Respond(http.StatusOK, body)
			require.NoError(t, err)
			assert.Equal(t, body, out)
			b, err := json.Marshal(out)
			require.NoError(t, err)
			assert.JSONEq(t, `{"outcomes":["released"]}`, string(b))

			reqErr := &Error{Code: CodeInvalidRequest, Field: "instanceIds", Message: "nothing to act on"}
			out, err = inv.RespondError(reqErr)
			assert.Nil(t, out)
			assert.Same(t, reqErr, err, "non-HTTP callers get the error itself")
		})
	}
	_, err := SourceTimer.RespondError(nil)
	assert.Error(t, err)
}

func TestRespondUnencodableBody(t *testing.T) {
	t.Parallel()
	_, err := SourceHTTP.Respond(200, map[string]any{"f": func() {}})
	assert.Error(t, err)
}

// roundTrip marshals a response value and reads it back in the wire form.
func roundTrip(t *testing.T, v any) httpAnswer {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var a httpAnswer
	require.NoError(t, json.Unmarshal(b, &a))
	return a
}
