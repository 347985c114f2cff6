package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// outcomeIn is id's outcome in an answer.
func outcomeIn(r *handler.Response, id string) handler.InstanceOutcome {
	for _, o := range r.Instances {
		if o.InstanceID == id {
			return o
		}
	}
	return handler.InstanceOutcome{}
}

// A spot instance interrupted in the emulator: the release binary gets
// the event (EventBridge form, then its CloudMonitor twin), answers with
// the receipt and starts one snapshot of the data disk the reclaim
// deletes; five minutes of emulator time later ECS has reclaimed it.
func TestSpotInterruptionUnderTheRuntime(t *testing.T) {
	t.Parallel()
	s := newStack(t, quick, map[string]string{"SPOT_SNAPSHOT": "true"})
	yes := true
	ids, err := s.add([]ecsemu.Instance{
		{InstanceName: "spot-worker", SpotStrategy: ecsemu.SpotAsPriceGo, Tags: managed(),
			Disks: &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Size: 200, Category: "cloud_essd", DeleteWithInstance: &yes}}}},
		{InstanceName: "on-demand", Tags: managed()},
	})
	require.NoError(t, err)
	var dataDisk string
	for _, d := range s.emu.Disks() {
		if d.InstanceId == ids[0] && d.Type == "data" {
			dataDisk = d.DiskId
		}
	}
	require.NotEmpty(t, dataDisk)

	var events []ecsemu.Event
	unsubscribe := s.emu.Subscribe(func(ev ecsemu.Event) { events = append(events, ev) })
	require.NoError(t, s.emu.SpotInterrupt(ids[0]))
	unsubscribe()
	require.Len(t, events, 1)
	in, ok := s.emu.Instance(ids[0])
	require.True(t, ok)
	require.NotEmpty(t, in.OperationLocks.LockReason, "the interrupted instance is locked")

	r := s.response("release", mustJSON(t, events[0]))
	require.Len(t, r.Instances, 1)
	o := r.Instances[0]
	assert.Equal(t, handler.OutcomeSkipped, o.Outcome, o.Reason)
	assert.Equal(t, handler.CodeSpotInterruption, o.Code)
	require.NotNil(t, o.Receipt)
	assert.Equal(t, request.SpotActionDelete, o.Receipt.SpotInterruption)
	assert.Len(t, o.Receipt.Disks, 2, "system and data disk")
	require.Len(t, o.Receipt.Snapshots, 1)
	assert.Equal(t, dataDisk, o.Receipt.Snapshots[0].DiskID)
	require.Len(t, o.SnapshotIDs, 1)
	snaps := s.emu.Snapshots()
	require.Len(t, snaps, 1)
	assert.Equal(t, o.SnapshotIDs[0], snaps[0].SnapshotId)
	assert.Equal(t, dataDisk, snaps[0].SourceDiskId)
	require.Len(t, s.records("release", "spot interruption receipt"), 1)

	// The CloudMonitor form of the same interruption: the same snapshot.
	again := s.response("release", mustJSON(t, events[0].CloudMonitor()))
	assert.Equal(t, o.SnapshotIDs, outcomeIn(again, ids[0]).SnapshotIDs)
	assert.Len(t, s.emu.Snapshots(), 1)
	var actions []string
	for _, c := range s.mutating() {
		actions = append(actions, c.Action)
	}
	assert.Equal(t, []string{"CreateSnapshot"}, actions, "the function takes a snapshot and nothing else")

	require.NoError(t, s.emu.Advance(ecsemu.SpotNoticePeriod))
	_, exists := s.emu.Instance(ids[0])
	assert.False(t, exists, "ECS reclaimed it")
	_, exists = s.emu.Instance(ids[1])
	assert.True(t, exists)
	require.Len(t, s.emu.Snapshots(), 1, "the snapshot outlives the instance")
}

// An HTTP call to release names instances in two regions, by ARN and by
// bare ID: each is released in its own region, in one answer; an ID found
// in no region searched is not-found.
func TestReleaseAcrossRegionsOverHTTP(t *testing.T) {
	t.Parallel()
	s := newStack(t, quick, nil)
	ids, err := s.add([]ecsemu.Instance{
		{InstanceName: "hz-1", Status: ecsemu.StatusStopped, Tags: managed()},
		{InstanceName: "bj-1", Status: ecsemu.StatusStopped, Tags: managed(), RegionId: "cn-beijing"},
		{InstanceName: "bj-2", Status: ecsemu.StatusStopped, Tags: managed(), RegionId: "cn-beijing"},
	})
	require.NoError(t, err)
	body := mustJSON(t, map[string]any{"instanceIds": []string{
		ids[0],
		ecsemu.InstanceARN("cn-beijing", ecsemu.DefaultAccountID, ids[1]),
		request.InstanceARN("cn-beijing", "1234567890123456", ids[2]),
		"i-nowhere0001",
	}, "reason": "two regions"})
	event := mustJSON(t, map[string]any{"version": "v1", "rawPath": "/release", "isBase64Encoded": false, "body": body,
		"headers": map[string]string{"Content-Type": "application/json"}, "queryParameters": map[string]string{},
		"requestContext": map[string]any{"requestId": "http-regions-1", "http": map[string]string{"method": "POST", "path": "/release", "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1"}}})
	raw, err := s.invoke("release", event)
	require.NoError(t, err)
	var httpResp fcevents.HTTPTriggerResponse
	require.NoError(t, json.Unmarshal(raw, &httpResp))
	require.Equal(t, 200, httpResp.StatusCode, httpResp.Body)
	var r handler.Response
	require.NoError(t, json.Unmarshal([]byte(httpResp.Body), &r))
	assert.Equal(t, map[string]string{ids[0]: "released", ids[1]: "released", ids[2]: "released", "i-nowhere0001": "skipped"}, outcomes(&r))
	assert.Equal(t, handler.CodeNotFound, codeOf(&r, "i-nowhere0001"))
	for _, id := range ids {
		_, exists := s.emu.Instance(id)
		assert.False(t, exists, "%s released", id)
	}
	regionOf := map[string]string{}
	for _, c := range s.mutating() {
		if c.Action != "DeleteInstances" {
			continue
		}
		for k, v := range c.Params {
			if strings.HasPrefix(k, "InstanceId.") {
				regionOf[v] = c.Params["RegionId"]
			}
		}
	}
	assert.Equal(t, map[string]string{ids[0]: region, ids[1]: "cn-beijing", ids[2]: "cn-beijing"}, regionOf, "one call per region, each in its region")

	// A malformed ARN is a 400 naming the entry, and nothing is done.
	bad := strings.Replace(event, fmt.Sprintf("acs:ecs:cn-beijing:%s:instance/", ecsemu.DefaultAccountID), "acs:ecs:cn-beijing:someone:instance/", 1)
	raw, err = s.invoke("release", bad)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &httpResp))
	assert.Equal(t, 400, httpResp.StatusCode)
	var e request.ErrorBody
	require.NoError(t, json.Unmarshal([]byte(httpResp.Body), &e))
	assert.Equal(t, request.CodeInvalidRequest, e.Error.Code)
	assert.Equal(t, "body.instanceIds[1]", e.Error.Field)
}
