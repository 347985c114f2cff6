package request

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An HTTP-triggered stop sent with X-Fc-Invocation-Type: Async answers in
// the HTTP trigger's shape; its onSuccess record must still hand over the
// `next` inside the body.
func TestDestinationRecordOfAnHTTPShapedAnswer(t *testing.T) {
	t.Parallel()
	answer := `{"requestId":"r-1","instances":[],"summary":{},"next":{"instanceIds":["i-abc123"],"originRequestId":"r-1"}}`
	record := func(payload any) []byte {
		raw, err := json.Marshal(map[string]any{
			"timestamp":       1,
			"requestContext":  map[string]any{"requestId": "r-1"},
			"responseContext": map[string]any{"statusCode": 200, "functionError": ""},
			"responsePayload": payload,
		})
		require.NoError(t, err)
		return raw
	}
	httpShaped := map[string]any{"statusCode": 200, "headers": map[string]string{"Content-Type": "application/json"}, "isBase64Encoded": false, "body": answer}
	asString, _ := json.Marshal(httpShaped)
	b64 := map[string]any{"statusCode": 200, "isBase64Encoded": true, "body": base64.StdEncoding.EncodeToString([]byte(answer))}
	for name, payload := range map[string]any{"inline": httpShaped, "string": string(asString), "base64 body": b64} {
		t.Run(name, func(t *testing.T) {
			inv, err := Decode(record(payload))
			require.NoError(t, err)
			assert.Equal(t, []string{"i-abc123"}, inv.Requests[0].InstanceIDs)
		})
	}
	failed := map[string]any{"statusCode": 400, "body": `{"error":{"code":"InvalidRequest","message":"x"}}`}
	_, err := Decode(record(failed))
	require.Error(t, err, "an HTTP 4xx answer hands nothing over")
	assert.True(t, IsNothingHandedOver(err))
}
