package request

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	awsevents "github.com/aws/aws-lambda-go/events"
)

// ErrorBody is the JSON body of an HTTP error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes the error in an ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// CodeInternalError is the code of an HTTP answer to an error that is not a
// request-level *Error.
const CodeInternalError = "InternalError"

// IsHTTP reports whether the source expects an HTTP response object.
func (s Source) IsHTTP() bool {
	return s == SourceHTTP || s == SourceAPIGatewayV2 || s == SourceFunctionURL
}

// Respond answers in the caller's shape. HTTP sources get their response
// struct (events.HTTPTriggerResponse, APIGatewayV2HTTPResponse or
// LambdaFunctionURLResponse) with body encoded as JSON (nil body = empty
// body; status 0 = 200). Every other source gets body as it is; status is
// then ignored (use RespondError to fail an invocation).
func (s Source) Respond(status int, body any) (any, error) {
	if !s.IsHTTP() {
		return body, nil
	}
	return s.httpResponse(status, body, nil)
}

// RespondError answers err in the caller's shape. HTTP sources always get a
// response and a nil error (so FC does not retry a bad request): a request
// *Error gets its HTTPStatus, anything else 500 InternalError, both with an
// ErrorBody. Every other source gets err back as the Go error, failing the
// invocation with its message.
func (s Source) RespondError(err error) (any, error) {
	if err == nil {
		err = errors.New("request: RespondError called with a nil error")
	}
	if !s.IsHTTP() {
		return nil, err
	}
	status, detail := http.StatusInternalServerError, ErrorDetail{Code: CodeInternalError, Message: err.Error()}
	var headers map[string]string
	if e, ok := AsError(err); ok {
		status, detail = e.HTTPStatus(), ErrorDetail{Code: e.Code, Field: e.Field, Message: e.Error()}
		if e.Code == CodeMethodNotAllowed {
			headers = map[string]string{"Allow": "GET, POST, PUT"}
		}
	}
	return s.httpResponse(status, ErrorBody{Error: detail}, headers)
}

// Respond answers in the invocation's shape; see Source.Respond.
func (inv *Invocation) Respond(status int, body any) (any, error) {
	return inv.Source.Respond(status, body)
}

// RespondError answers err in the invocation's shape; see Source.RespondError.
func (inv *Invocation) RespondError(err error) (any, error) { return inv.Source.RespondError(err) }

func (s Source) httpResponse(status int, body any, extra map[string]string) (any, error) {
	if status == 0 {
		status = http.StatusOK
	}
	text := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("request: encode response body: %w", err)
		}
		text = string(b)
	}
	headers := map[string]string{"Content-Type": "application/json"}
	maps.Copy(headers, extra)
	switch s {
	case SourceAPIGatewayV2:
		return awsevents.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: text}, nil
	case SourceFunctionURL:
		return awsevents.LambdaFunctionURLResponse{StatusCode: status, Headers: headers, Body: text}, nil
	default:
		return fcevents.HTTPTriggerResponse{StatusCode: status, Headers: headers, Body: text}, nil
	}
}
