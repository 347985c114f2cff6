package handler_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// threeRegions adds a stopped instance in each of cn-hangzhou (the
// deployment's and the function's region), cn-beijing and cn-shanghai.
func threeRegions(t *testing.T, w *world) (hangzhou, beijing, shanghai string) {
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{CreationTime: old(w), StartTime: old(w), Status: ecsemu.StatusStopped},
		ecsemu.Instance{CreationTime: old(w), StartTime: old(w), Status: ecsemu.StatusStopped, RegionId: "cn-beijing"},
		ecsemu.Instance{CreationTime: old(w), StartTime: old(w), Status: ecsemu.StatusStopped, RegionId: "cn-shanghai"},
	)
	return ids[0], ids[1], ids[2]
}

// regionOfCalls maps each instance a mutating call named to the RegionId
// the call was sent with.
func regionOfCalls(w *world, action string) map[string]string {
	out := map[string]string{}
	for _, c := range w.Env.Emu.MutatingCalls() {
		if c.Action != action {
			continue
		}
		for k, v := range c.Params {
			if k == "InstanceId" || len(k) > len("InstanceId.") && k[:len("InstanceId.")] == "InstanceId." {
				out[v] = c.Params["RegionId"]
			}
		}
	}
	return out
}

// One request names instances in three regions, by ARN and bare: each is
// looked up where its ARN says, then in the request's region, then in the
// function's; it is released through its own region's client; the one
// found nowhere is not-found, naming every region searched.
func TestOneRequestAcrossRegions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	hz, bj, sh := threeRegions(t, w)
	missing := "i-missing0001"
	body := fmt.Sprintf(`{"region":"cn-shanghai","instanceIds":[%q,%q,%q,%q]}`,
		hz, request.InstanceARN("cn-beijing", "1234567890123456", bj), sh, missing)
	resp, err := w.invoke(handler.NewRelease(w.Deps()), body)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{hz: "released", bj: "released", sh: "released", missing: "skipped"}, outcomes(resp))
	for _, o := range resp.Instances {
		assert.Zero(t, o.Request, "one request: no request numbers (%s)", o.InstanceID)
	}
	nf := outcomeOf(resp, missing)
	assert.Equal(t, handler.CodeNotFound, nf.Code)
	assert.Contains(t, nf.Reason, "cn-shanghai", "every region searched is named")
	assert.Contains(t, nf.Reason, "cn-hangzhou")
	assert.Equal(t, map[string]string{hz: "cn-hangzhou", bj: "cn-beijing", sh: "cn-shanghai"}, regionOfCalls(w, "DeleteInstances"),
		"each released through its region")
	assert.Equal(t, 1, resp.Summary.Counts["skipped"])
	assert.Equal(t, 3, resp.Summary.Counts["released"])
}

// Stop hands each region's part over on its own, with that region; release
// takes them all.
func TestHandOverAcrossRegions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second}, nil)
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{CreationTime: old(w), StartTime: old(w)},
		ecsemu.Instance{CreationTime: old(w), StartTime: old(w), RegionId: "cn-beijing"},
	)
	body := fmt.Sprintf(`{"instanceIds":[%q,%q],"then":"release","reason":"two regions"}`, ids[0], request.InstanceARN("cn-beijing", "1", ids[1]))
	stop, err := w.invoke(handler.NewStop(w.Deps()), body)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[0]: "stopping", ids[1]: "stopping"}, outcomes(stop))
	require.Len(t, stop.Next, 2, "one hand-over per region")
	regions := map[string][]string{}
	for _, n := range stop.Next {
		regions[n.Region] = n.InstanceIDs
		assert.Equal(t, "two regions", n.Reason)
	}
	assert.Equal(t, map[string][]string{"cn-hangzhou": {ids[0]}, "cn-beijing": {ids[1]}}, regions)

	rel, err := w.invoke(handler.NewRelease(w.Deps()), destinationRecord(t, stop, false))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{ids[0]: "released", ids[1]: "released"}, outcomes(rel))
	assert.False(t, exists(w, ids[0]))
	assert.False(t, exists(w, ids[1]))
}

// The cap counts a request's instances across its regions; an instance
// named by two requests in two ways is one instance.
func TestCapAndDuplicatesAcrossRegions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	hz, bj, sh := threeRegions(t, w)
	arn := func(region, id string) string { return request.InstanceARN(region, "1", id) }

	_, err := w.invoke(handler.NewRelease(w.Deps()), fmt.Sprintf(`{"maxInstances":2,"instanceIds":[%q,%q,%q]}`, hz, arn("cn-beijing", bj), arn("cn-shanghai", sh)))
	e, ok := request.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, handler.CodeCapExceeded, e.Code)
	assert.Empty(t, w.Env.Emu.MutatingCalls(), "a refusal touches nothing")

	batch := "[" + mustJSON(t, cloudEvent("a", fmt.Sprintf(`{"instanceIds":[%q]}`, arn("cn-beijing", bj)))) + "," +
		mustJSON(t, cloudEvent("b", fmt.Sprintf(`{"region":"cn-beijing","instanceIds":[%q,%q]}`, bj, hz))) + "]"
	resp, err := w.invoke(handler.NewRelease(w.Deps()), batch)
	require.NoError(t, err)
	byRequest := map[string]string{}
	for _, o := range resp.Instances {
		byRequest[fmt.Sprintf("%d:%s", o.Request, o.InstanceID)] = o.Outcome + "/" + o.Code
	}
	assert.Equal(t, map[string]string{
		"1:" + bj: "released/",
		"2:" + bj: "skipped/" + handler.CodeDuplicate,
		"2:" + hz: "released/",
	}, byRequest, "request 2 finds hz in the function's region after its own")
	assert.True(t, exists(w, sh))
}

// Autorelease follows the same rule: a time set through the instance's
// region, and the status query reads it there.
func TestAutoReleaseAcrossRegions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ecsemu.Options{}, nil)
	hz, bj, _ := threeRegions(t, w)
	arn := request.InstanceARN("cn-beijing", "1", bj)
	resp, err := w.invoke(handler.NewAutoRelease(w.Deps()), fmt.Sprintf(`{"after":"2h","instanceIds":[%q,%q]}`, hz, arn))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{hz: "auto-release-set", bj: "auto-release-set"}, outcomes(resp))
	assert.Equal(t, "cn-beijing", regionOfCalls(w, "ModifyInstanceAutoReleaseTime")[bj])
	in, _ := w.Env.Emu.Instance(bj)
	assert.NotEmpty(t, in.AutoReleaseTime)

	r := w.Handle(handler.NewAutoRelease(w.Deps()), handlertest.FCHTTPEvent(t, "GET", "/autorelease", "", map[string]string{"instanceId": arn}), handlertest.Call{})
	require.NoError(t, r.Err)
	status := handlertest.HTTPResponse(t, r.Out)
	assert.Equal(t, map[string]string{bj: "status"}, outcomes(status))
	assert.NotEmpty(t, outcomeOf(status, bj).AutoReleaseTime, "read in its region")
}
