package ecs

import (
	"errors"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCodeClasses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code   string
		status int
		class  error
	}{
		{"InvalidInstanceId.NotFound", 404, ErrNotFound},
		{"NoSuchResource", 404, ErrNotFound},
		{"IncorrectInstanceStatus", 403, ErrIncorrectStatus},
		{"IncorrectInstanceStatus.Initializing", 403, ErrIncorrectStatus},
		{"IncorrectDiskStatus.CreatingSnapshot", 403, ErrIncorrectStatus},
		{"InvalidOperation.DeletionProtection", 403, ErrDeletionProtection},
		{"ChargeTypeViolation", 403, ErrChargeType},
		{"InstanceLockedForSecurity", 403, ErrLocked},
		{"Throttling", 400, ErrThrottled},
		{"Throttling.User", 400, ErrThrottled},
		{"Throttling.Api", 400, ErrThrottled},
		{"InvalidParameter.ToManyInstanceIds", 403, ErrInvalidParameter},
		{"MissingParameter", 400, ErrInvalidParameter},
		{"InvalidAutoReleaseTime.Malformed", 400, ErrInvalidParameter},
		{"InvalidAccessKeyId.NotFound", 404, ErrAuth},
		{"SignatureDoesNotMatch", 400, ErrAuth},
		{"Forbidden.RAM", 403, ErrAuth},
		{"InternalError", 500, ErrServer},
		{"ServiceUnavailable", 503, ErrServer},
		{"", 502, ErrServer},
		{"SomethingNew", 400, ErrOther},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			assert.Equal(t, tc.class, classOf(tc.code, tc.status))
			err := instanceError("StopInstances", "i-a", tc.code, "m", "r")
			if tc.status >= 500 && tc.code == "" {
				return
			}
			assert.ErrorIs(t, err, tc.class)
		})
	}
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	assert.True(t, Retryable(&APIError{class: ErrThrottled}))
	assert.True(t, Retryable(&APIError{class: ErrServer}))
	assert.True(t, Retryable(classify("DescribeInstances", &url.Error{Op: "Post", URL: "http://h/?SecurityToken=tok", Err: errors.New("connection refused")})))
	assert.False(t, Retryable(&APIError{class: ErrNotFound}))
	assert.False(t, Retryable(&APIError{class: ErrDeadline}))
	err := classify("DescribeInstances", &url.Error{Op: "Post", URL: "http://h:1/?SecurityToken=tok&Signature=x", Err: errors.New("connection refused")})
	assert.NotContains(t, err.Error(), "tok")
	assert.Contains(t, err.Error(), "http://h:1")
}
