package ecsemu_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// The shape check: every success answer of every served action, taken raw
// off the wire, must decode strictly (json.Decoder.DisallowUnknownFields)
// into the v7 SDK's response body model of that action. The models' json
// tags are the documented wire names and their Go types the documented
// JSON types, so this fails on an undocumented field and on a field of the
// wrong JSON type (a number where a string is documented, ...).
//
// Then the documented fields the emulator leaves out are listed and
// compared with an explicit allowlist per answer (notProduced below): a
// field that stops being produced fails the test, and so does an
// allowlisted field the emulator starts producing (take it off the list).
// Paths are dotted JSON names; "[]" marks a list element; a missing
// object is listed once, without its fields.

// confShapeFixture is the world the shape calls run in.
type confShapeFixture struct {
	env *ecsemutest.Env
	// sysDisk and dataDisk are the disks of i-shape1.
	sysDisk, dataDisk string
}

// confShapeCase is one raw call and its documented answer model.
type confShapeCase struct {
	name   string
	action string
	params func(f *confShapeFixture) map[string]string
	// model is a zero value of the v7 response body type.
	model any
	// notProduced lists the documented fields the emulator does not write
	// in this answer, each with the reason.
	notProduced []string
}

func confShapeFleet() []ecsemu.Instance {
	return []ecsemu.Instance{
		{
			InstanceId: "i-shape1", InstanceName: "shape-1", Description: "the richest instance",
			SpotStrategy: ecsemu.SpotWithPriceLimit, SpotPriceLimit: 0.98,
			Tags:            confTagSet("env", "prod", "team", "core"),
			PublicIpAddress: ecsemu.IPSet{IpAddress: []string{"47.96.1.2"}},
			EipAddress:      ecsemu.EipAddress{AllocationId: "eip-shape1", IpAddress: "47.96.1.3", Bandwidth: 5, InternetChargeType: "PayByTraffic"},
			AutoReleaseTime: "2026-11-27T12:00:00Z",
			Disks:           &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Size: 100, DiskName: "data-1"}}},
		},
		{
			InstanceId: "i-shape2", InstanceName: "shape-2", Status: ecsemu.StatusStopped, InstanceChargeType: ecsemu.PrePaid,
			OperationLocks: ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security", LockMsg: "held for review"}}},
		},
		{InstanceId: "i-shape3"},
		{InstanceId: "i-shape4", Status: ecsemu.StatusStopped},
		{InstanceId: "i-shape5", Status: ecsemu.StatusStopped},
		{InstanceId: "i-shape6"},
		{InstanceId: "i-shape7"},
	}
}

// The documented fields the emulator does not write, by answer. Each entry
// says why; keep the lists sorted as the test prints them.
var (
	// confNotProducedInstance are the fields of a DescribeInstances instance
	// the emulator does not model.
	confNotProducedInstance = []string{
		"Instances.Instance[].AdditionalInfo",                                                                   // high-density mode: not modelled
		"Instances.Instance[].ClockOptions",                                                                     // PTP clock: not modelled
		"Instances.Instance[].ClusterId",                                                                        // deprecated (classic clusters)
		"Instances.Instance[].CpuOptions.EnableVISST",                                                           // only CoreCount and ThreadsPerCore are modelled
		"Instances.Instance[].CpuOptions.EnableVRDT",                                                            // ditto
		"Instances.Instance[].CpuOptions.Numa",                                                                  // ditto
		"Instances.Instance[].CpuOptions.TopologyType",                                                          // ditto
		"Instances.Instance[].CpuOptions.TurboMode",                                                             // ditto
		"Instances.Instance[].DeploymentSetGroupNo",                                                             // no deployment sets (DeploymentSetId is "")
		"Instances.Instance[].EipAddress.IsSupportUnassociate",                                                  // EIP association rules: not modelled
		"Instances.Instance[].EnableNVS",                                                                        // not modelled
		"Instances.Instance[].ISP",                                                                              // edge-zone ISPs: not modelled
		"Instances.Instance[].ImageOptions",                                                                     // image options: not modelled
		"Instances.Instance[].MetadataOptions.HttpPutResponseHopLimit",                                          // only HttpEndpoint and HttpTokens are modelled
		"Instances.Instance[].NetworkInterfaces.NetworkInterface[].Ipv4PrefixSets",                              // no IP prefixes
		"Instances.Instance[].NetworkInterfaces.NetworkInterface[].Ipv6PrefixSets",                              // no IPv6
		"Instances.Instance[].NetworkInterfaces.NetworkInterface[].Ipv6Sets",                                    // no IPv6
		"Instances.Instance[].NetworkInterfaces.NetworkInterface[].PrivateIpSets.PrivateIpSet[].PrivateDnsName", // private DNS names: not modelled
		"Instances.Instance[].PrivateDnsNameOptions",                                                            // ditto
		"Instances.Instance[].SaleCycle",                                                                        // only with NeedSaleCycle, which is refused
		"Instances.Instance[].VlanId",                                                                           // classic-network VLANs: not modelled
	}
	// confNotProducedTokenPage: in NextToken mode the emulator leaves out
	// PageNumber and PageSize (what ECS writes there is undocumented).
	confNotProducedTokenPage = []string{"PageNumber", "PageSize"}
	confNotProducedAttribute = []string{
		"ClusterId",               // deprecated (classic clusters)
		"EnableNetworkEncryption", // in-transit encryption: not modelled
		"NetworkOptions",          // ditto (and jumbo frames, bandwidth weighting)
		"VlanId",                  // classic-network VLANs: not modelled
	}
	confNotProducedDisk = []string{
		"Disks.Disk[].BdfId",                                         // PCI BDF of the disk: not modelled
		"Disks.Disk[].BurstingEnabled",                               // ESSD AutoPL bursting: not modelled
		"Disks.Disk[].IOPSRead",                                      // only the total IOPS is modelled
		"Disks.Disk[].IOPSWrite",                                     // ditto
		"Disks.Disk[].MountInstanceNum",                              // multi-attach: not modelled (Attachments are written)
		"Disks.Disk[].MountInstances",                                // ditto
		"Disks.Disk[].OperationLocks.OperationLock[] (always empty)", // disks are never locked
		"Disks.Disk[].Placement",                                     // regional (zone-redundant) disks: not modelled
		"Disks.Disk[].ProvisionedIops",                               // ESSD AutoPL provisioned IOPS: not modelled
		"Disks.Disk[].SourceDiskId",                                  // disk copies: not modelled
		"Disks.Disk[].StorageSetId",                                  // storage sets: not modelled
		"Disks.Disk[].StorageSetPartitionNumber",                     // ditto
		"Disks.Disk[].ThroughputRead",                                // only the total throughput is modelled
		"Disks.Disk[].ThroughputWrite",                               // ditto
	}
	confNotProducedSnapshot = []string{
		"Snapshots.Snapshot[].FullSnapshotSizeInBytes",    // snapshot sizes: not modelled
		"Snapshots.Snapshot[].InstantAccessRetentionDays", // instant access: not modelled
		"Snapshots.Snapshot[].SnapshotLinkId",             // snapshot chains: not modelled
		"Snapshots.Snapshot[].SourceRegionId",             // cross-region copies: not modelled
		"Snapshots.Snapshot[].SourceSnapshotId",           // ditto
	}
)

// confNotProducedPrice are the documented fields of DescribePrice's answer
// the emulator does not write.
var confNotProducedPrice = []string{
	"PriceInfo.Price.DetailInfos.DetailInfo[].SubRules.Rule[] (always empty)", // no promotions
	"PriceInfo.Price.ReservedInstanceHourPrice",                               // reserved instances: not modelled
	"PriceInfo.RelatedPrice",                                                  // marketplace images: not modelled
	"PriceInfo.Rules.Rule[] (always empty)",                                   // no promotions
}

// confShapeCases run in order on one emulator.
func confShapeCases() []confShapeCase {
	p := func(pairs ...string) func(*confShapeFixture) map[string]string {
		return func(*confShapeFixture) map[string]string {
			m := map[string]string{}
			for i := 0; i+1 < len(pairs); i += 2 {
				m[pairs[i]] = pairs[i+1]
			}
			return m
		}
	}
	return []confShapeCase{
		{
			name: "DescribeInstances, PageNumber mode", action: "DescribeInstances",
			params:      p("PageSize", "2"),
			model:       ecs7.DescribeInstancesResponseBody{},
			notProduced: confNotProducedInstance,
		},
		{
			name: "DescribeInstances, NextToken mode", action: "DescribeInstances",
			params:      p("MaxResults", "3"),
			model:       ecs7.DescribeInstancesResponseBody{},
			notProduced: slices.Concat(confNotProducedInstance, confNotProducedTokenPage),
		},
		{
			name: "DescribeInstanceStatus", action: "DescribeInstanceStatus",
			params: p("PageSize", "50"),
			model:  ecs7.DescribeInstanceStatusResponseBody{},
		},
		{
			name: "DescribeInstanceAttribute, locked instance", action: "DescribeInstanceAttribute",
			params:      p("InstanceId", "i-shape2"),
			model:       ecs7.DescribeInstanceAttributeResponseBody{},
			notProduced: confNotProducedAttribute,
		},
		{
			name: "DescribeInstanceAttribute, VPC instance with EIP", action: "DescribeInstanceAttribute",
			params: p("InstanceId", "i-shape1"),
			model:  ecs7.DescribeInstanceAttributeResponseBody{},
			notProduced: slices.Concat(confNotProducedAttribute, []string{
				"OperationLocks.LockReason[] (always empty)", // the instance is not locked
			}),
		},
		{
			name: "StopInstance", action: "StopInstance",
			params: p("InstanceId", "i-shape3", "StoppedMode", "KeepCharging"),
			model:  ecs7.StopInstanceResponseBody{},
		},
		{
			name: "StopInstances, AllTogether", action: "StopInstances",
			params: p("InstanceId.1", "i-shape6"),
			model:  ecs7.StopInstancesResponseBody{},
		},
		{
			name: "StopInstances, SuccessFirst", action: "StopInstances",
			params: p("InstanceId.1", "i-shape7", "InstanceId.2", "i-shape2", "InstanceId.3", "i-nosuch0000", "BatchOptimization", "SuccessFirst"),
			model:  ecs7.StopInstancesResponseBody{},
		},
		{
			name: "StartInstance", action: "StartInstance",
			params: p("InstanceId", "i-shape4"),
			model:  ecs7.StartInstanceResponseBody{},
		},
		{
			name: "StartInstances, SuccessFirst", action: "StartInstances",
			params: p("InstanceId.1", "i-shape5", "InstanceId.2", "i-shape3", "BatchOptimization", "SuccessFirst"),
			model:  ecs7.StartInstancesResponseBody{},
		},
		{
			name: "ModifyInstanceAttribute", action: "ModifyInstanceAttribute",
			params: p("InstanceId", "i-shape1", "DeletionProtection", "false"),
			model:  ecs7.ModifyInstanceAttributeResponseBody{},
		},
		{
			name: "ModifyInstanceAutoReleaseTime", action: "ModifyInstanceAutoReleaseTime",
			params: p("InstanceId", "i-shape1", "AutoReleaseTime", "2026-11-28T12:00:00Z"),
			model:  ecs7.ModifyInstanceAutoReleaseTimeResponseBody{},
		},
		{
			name: "RunInstances", action: "RunInstances",
			params: p("Amount", "2", "InstanceName", "shape-run", "Tag.1.Key", "env", "Tag.1.Value", "shape", "DataDisk.1.Size", "50"),
			model:  ecs7.RunInstancesResponseBody{},
		},
		{
			name: "TagResources", action: "TagResources",
			params: func(f *confShapeFixture) map[string]string {
				return map[string]string{"ResourceType": "disk", "ResourceId.1": f.dataDisk, "Tag.1.Key": "role", "Tag.1.Value": "data"}
			},
			model: ecs7.TagResourcesResponseBody{},
		},
		{
			name: "DescribeDisks, PageNumber mode", action: "DescribeDisks",
			params:      p("PageSize", "100"),
			model:       ecs7.DescribeDisksResponseBody{},
			notProduced: confNotProducedDisk,
		},
		{
			name: "DescribeDisks, NextToken mode", action: "DescribeDisks",
			params:      p("MaxResults", "3"),
			model:       ecs7.DescribeDisksResponseBody{},
			notProduced: slices.Concat(confNotProducedDisk, confNotProducedTokenPage),
		},
		{
			name: "CreateSnapshot", action: "CreateSnapshot",
			params: func(f *confShapeFixture) map[string]string {
				return map[string]string{"DiskId": f.sysDisk, "SnapshotName": "shape-snap", "Description": "made by the shape check", "RetentionDays": "7", "Tag.1.Key": "keep", "Tag.1.Value": "yes"}
			},
			model: ecs7.CreateSnapshotResponseBody{},
		},
		{
			name: "DescribeSnapshots, progressing and accomplished", action: "DescribeSnapshots",
			params:      p("PageSize", "100"),
			model:       ecs7.DescribeSnapshotsResponseBody{},
			notProduced: confNotProducedSnapshot,
		},
		{
			name: "DescribeSnapshots, NextToken mode", action: "DescribeSnapshots",
			params:      p("MaxResults", "1"),
			model:       ecs7.DescribeSnapshotsResponseBody{},
			notProduced: slices.Concat(confNotProducedSnapshot, confNotProducedTokenPage),
		},
		{
			name: "ListTagResources", action: "ListTagResources",
			params: p("ResourceType", "instance", "ResourceId.1", "i-shape1"),
			model:  ecs7.ListTagResourcesResponseBody{},
		},
		{
			name: "UntagResources", action: "UntagResources",
			params: p("ResourceType", "instance", "ResourceId.1", "i-shape1", "TagKey.1", "team"),
			model:  ecs7.UntagResourcesResponseBody{},
		},
		{
			name: "DescribePrice, instance with disks and bandwidth", action: "DescribePrice",
			params: p("InstanceType", "ecs.g7.large", "SystemDisk.Category", "cloud_essd", "SystemDisk.PerformanceLevel", "PL0",
				"DataDisk.1.Category", "cloud_essd", "DataDisk.1.Size", "100", "InternetChargeType", "PayByBandwidth", "InternetMaxBandwidthOut", "5"),
			model:       ecs7.DescribePriceResponseBody{},
			notProduced: confNotProducedPrice,
		},
		{
			name: "DescribePrice, disk", action: "DescribePrice",
			params:      p("ResourceType", "disk", "DataDisk.1.Category", "cloud_auto", "DataDisk.1.Size", "40"),
			model:       ecs7.DescribePriceResponseBody{},
			notProduced: confNotProducedPrice,
		},
		{
			name: "DeleteInstance", action: "DeleteInstance",
			params: p("InstanceId", "i-shape6", "Force", "true"),
			model:  ecs7.DeleteInstanceResponseBody{},
		},
		{
			name: "DeleteInstances", action: "DeleteInstances",
			params: p("InstanceId.1", "i-shape5", "Force", "true", "ClientToken", "shape-delete"),
			model:  ecs7.DeleteInstancesResponseBody{},
		},
	}
}

// TestConformanceShape runs the shape cases and checks each answer against
// its v7 model.
func TestConformanceShape(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{StopDelay: time.Minute, StartDelay: time.Minute, SnapshotDelay: 2 * time.Minute, Seed: confSeed})
	env.AddFleet(t, confShapeFleet()...)
	f := &confShapeFixture{env: env}
	for _, d := range env.Emu.Disks() {
		if d.InstanceId == "i-shape1" {
			if d.Type == "system" {
				f.sysDisk = d.DiskId
			} else {
				f.dataDisk = d.DiskId
			}
		}
	}
	require.NotEmpty(t, f.sysDisk)
	require.NotEmpty(t, f.dataDisk)
	// One snapshot accomplished before the run, one progressing (made by
	// the CreateSnapshot case), so DescribeSnapshots shows both states.
	c := newClient(t, env, "")
	req := snapshotReq(f.dataDisk)
	req.Tag = &[]ecs.CreateSnapshotTag{{Key: "phase", Value: "setup"}}
	_, err := c.CreateSnapshot(req)
	require.NoError(t, err)
	require.NoError(t, env.Emu.Advance(2*time.Minute))

	covered := map[string]bool{}
	for _, sc := range confShapeCases() {
		covered[sc.action] = true
		params := baseParams(env, sc.action)
		maps.Copy(params, sc.params(f))
		raw := rawSigned(t, env, http.MethodPost, params)
		t.Run(sc.name, func(t *testing.T) {
			require.Equal(t, http.StatusOK, raw.Status, "body %s", raw.Body)
			missing, err := confShapeCheck(raw.Body, reflect.TypeOf(sc.model))
			require.NoError(t, err, "the answer does not fit the v7 model %T:\n%s", sc.model, raw.Body)
			want := slices.Clone(sc.notProduced)
			slices.Sort(want)
			assert.Equal(t, want, missing,
				"documented fields of %T the emulator does not write; update notProduced (with the reason) if this is intended:\n%s",
				sc.model, confGoList(missing))
		})
	}
	for _, a := range ecsemu.Actions() {
		assert.True(t, covered[a], "served action %s has no shape case", a)
	}
}

// confShapeCheck decodes body strictly into a new value of model's type and
// returns the documented fields body does not have, sorted.
func confShapeCheck(body []byte, model reflect.Type) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(reflect.New(model).Interface()); err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(body, &tree); err != nil {
		return nil, err
	}
	missing := confMissingFields(model, []any{tree}, "")
	slices.Sort(missing)
	return missing, nil
}

// confMissingFields lists the fields of struct type t (by json name) that none
// of the JSON objects vals has. Objects are followed into their fields,
// lists into their elements (over every element of every list).
func confMissingFields(t reflect.Type, vals []any, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for field := range t.Fields() {
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name == "" || name == "-" || !field.IsExported() {
			continue
		}
		path := prefix + name
		var sub []any
		for _, v := range vals {
			if m, ok := v.(map[string]any); ok {
				if x, ok := m[name]; ok {
					sub = append(sub, x)
				}
			}
		}
		if len(sub) == 0 {
			out = append(out, path)
			continue
		}
		ft := field.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct:
			out = append(out, confMissingFields(ft, sub, path+".")...)
		case ft.Kind() == reflect.Slice:
			et := ft.Elem()
			for et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() != reflect.Struct {
				continue
			}
			var elems []any
			for _, x := range sub {
				if list, ok := x.([]any); ok {
					elems = append(elems, list...)
				}
			}
			if len(elems) == 0 {
				out = append(out, path+"[] (always empty)")
				continue
			}
			out = append(out, confMissingFields(et, elems, path+"[].")...)
		}
	}
	return out
}

// confGoList renders a list as Go source, to paste into notProduced.
func confGoList(list []string) string {
	var b strings.Builder
	for _, s := range list {
		fmt.Fprintf(&b, "\t%q,\n", s)
	}
	return b.String()
}

// TestConformanceShapeCheck proves the checker catches what it is for: an
// undocumented field, a documented field of the wrong JSON type, and a
// documented field left out.
func TestConformanceShapeCheck(t *testing.T) {
	t.Parallel()
	model := reflect.TypeFor[ecs7.DescribeSnapshotsResponseBody]()
	snapshot := func(extra string) []byte {
		return []byte(`{"RequestId":"r","TotalCount":1,"PageNumber":1,"PageSize":10,"NextToken":"","Snapshots":{"Snapshot":[{"SnapshotId":"s-1","SourceDiskSize":` + extra + `}]}}`)
	}

	missing, err := confShapeCheck(snapshot(`"40"`), model)
	require.NoError(t, err)
	assert.Contains(t, missing, "Snapshots.Snapshot[].Status", "a documented field left out is listed")
	assert.NotContains(t, missing, "Snapshots.Snapshot[].SourceDiskSize")
	assert.NotContains(t, missing, "TotalCount")

	_, err = confShapeCheck(snapshot(`40`), model)
	require.Error(t, err, "SourceDiskSize is documented as a string")
	assert.Contains(t, err.Error(), "SourceDiskSize")

	_, err = confShapeCheck(snapshot(`"40","SizeInGiB":40`), model)
	require.Error(t, err, "an undocumented field")
	assert.Contains(t, err.Error(), "SizeInGiB")

	missing, err = confShapeCheck([]byte(`{"RequestId":"r","Snapshots":{"Snapshot":[]}}`), model)
	require.NoError(t, err)
	assert.Contains(t, missing, "Snapshots.Snapshot[] (always empty)")
	assert.Contains(t, missing, "NextToken")
}
