package request

import (
	"github.com/aws/aws-lambda-go/events"
)

// decodeAPIGatewayV2 reads an API Gateway HTTP API (payload 2.0) event.
func decodeAPIGatewayV2(raw []byte) (*Invocation, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := looseUnmarshal(raw, &ev); err != nil {
		return nil, err
	}
	rc := ev.RequestContext
	return decodeHTTPEvent(httpEvent{
		source: SourceAPIGatewayV2,
		info: HTTPInfo{
			Method: rc.HTTP.Method, Path: pathOr(rc.HTTP.Path, ev.RawPath), Query: ev.QueryStringParameters,
			Headers: ev.Headers, RequestID: rc.RequestID, SourceIP: rc.HTTP.SourceIP,
		},
		body:       ev.Body,
		base64:     ev.IsBase64Encoded,
		queryField: "queryStringParameters",
	})
}

// decodeFunctionURL reads a Lambda function URL event.
func decodeFunctionURL(raw []byte) (*Invocation, error) {
	var ev events.LambdaFunctionURLRequest
	if err := looseUnmarshal(raw, &ev); err != nil {
		return nil, err
	}
	rc := ev.RequestContext
	return decodeHTTPEvent(httpEvent{
		source: SourceFunctionURL,
		info: HTTPInfo{
			Method: rc.HTTP.Method, Path: pathOr(rc.HTTP.Path, ev.RawPath), Query: ev.QueryStringParameters,
			Headers: ev.Headers, RequestID: rc.RequestID, SourceIP: rc.HTTP.SourceIP,
		},
		body:       ev.Body,
		base64:     ev.IsBase64Encoded,
		queryField: "queryStringParameters",
	})
}

func pathOr(path, fallback string) string {
	if path == "" {
		return fallback
	}
	return path
}
