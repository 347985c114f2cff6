package request

import (
	"errors"
	"net/http"
)

// Error codes carried by *Error.
const (
	// CodeInvalidRequest: the event was recognised but a field is missing,
	// malformed or not allowed (HTTP 400).
	CodeInvalidRequest = "InvalidRequest"
	// CodeUnsupportedEvent: the payload matches none of the known shapes, or
	// names an event type this package does not act on (HTTP 400).
	CodeUnsupportedEvent = "UnsupportedEvent"
	// CodePayloadTooLarge: the payload exceeds MaxPayloadBytes (HTTP 413).
	CodePayloadTooLarge = "PayloadTooLarge"
	// CodeMethodNotAllowed: an HTTP method other than GET, POST or PUT, or a
	// status query sent to a function that does not answer one (HTTP 405).
	CodeMethodNotAllowed = "MethodNotAllowed"
	// CodeNothingHandedOver: a destination record of a successful
	// invocation whose answer carries no next. The receiver should treat
	// it as "nothing to do" and succeed, so FC does not retry it.
	CodeNothingHandedOver = "NothingHandedOver"
)

// Error is a request-level error: the caller sent something this package
// refuses. Field is the JSON path of the offending value inside the event
// (e.g. "body.instanceIds[3]", "[2].data.status"); it is empty when the
// problem is the payload as a whole.
type Error struct {
	Code    string
	Field   string
	Message string
}

// Error renders "field: message", or just the message when no field applies.
func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// HTTPStatus maps the code to the status an HTTP caller receives.
func (e *Error) HTTPStatus() int {
	switch e.Code {
	case CodePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	default:
		return http.StatusBadRequest
	}
}

// AsError reports whether err is (or wraps) a request-level *Error.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

func invalid(field, msg string) *Error {
	return &Error{Code: CodeInvalidRequest, Field: field, Message: msg}
}

func unsupported(field, msg string) *Error {
	return &Error{Code: CodeUnsupportedEvent, Field: field, Message: msg}
}

// within re-roots err under prefix: "body" + "instanceIds[3]" → "body.instanceIds[3]".
// Errors that are not *Error are returned unchanged.
func within(prefix string, err error) error {
	e, ok := AsError(err)
	if !ok || prefix == "" {
		return err
	}
	return &Error{Code: e.Code, Field: joinPath(prefix, e.Field), Message: e.Message}
}

func joinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case field[0] == '[':
		return prefix + field
	default:
		return prefix + "." + field
	}
}

// IsNothingHandedOver reports whether err is a destination record that
// handed nothing on (see CodeNothingHandedOver).
func IsNothingHandedOver(err error) bool {
	e, ok := AsError(err)
	return ok && e.Code == CodeNothingHandedOver
}
