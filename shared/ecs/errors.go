package ecs

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// Error classes. Every error this package returns for an ECS answer wraps
// exactly one of them, so callers decide with errors.Is and never look at
// message text.
var (
	ErrNotFound           = errors.New("not found")
	ErrIncorrectStatus    = errors.New("incorrect instance status")
	ErrDeletionProtection = errors.New("deletion protection is on")
	ErrChargeType         = errors.New("charge type does not allow this")
	ErrLocked             = errors.New("instance is locked")
	ErrThrottled          = errors.New("throttled")
	ErrInvalidParameter   = errors.New("invalid parameter")
	ErrAuth               = errors.New("authentication or authorization failed")
	ErrServer             = errors.New("ECS server error")
	ErrTransport          = errors.New("transport error")
	ErrSnapshotFailed     = errors.New("snapshot failed")
	// ErrDeadline: too little time is left before the invocation deadline
	// to start (or retry) a call. The work is unfinished, not failed.
	ErrDeadline = errors.New("invocation deadline reached")
	ErrOther    = errors.New("ECS error")
)

// codeClass is the one table from ECS error codes to classes. Prefix
// entries end in "*".
var codeClass = map[string]error{
	"InvalidInstanceId.NotFound":           ErrNotFound,
	"NoSuchResource":                       ErrNotFound,
	"InvalidDiskId.NotFound":               ErrNotFound,
	"InvalidSnapshotId.NotFound":           ErrNotFound,
	"InvalidResourceId.NotFound":           ErrNotFound,
	"IncorrectInstanceStatus":              ErrIncorrectStatus,
	"IncorrectInstanceStatus.Initializing": ErrIncorrectStatus,
	"IncorrectDiskStatus*":                 ErrIncorrectStatus,
	"InstanceNotReady":                     ErrIncorrectStatus,
	"InvalidOperation.DeletionProtection":  ErrDeletionProtection,
	"ChargeTypeViolation":                  ErrChargeType,
	"InvalidInstanceId.NotSupport":         ErrChargeType,
	"InstanceLockedForSecurity":            ErrLocked,
	"InstanceExpiredOrInArrears":           ErrLocked,
	"Throttling*":                          ErrThrottled,
	"ServiceUnavailable":                   ErrServer,
	"InternalError":                        ErrServer,
	"OperationConflict":                    ErrThrottled, // "denied due to conflict with a previous request": retry later
	"InvalidParameter*":                    ErrInvalidParameter,
	"InvalidParamater":                     ErrInvalidParameter,
	"MissingParameter*":                    ErrInvalidParameter,
	"InvalidAutoReleaseTime.Malformed":     ErrInvalidParameter,
	"IdempotentParameterMismatch":          ErrInvalidParameter,
	"UnsupportedParameter":                 ErrInvalidParameter,
	"InvalidAccessKeyId*":                  ErrAuth,
	"SignatureDoesNotMatch":                ErrAuth,
	"IncompleteSignature":                  ErrAuth,
	"SignatureNonceUsed":                   ErrAuth,
	"InvalidTimeStamp*":                    ErrAuth,
	"Forbidden*":                           ErrAuth,
	"InvalidSecurityToken*":                ErrAuth,
	"MissingSecurityToken":                 ErrAuth,
	"NoPermission*":                        ErrAuth,
}

// classOf maps an ECS code (and HTTP status, 0 if unknown) to its class.
func classOf(code string, status int) error {
	if c, ok := codeClass[code]; ok {
		return c
	}
	for k, c := range codeClass {
		if strings.HasSuffix(k, "*") && strings.HasPrefix(code, strings.TrimSuffix(k, "*")) {
			return c
		}
	}
	if status >= 500 {
		return ErrServer
	}
	return ErrOther
}

// APIError is an ECS failure for one action (and, for per-instance batch
// results, one instance).
type APIError struct {
	Action     string
	InstanceID string // set when the error belongs to one instance
	Code       string
	Message    string
	RequestID  string
	HTTPStatus int
	class      error
	cause      error
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("ecs ")
	b.WriteString(e.Action)
	if e.InstanceID != "" {
		b.WriteString(" ")
		b.WriteString(e.InstanceID)
	}
	b.WriteString(": ")
	b.WriteString(e.class.Error())
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s", e.Code)
		if e.HTTPStatus != 0 {
			fmt.Fprintf(&b, ", HTTP %d", e.HTTPStatus)
		}
		b.WriteString(")")
	}
	// Only Message, never the cause's own text: Message is what was
	// masked (the SDK's errors carry response headers and raw bodies).
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request %s]", e.RequestID)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and the like work.
func (e *APIError) Is(target error) bool { return target == e.class }

// Unwrap returns the SDK or transport error behind it.
func (e *APIError) Unwrap() error { return e.cause }

// Class returns the sentinel the error belongs to.
func (e *APIError) Class() error { return e.class }

// classify turns whatever the SDK returned into an *APIError.
func classify(action string, err error) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return err
	}
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return &APIError{Action: action, Code: se.ErrorCode(), Message: firstLine(se.Message()), RequestID: se.RequestId(), HTTPStatus: se.HttpStatus(), class: classOf(se.ErrorCode(), se.HttpStatus()), cause: err}
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		class := ErrTransport
		switch ce.ErrorCode() {
		case "SDK.InvalidParam", "SDK.CanNotResolveEndpoint", "SDK.UnsupportedCredential":
			class = ErrInvalidParameter
		}
		return &APIError{Action: action, Code: ce.ErrorCode(), Message: firstLine(ce.Message()), class: class, cause: err}
	}
	// Anything else (*url.Error: timeouts, refused connections) is transport.
	// The URL is left out: its query holds the signature and any token.
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Op + " " + hostOf(ue.URL) + ": " + ue.Err.Error()
	}
	return &APIError{Action: action, Message: msg, class: ErrTransport, cause: err}
}

// instanceError builds the error of one instance's per-instance result.
func instanceError(action, instanceID, code, message, requestID string) error {
	return &APIError{Action: action, InstanceID: instanceID, Code: code, Message: message, RequestID: requestID, class: classOf(code, 0)}
}

// forInstance copies err as the error of one instance in a batch.
func forInstance(err error, instanceID string) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	cp := *ae
	cp.InstanceID = instanceID
	return &cp
}

// Retryable reports whether err is worth retrying: throttling, 5xx and
// transport failures.
// ErrDeadline is not in the list: the invocation ends and FC's retry of
// the request picks the work up again.
func Retryable(err error) bool {
	return errors.Is(err, ErrThrottled) || errors.Is(err, ErrServer) || errors.Is(err, ErrTransport)
}

// Code returns the ECS error code in err, or "".
func Code(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// firstLine keeps the first line of an SDK message and drops a server
// string to sign (it carries the AccessKeyId and any SecurityToken).
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Scheme + "://" + u.Host
	}
	return "(endpoint)"
}

func firstLine(s string) string {
	if i := strings.Index(s, "string to sign is:"); i >= 0 {
		s = s[:i] + "string to sign is: (redacted)"
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// maxMessage bounds an error message; it is cut after secrets are masked
// (a cut through a secret would leave part of it), on a rune boundary.
const maxMessage = 300

func shorten(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
