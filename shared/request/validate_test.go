package request

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateFor(t *testing.T) {
	t.Parallel()
	ids := []string{"i-abc"}
	sel := &Selector{Tags: map[string]string{"env": "ci"}}
	cases := []struct {
		name  string
		req   Request
		fn    Function
		field string // "" = valid
	}{
		{"stop ids", Request{InstanceIDs: ids}, Stop, ""},
		{"stop selector then release with snapshot", Request{Selector: sel, Then: ThenRelease, Snapshot: true}, Stop, ""},
		{"stop nothing", Request{}, Stop, "instanceIds"},
		{"stop force", Request{InstanceIDs: ids, Force: true}, Stop, "force"},
		{"stop snapshot without then", Request{InstanceIDs: ids, Snapshot: true}, Stop, "snapshot"},
		{"stop after", Request{InstanceIDs: ids, After: "1h"}, Stop, "after"},
		{"stop sweep", Request{InstanceIDs: ids, Sweep: true}, Stop, "sweep"},
		{"release ids force snapshot", Request{InstanceIDs: ids, Force: true, Snapshot: true, KeepOnFailure: true}, Release, ""},
		{"release then", Request{InstanceIDs: ids, Then: ThenRelease}, Release, "then"},
		{"release cancel", Request{InstanceIDs: ids, Cancel: true}, Release, "cancel"},
		{"release nothing", Request{Reason: "x"}, Release, "instanceIds"},
		{"autorelease time", Request{InstanceIDs: ids, AutoReleaseTime: "2026-12-01T08:00:00Z"}, AutoRelease, ""},
		{"autorelease after", Request{Selector: sel, After: "3h"}, AutoRelease, ""},
		{"autorelease cancel", Request{InstanceIDs: ids, Cancel: true}, AutoRelease, ""},
		{"autorelease none", Request{InstanceIDs: ids}, AutoRelease, "autoReleaseTime"},
		{"autorelease two", Request{InstanceIDs: ids, After: "3h", Cancel: true}, AutoRelease, "cancel"},
		{"autorelease sweep alone", Request{Sweep: true}, AutoRelease, ""},
		{"autorelease sweep with after", Request{Sweep: true, After: "1h"}, AutoRelease, "after"},
		{"autorelease stoppedMode", Request{InstanceIDs: ids, Cancel: true, StoppedMode: StoppedModeStopCharging}, AutoRelease, "stoppedMode"},
		{"autorelease nothing", Request{Cancel: true}, AutoRelease, "instanceIds"},
		{"field check first", Request{InstanceIDs: []string{"x"}}, Release, "instanceIds[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.req.ValidateFor(tc.fn)
			if tc.field == "" {
				assert.NoError(t, err)
				return
			}
			requireCode(t, err, CodeInvalidRequest, tc.field)
		})
	}
	assert.Error(t, Request{InstanceIDs: ids}.ValidateFor("nope"))
}

func TestAccessors(t *testing.T) {
	t.Parallel()
	r := Request{After: "90m", AutoReleaseTime: "2026-12-01T08:00:00Z", DryRun: new(true),
		Selector: &Selector{OlderThan: "4h"}}
	assert.Equal(t, 90*time.Minute, r.AfterDuration())
	at, ok := r.AutoReleaseAt()
	require.True(t, ok)
	assert.Equal(t, time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), at)
	assert.True(t, r.IsDryRun())
	assert.Equal(t, 4*time.Hour, r.Selector.OlderThanDuration())
	assert.Equal(t, ChargeTypePostPaid, r.Selector.EffectiveChargeType())
	assert.True(t, r.HasTargets())

	var zero Request
	assert.Zero(t, zero.AfterDuration())
	_, ok = zero.AutoReleaseAt()
	assert.False(t, ok)
	assert.False(t, zero.IsDryRun())
	assert.False(t, Request{DryRun: new(false)}.IsDryRun())
	_, ok = Request{AutoReleaseTime: "2026-12-01T08:00:00+08:00"}.AutoReleaseAt()
	assert.False(t, ok, "non-UTC offsets are not accepted")
}

func TestJobOutcome(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status string
		want   JobOutcome
		keep   bool // KeepAfterStop with KeepOnFailure set
	}{
		{"", JobNone, false},
		{"succeeded", JobSucceeded, false},
		{"Completed", JobSucceeded, false},
		{"failed", JobFailed, true},
		{"TIMED_OUT", JobFailed, true},
		{"cancelled", JobFailed, true},
		{"weird", JobUnknown, true},
	}
	for _, tc := range cases {
		t.Run(tc.status, func(t *testing.T) {
			t.Parallel()
			r := Request{JobStatus: tc.status}
			assert.Equal(t, tc.want, r.JobOutcome())
			assert.False(t, r.KeepAfterStop(), "without keepOnFailure nothing is kept")
			r.KeepOnFailure = true
			assert.Equal(t, tc.keep, r.KeepAfterStop())
		})
	}
}

// A Request survives JSON: what stop puts in `next` is what release decodes.
func TestRequestRoundTrip(t *testing.T) {
	t.Parallel()
	in := Request{
		Region: "cn-hangzhou", InstanceIDs: []string{"i-abc", "i-def"},
		Selector:    &Selector{Tags: map[string]string{"env": "*"}, Name: "ci-*", Status: []string{"Stopped"}, OlderThan: "1h", Expired: true, ChargeType: ChargeTypePostPaid},
		StoppedMode: StoppedModeStopCharging, ForceStop: true, Snapshot: true, Then: ThenRelease, KeepOnFailure: true,
		DryRun: new(false), MaxInstances: 7, Reason: "why <&>", OriginRequestID: "1-abc", JobStatus: "failed",
	}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	inv, err := Decode(b)
	require.NoError(t, err)
	assert.Equal(t, SourceDirect, inv.Source)
	assert.Equal(t, []Request{in}, inv.Requests)

	b2, err := json.Marshal(inv.Requests[0])
	require.NoError(t, err)
	assert.JSONEq(t, string(b), string(b2))
}

func TestErrorType(t *testing.T) {
	t.Parallel()
	e := &Error{Code: CodeInvalidRequest, Field: "instanceIds[3]", Message: "bad"}
	assert.Equal(t, "instanceIds[3]: bad", e.Error())
	assert.Equal(t, 400, e.HTTPStatus())
	assert.Equal(t, 405, (&Error{Code: CodeMethodNotAllowed}).HTTPStatus())
	assert.Equal(t, 413, (&Error{Code: CodePayloadTooLarge, Message: "big"}).HTTPStatus())
	assert.Equal(t, "big", (&Error{Code: CodePayloadTooLarge, Message: "big"}).Error())

	wrapped := wrap(e)
	got, ok := AsError(wrapped)
	require.True(t, ok)
	assert.Same(t, e, got)
	_, ok = AsError(assert.AnError)
	assert.False(t, ok)
}

func wrap(err error) error { return &wrapper{err} }

type wrapper struct{ err error }

func (w *wrapper) Error() string { return "outer: " + w.err.Error() }
func (w *wrapper) Unwrap() error { return w.err }
