package ecsemu_test

// The conformance suite (conformance_test.go) runs one set of scenarios
// through two real SDKs: the classic github.com/aliyun/alibaba-cloud-sdk-go
// (signature v1, what the function binaries use) and the current official
// github.com/alibabacloud-go/ecs-20140526/v7 with its default settings
// (signature ACS3-HMAC-SHA256, POST, no RegionId where the API has none).
// This file holds the client-agnostic interface the scenarios use, the two
// adapters (each with its SDK's typed request and response models) and a
// recorder that turns every call into a line of a transcript, so the two
// runs can be compared.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"testing"

	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/tea"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// --- normalised values ------------------------------------------------------

// confKV is one tag.
type confKV struct{ Key, Value string }

// confError is an error answer reduced to what both SDKs must agree on:
// the HTTP status and the code. Message and RequestID are kept for failure
// messages; transcripts leave them out (a SignatureDoesNotMatch message
// carries the server's string to sign, which differs by signature version).
type confError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *confError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// confInstQuery is a DescribeInstances request. Zero values are not sent.
type confInstQuery struct {
	// IDs is the InstanceIds filter: nil sends none, an empty non-nil
	// slice sends "[]".
	IDs                                          []string
	Status, Name, ChargeType, ZoneID, LockReason string
	VpcID, VSwitchID, SecurityGroupID            string
	InstanceType, ImageID                        string
	// PrivateIPs is the PrivateIpAddresses filter (a JSON array); nil
	// sends none.
	PrivateIPs []string
	// Tags filter by Tag.N.Key / Tag.N.Value; an empty Value sends the key
	// alone.
	Tags []confKV
	// HpcClusterID is documented but not implemented by the emulator.
	HpcClusterID         string
	PageNumber, PageSize int
	NextToken            string
	MaxResults           int
	DryRun               bool
}

// confInstance is an instance of a DescribeInstances answer.
type confInstance struct {
	ID, Name, Status, Region, Zone string
	ChargeType, StoppedMode        string
	AutoReleaseTime, CreationTime  string
	InstanceType, ImageID          string
	VpcID, VSwitchID               string
	DeletionProtection             bool
	Cpu, Memory                    int
	SecurityGroups, PrivateIPs     []string
	Tags                           []confKV
	Locks                          []string
}

type confInstPage struct {
	Instances                        []confInstance
	TotalCount, PageNumber, PageSize int
	NextToken                        string
}

func (p confInstPage) ids() []string {
	out := []string{}
	for _, in := range p.Instances {
		out = append(out, in.ID)
	}
	return out
}

// confAttr is a DescribeInstanceAttribute answer.
type confAttr struct {
	ID, Name, Status, Region, Zone string
	ChargeType, StoppedMode        string
	InstanceType, VpcID            string
	Locks                          []string
}

type confIDStatus struct{ ID, Status string }

type confStatusPage struct {
	Statuses                         []confIDStatus
	TotalCount, PageNumber, PageSize int
}

// confStopOpts are the options of StopInstance and StopInstances.
type confStopOpts struct {
	Force  bool
	Mode   string // StoppedMode
	Batch  string // BatchOptimization (StopInstances only)
	DryRun bool
}

// confBatchResult is one InstanceResponse of StopInstances/StartInstances.
type confBatchResult struct{ ID, Code, Previous, Current string }

// confRunSpec is a RunInstances request.
type confRunSpec struct {
	Amount                                  int
	Name, InstanceType, ImageID, ChargeType string
	ZoneID, VSwitchID, SecurityGroupID      string
	AutoReleaseTime, ClientToken            string
	Tags                                    []confKV
	SystemDiskSize                          int
	DataDiskSizes                           []int
	DeletionProtection, DryRun              bool
}

type confDiskQuery struct {
	IDs                  []string // DiskIds; nil sends none
	InstanceID, DiskType string
	PageNumber, PageSize int
	NextToken            string
	MaxResults           int
	DryRun               bool
}

type confDisk struct {
	ID, InstanceID, Type, Category, Status, Device string
	Size                                           int
	DeleteWithInstance, Portable                   bool
	Tags                                           []confKV
}

type confDiskPage struct {
	Disks                            []confDisk
	TotalCount, PageNumber, PageSize int
	NextToken                        string
}

func (p confDiskPage) ids() []string {
	out := []string{}
	for _, d := range p.Disks {
		out = append(out, d.ID)
	}
	return out
}

type confSnapQuery struct {
	IDs                        []string // SnapshotIds; nil sends none
	InstanceID, DiskID, Status string
	PageNumber, PageSize       int
	NextToken                  string
	MaxResults                 int
	DryRun                     bool
}

// confSnapshot is a snapshot of a DescribeSnapshots answer. SourceDiskSize
// is a string: that is its documented type.
type confSnapshot struct {
	ID, Name, Status, Progress                   string
	SourceDiskID, SourceDiskSize, SourceDiskType string
	RetentionDays                                int
	Tags                                         []confKV
}

type confSnapPage struct {
	Snapshots                        []confSnapshot
	TotalCount, PageNumber, PageSize int
	NextToken                        string
}

func (p confSnapPage) ids() []string {
	out := []string{}
	for _, s := range p.Snapshots {
		out = append(out, s.ID)
	}
	return out
}

type confTagQuery struct {
	ResourceType string
	IDs          []string
	Tags         []confKV
	NextToken    string
}

type confTagRow struct{ ResourceID, ResourceType, Key, Value string }

type confTagPage struct {
	Rows      []confTagRow
	NextToken string
}

// confPriceQuery is a DescribePrice request. Zero values are not sent.
type confPriceQuery struct {
	ResourceType, InstanceType, PriceUnit string
	Period, Amount                        int
	SystemDiskCategory, SystemDiskLevel   string
	SystemDiskSize                        int
	DataDisks                             []confPriceDisk
	NetworkType, InternetChargeType       string
	BandwidthOut                          int
	ZoneID, SpotStrategy                  string
}

type confPriceDisk struct {
	Category string
	Size     int
	Level    string
}

// confPriceDetail is one DetailInfo; confPrice the whole PriceInfo. Prices
// are rounded to 4 decimal places: the v7 models hold float32.
type confPriceDetail struct {
	Resource                  string
	Original, Discount, Trade float64
}

type confPrice struct {
	Original, Discount, Trade float64
	Currency                  string
	Details                   []confPriceDetail
	Rules                     int
}

// confRound4 rounds a price read by either SDK to 4 decimal places.
func confRound4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// detail returns the detail of one resource (zero if absent).
func (p confPrice) detail(resource string) confPriceDetail {
	for _, d := range p.Details {
		if d.Resource == resource {
			return d
		}
	}
	return confPriceDetail{}
}

// confClient is what a scenario may do, whatever the SDK underneath.
type confClient interface {
	DescribeInstances(q confInstQuery) (confInstPage, error)
	DescribeInstanceStatus(ids []string, pageNumber, pageSize int) (confStatusPage, error)
	DescribeInstanceAttribute(id string) (confAttr, error)
	StopInstance(id string, o confStopOpts) error
	StopInstances(ids []string, o confStopOpts) ([]confBatchResult, error)
	StartInstance(id string, dryRun bool) error
	StartInstances(ids []string, batch string, dryRun bool) ([]confBatchResult, error)
	DeleteInstance(id string, force, dryRun bool) error
	DeleteInstances(ids []string, force, dryRun bool, clientToken string) error
	ModifyInstanceAttribute(id string, deletionProtection bool) error
	// ModifyInstanceAutoReleaseTime with at == "" cancels auto-release.
	ModifyInstanceAutoReleaseTime(id, at string) error
	RunInstances(r confRunSpec) ([]string, error)
	DescribeDisks(q confDiskQuery) (confDiskPage, error)
	CreateSnapshot(diskID, name string) (string, error)
	DescribeSnapshots(q confSnapQuery) (confSnapPage, error)
	TagResources(resourceType string, ids []string, tags []confKV) error
	UntagResources(resourceType string, ids, keys []string, all bool) error
	ListTagResources(q confTagQuery) (confTagPage, error)
	DescribePrice(q confPriceQuery) (confPrice, error)
}

func confNonEmptyTags(tags []confKV) []confKV {
	if len(tags) == 0 {
		return nil
	}
	return tags
}

func confNonEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// --- classic SDK adapter ------------------------------------------------------

// confClassic drives github.com/aliyun/alibaba-cloud-sdk-go/services/ecs.
// The SDK sends the client's RegionId on every call.
type confClassic struct{ c *ecs.Client }

func confCInt(n int) requests.Integer {
	if n == 0 {
		return ""
	}
	return requests.NewInteger(n)
}

func confCBool(b bool) requests.Boolean {
	if !b {
		return ""
	}
	return requests.NewBoolean(true)
}

func confClassicErr(err error) error {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return &confError{Status: se.HttpStatus(), Code: se.ErrorCode(), Message: se.Message(), RequestID: se.RequestId()}
	}
	return err
}

func confClassicTags(tags []ecs.Tag) []confKV {
	var out []confKV
	for _, t := range tags {
		out = append(out, confKV{t.TagKey, t.TagValue})
	}
	return out
}

func (a confClassic) DescribeInstances(q confInstQuery) (confInstPage, error) {
	req := ecs.CreateDescribeInstancesRequest()
	if q.IDs != nil {
		req.InstanceIds = jsonList(q.IDs...)
	}
	req.Status, req.InstanceName, req.InstanceChargeType, req.ZoneId, req.LockReason = q.Status, q.Name, q.ChargeType, q.ZoneID, q.LockReason
	req.VpcId, req.VSwitchId, req.SecurityGroupId = q.VpcID, q.VSwitchID, q.SecurityGroupID
	req.InstanceType, req.ImageId, req.HpcClusterId = q.InstanceType, q.ImageID, q.HpcClusterID
	if q.PrivateIPs != nil {
		req.PrivateIpAddresses = jsonList(q.PrivateIPs...)
	}
	if len(q.Tags) > 0 {
		tags := make([]ecs.DescribeInstancesTag, len(q.Tags))
		for i, t := range q.Tags {
			tags[i] = ecs.DescribeInstancesTag{Key: t.Key, Value: t.Value}
		}
		req.Tag = &tags
	}
	req.PageNumber, req.PageSize, req.MaxResults = confCInt(q.PageNumber), confCInt(q.PageSize), confCInt(q.MaxResults)
	req.NextToken = q.NextToken
	req.DryRun = confCBool(q.DryRun)
	resp, err := a.c.DescribeInstances(req)
	if err != nil {
		return confInstPage{}, confClassicErr(err)
	}
	out := confInstPage{TotalCount: resp.TotalCount, PageNumber: resp.PageNumber, PageSize: resp.PageSize, NextToken: resp.NextToken}
	for _, in := range resp.Instances.Instance {
		ci := confInstance{
			ID: in.InstanceId, Name: in.InstanceName, Status: in.Status, Region: in.RegionId, Zone: in.ZoneId,
			ChargeType: in.InstanceChargeType, StoppedMode: in.StoppedMode,
			AutoReleaseTime: in.AutoReleaseTime, CreationTime: in.CreationTime,
			InstanceType: in.InstanceType, ImageID: in.ImageId,
			VpcID: in.VpcAttributes.VpcId, VSwitchID: in.VpcAttributes.VSwitchId,
			DeletionProtection: in.DeletionProtection, Cpu: in.Cpu, Memory: in.Memory,
			SecurityGroups: confNonEmpty(in.SecurityGroupIds.SecurityGroupId),
			PrivateIPs:     confNonEmpty(in.VpcAttributes.PrivateIpAddress.IpAddress),
			Tags:           confNonEmptyTags(confClassicTags(in.Tags.Tag)),
		}
		for _, l := range in.OperationLocks.LockReason {
			ci.Locks = append(ci.Locks, l.LockReason)
		}
		out.Instances = append(out.Instances, ci)
	}
	return out, nil
}

func (a confClassic) DescribeInstanceStatus(ids []string, pageNumber, pageSize int) (confStatusPage, error) {
	req := ecs.CreateDescribeInstanceStatusRequest()
	if len(ids) > 0 {
		req.InstanceId = &ids
	}
	req.PageNumber, req.PageSize = confCInt(pageNumber), confCInt(pageSize)
	resp, err := a.c.DescribeInstanceStatus(req)
	if err != nil {
		return confStatusPage{}, confClassicErr(err)
	}
	out := confStatusPage{TotalCount: resp.TotalCount, PageNumber: resp.PageNumber, PageSize: resp.PageSize}
	for _, s := range resp.InstanceStatuses.InstanceStatus {
		out.Statuses = append(out.Statuses, confIDStatus{s.InstanceId, s.Status})
	}
	return out, nil
}

func (a confClassic) DescribeInstanceAttribute(id string) (confAttr, error) {
	req := ecs.CreateDescribeInstanceAttributeRequest()
	req.InstanceId = id
	resp, err := a.c.DescribeInstanceAttribute(req)
	if err != nil {
		return confAttr{}, confClassicErr(err)
	}
	out := confAttr{
		ID: resp.InstanceId, Name: resp.InstanceName, Status: resp.Status, Region: resp.RegionId, Zone: resp.ZoneId,
		ChargeType: resp.InstanceChargeType, StoppedMode: resp.StoppedMode,
		InstanceType: resp.InstanceType, VpcID: resp.VpcAttributes.VpcId,
	}
	for _, l := range resp.OperationLocks.LockReason {
		out.Locks = append(out.Locks, l.LockReason)
	}
	return out, nil
}

func (a confClassic) StopInstance(id string, o confStopOpts) error {
	req := ecs.CreateStopInstanceRequest()
	req.InstanceId = id
	req.ForceStop, req.StoppedMode, req.DryRun = confCBool(o.Force), o.Mode, confCBool(o.DryRun)
	_, err := a.c.StopInstance(req)
	return confClassicErr(err)
}

func confClassicBatch(rs []ecs.InstanceResponse) []confBatchResult {
	var out []confBatchResult
	for _, r := range rs {
		out = append(out, confBatchResult{r.InstanceId, r.Code, r.PreviousStatus, r.CurrentStatus})
	}
	return out
}

func (a confClassic) StopInstances(ids []string, o confStopOpts) ([]confBatchResult, error) {
	req := ecs.CreateStopInstancesRequest()
	req.InstanceId = &ids
	req.ForceStop, req.StoppedMode, req.BatchOptimization, req.DryRun = confCBool(o.Force), o.Mode, o.Batch, confCBool(o.DryRun)
	resp, err := a.c.StopInstances(req)
	if err != nil {
		return nil, confClassicErr(err)
	}
	return confClassicBatch(resp.InstanceResponses.InstanceResponse), nil
}

func (a confClassic) StartInstance(id string, dryRun bool) error {
	req := ecs.CreateStartInstanceRequest()
	req.InstanceId, req.DryRun = id, confCBool(dryRun)
	_, err := a.c.StartInstance(req)
	return confClassicErr(err)
}

func (a confClassic) StartInstances(ids []string, batch string, dryRun bool) ([]confBatchResult, error) {
	req := ecs.CreateStartInstancesRequest()
	req.InstanceId = &ids
	req.BatchOptimization, req.DryRun = batch, confCBool(dryRun)
	resp, err := a.c.StartInstances(req)
	if err != nil {
		return nil, confClassicErr(err)
	}
	return confClassicBatch(resp.InstanceResponses.InstanceResponse), nil
}

func (a confClassic) DeleteInstance(id string, force, dryRun bool) error {
	req := ecs.CreateDeleteInstanceRequest()
	req.InstanceId, req.Force, req.DryRun = id, confCBool(force), confCBool(dryRun)
	_, err := a.c.DeleteInstance(req)
	return confClassicErr(err)
}

func (a confClassic) DeleteInstances(ids []string, force, dryRun bool, clientToken string) error {
	req := ecs.CreateDeleteInstancesRequest()
	req.InstanceId = &ids
	req.Force, req.DryRun, req.ClientToken = confCBool(force), confCBool(dryRun), clientToken
	_, err := a.c.DeleteInstances(req)
	return confClassicErr(err)
}

func (a confClassic) ModifyInstanceAttribute(id string, deletionProtection bool) error {
	req := ecs.CreateModifyInstanceAttributeRequest()
	req.InstanceId, req.DeletionProtection = id, requests.NewBoolean(deletionProtection)
	_, err := a.c.ModifyInstanceAttribute(req)
	return confClassicErr(err)
}

func (a confClassic) ModifyInstanceAutoReleaseTime(id, at string) error {
	req := ecs.CreateModifyInstanceAutoReleaseTimeRequest()
	req.InstanceId, req.AutoReleaseTime = id, at
	_, err := a.c.ModifyInstanceAutoReleaseTime(req)
	return confClassicErr(err)
}

func (a confClassic) RunInstances(r confRunSpec) ([]string, error) {
	req := ecs.CreateRunInstancesRequest()
	req.Amount = confCInt(r.Amount)
	req.InstanceName, req.InstanceType, req.ImageId, req.InstanceChargeType = r.Name, r.InstanceType, r.ImageID, r.ChargeType
	req.ZoneId, req.VSwitchId, req.SecurityGroupId = r.ZoneID, r.VSwitchID, r.SecurityGroupID
	req.AutoReleaseTime, req.ClientToken = r.AutoReleaseTime, r.ClientToken
	req.DeletionProtection, req.DryRun = confCBool(r.DeletionProtection), confCBool(r.DryRun)
	if r.SystemDiskSize > 0 {
		req.SystemDiskSize = strconv.Itoa(r.SystemDiskSize)
	}
	if len(r.Tags) > 0 {
		tags := make([]ecs.RunInstancesTag, len(r.Tags))
		for i, t := range r.Tags {
			tags[i] = ecs.RunInstancesTag{Key: t.Key, Value: t.Value}
		}
		req.Tag = &tags
	}
	if len(r.DataDiskSizes) > 0 {
		disks := make([]ecs.RunInstancesDataDisk, len(r.DataDiskSizes))
		for i, s := range r.DataDiskSizes {
			disks[i] = ecs.RunInstancesDataDisk{Size: strconv.Itoa(s)}
		}
		req.DataDisk = &disks
	}
	resp, err := a.c.RunInstances(req)
	if err != nil {
		return nil, confClassicErr(err)
	}
	return resp.InstanceIdSets.InstanceIdSet, nil
}

func (a confClassic) DescribeDisks(q confDiskQuery) (confDiskPage, error) {
	req := ecs.CreateDescribeDisksRequest()
	if q.IDs != nil {
		req.DiskIds = jsonList(q.IDs...)
	}
	req.InstanceId, req.DiskType = q.InstanceID, q.DiskType
	req.PageNumber, req.PageSize, req.MaxResults = confCInt(q.PageNumber), confCInt(q.PageSize), confCInt(q.MaxResults)
	req.NextToken, req.DryRun = q.NextToken, confCBool(q.DryRun)
	resp, err := a.c.DescribeDisks(req)
	if err != nil {
		return confDiskPage{}, confClassicErr(err)
	}
	out := confDiskPage{TotalCount: resp.TotalCount, PageNumber: resp.PageNumber, PageSize: resp.PageSize, NextToken: resp.NextToken}
	for _, d := range resp.Disks.Disk {
		out.Disks = append(out.Disks, confDisk{
			ID: d.DiskId, InstanceID: d.InstanceId, Type: d.Type, Category: d.Category, Status: d.Status, Device: d.Device,
			Size: d.Size, DeleteWithInstance: d.DeleteWithInstance, Portable: d.Portable,
			Tags: confNonEmptyTags(confClassicTags(d.Tags.Tag)),
		})
	}
	return out, nil
}

func (a confClassic) CreateSnapshot(diskID, name string) (string, error) {
	req := ecs.CreateCreateSnapshotRequest()
	req.DiskId, req.SnapshotName = diskID, name
	resp, err := a.c.CreateSnapshot(req)
	if err != nil {
		return "", confClassicErr(err)
	}
	return resp.SnapshotId, nil
}

func (a confClassic) DescribeSnapshots(q confSnapQuery) (confSnapPage, error) {
	req := ecs.CreateDescribeSnapshotsRequest()
	if q.IDs != nil {
		req.SnapshotIds = jsonList(q.IDs...)
	}
	req.InstanceId, req.DiskId, req.Status = q.InstanceID, q.DiskID, q.Status
	req.PageNumber, req.PageSize, req.MaxResults = confCInt(q.PageNumber), confCInt(q.PageSize), confCInt(q.MaxResults)
	req.NextToken, req.DryRun = q.NextToken, confCBool(q.DryRun)
	resp, err := a.c.DescribeSnapshots(req)
	if err != nil {
		return confSnapPage{}, confClassicErr(err)
	}
	out := confSnapPage{TotalCount: resp.TotalCount, PageNumber: resp.PageNumber, PageSize: resp.PageSize, NextToken: resp.NextToken}
	for _, s := range resp.Snapshots.Snapshot {
		out.Snapshots = append(out.Snapshots, confSnapshot{
			ID: s.SnapshotId, Name: s.SnapshotName, Status: s.Status, Progress: s.Progress,
			SourceDiskID: s.SourceDiskId, SourceDiskSize: s.SourceDiskSize, SourceDiskType: s.SourceDiskType,
			RetentionDays: s.RetentionDays, Tags: confNonEmptyTags(confClassicTags(s.Tags.Tag)),
		})
	}
	return out, nil
}

func (a confClassic) TagResources(resourceType string, ids []string, tags []confKV) error {
	req := ecs.CreateTagResourcesRequest()
	req.ResourceType, req.ResourceId = resourceType, &ids
	if len(tags) > 0 {
		ts := make([]ecs.TagResourcesTag, len(tags))
		for i, t := range tags {
			ts[i] = ecs.TagResourcesTag{Key: t.Key, Value: t.Value}
		}
		req.Tag = &ts
	}
	_, err := a.c.TagResources(req)
	return confClassicErr(err)
}

func (a confClassic) UntagResources(resourceType string, ids, keys []string, all bool) error {
	req := ecs.CreateUntagResourcesRequest()
	req.ResourceType, req.ResourceId, req.All = resourceType, &ids, confCBool(all)
	if len(keys) > 0 {
		req.TagKey = &keys
	}
	_, err := a.c.UntagResources(req)
	return confClassicErr(err)
}

func (a confClassic) ListTagResources(q confTagQuery) (confTagPage, error) {
	req := ecs.CreateListTagResourcesRequest()
	req.ResourceType, req.NextToken = q.ResourceType, q.NextToken
	if len(q.IDs) > 0 {
		req.ResourceId = &q.IDs
	}
	if len(q.Tags) > 0 {
		ts := make([]ecs.ListTagResourcesTag, len(q.Tags))
		for i, t := range q.Tags {
			ts[i] = ecs.ListTagResourcesTag{Key: t.Key, Value: t.Value}
		}
		req.Tag = &ts
	}
	resp, err := a.c.ListTagResources(req)
	if err != nil {
		return confTagPage{}, confClassicErr(err)
	}
	out := confTagPage{NextToken: resp.NextToken}
	for _, r := range resp.TagResources.TagResource {
		out.Rows = append(out.Rows, confTagRow{r.ResourceId, r.ResourceType, r.TagKey, r.TagValue})
	}
	return out, nil
}

func (a confClassic) DescribePrice(q confPriceQuery) (confPrice, error) {
	req := ecs.CreateDescribePriceRequest()
	req.ResourceType, req.InstanceType, req.PriceUnit = q.ResourceType, q.InstanceType, q.PriceUnit
	req.Period, req.Amount = confCInt(q.Period), confCInt(q.Amount)
	req.SystemDiskCategory, req.SystemDiskPerformanceLevel, req.SystemDiskSize = q.SystemDiskCategory, q.SystemDiskLevel, confCInt(q.SystemDiskSize)
	if len(q.DataDisks) > 0 {
		ds := make([]ecs.DescribePriceDataDisk, len(q.DataDisks))
		for i, d := range q.DataDisks {
			ds[i] = ecs.DescribePriceDataDisk{Category: d.Category, PerformanceLevel: d.Level}
			if d.Size != 0 {
				ds[i].Size = strconv.Itoa(d.Size)
			}
		}
		req.DataDisk = &ds
	}
	req.InstanceNetworkType, req.InternetChargeType, req.InternetMaxBandwidthOut = q.NetworkType, q.InternetChargeType, confCInt(q.BandwidthOut)
	req.ZoneId, req.SpotStrategy = q.ZoneID, q.SpotStrategy
	resp, err := a.c.DescribePrice(req)
	if err != nil {
		return confPrice{}, confClassicErr(err)
	}
	p := resp.PriceInfo.Price
	out := confPrice{Original: confRound4(p.OriginalPrice), Discount: confRound4(p.DiscountPrice), Trade: confRound4(p.TradePrice), Currency: p.Currency, Rules: len(resp.PriceInfo.Rules.Rule)}
	for _, d := range p.DetailInfos.DetailInfo {
		out.Details = append(out.Details, confPriceDetail{d.Resource, confRound4(d.OriginalPrice), confRound4(d.DiscountPrice), confRound4(d.TradePrice)})
	}
	return out, nil
}

// --- v7 SDK adapter -----------------------------------------------------------

// confV7 drives github.com/alibabacloud-go/ecs-20140526/v7 with its
// default settings. It sends RegionId only where the request model has it;
// StopInstance, StartInstance, DeleteInstance, DescribeInstanceAttribute,
// ModifyInstanceAttribute and CreateSnapshot have none.
type confV7 struct {
	c      *ecs7.Client
	region string
}

func confVStr(s string) *string {
	if s == "" {
		return nil
	}
	return new(s)
}

func confVInt(n int) *int32 {
	if n == 0 {
		return nil
	}
	return new(int32(n))
}

func confVBool(b bool) *bool {
	if !b {
		return nil
	}
	return new(true)
}

func confVStrs(ss []string) []*string {
	if ss == nil {
		return nil
	}
	out := make([]*string, len(ss))
	for i := range ss {
		out[i] = new(ss[i])
	}
	return out
}

func confFromStrs(ps []*string) []string {
	var out []string
	for _, p := range ps {
		out = append(out, tea.StringValue(p))
	}
	return out
}

func confV7Err(err error) error {
	var se *tea.SDKError
	if errors.As(err, &se) {
		e := &confError{Status: tea.IntValue(se.StatusCode), Code: tea.StringValue(se.Code), Message: tea.StringValue(se.Message)}
		var data map[string]any
		if se.Data != nil && json.Unmarshal([]byte(*se.Data), &data) == nil {
			if m, ok := data["Message"].(string); ok {
				e.Message = m
			}
			e.RequestID, _ = data["RequestId"].(string)
		}
		return e
	}
	return err
}

func (a confV7) DescribeInstances(q confInstQuery) (confInstPage, error) {
	req := &ecs7.DescribeInstancesRequest{
		RegionId: new(a.region),
		Status:   confVStr(q.Status), InstanceName: confVStr(q.Name), InstanceChargeType: confVStr(q.ChargeType),
		ZoneId: confVStr(q.ZoneID), LockReason: confVStr(q.LockReason),
		VpcId: confVStr(q.VpcID), VSwitchId: confVStr(q.VSwitchID), SecurityGroupId: confVStr(q.SecurityGroupID),
		InstanceType: confVStr(q.InstanceType), ImageId: confVStr(q.ImageID), HpcClusterId: confVStr(q.HpcClusterID),
		PageNumber: confVInt(q.PageNumber), PageSize: confVInt(q.PageSize), MaxResults: confVInt(q.MaxResults),
		NextToken: confVStr(q.NextToken), DryRun: confVBool(q.DryRun),
	}
	if q.IDs != nil {
		req.InstanceIds = new(jsonList(q.IDs...))
	}
	if q.PrivateIPs != nil {
		req.PrivateIpAddresses = new(jsonList(q.PrivateIPs...))
	}
	for _, t := range q.Tags {
		req.Tag = append(req.Tag, &ecs7.DescribeInstancesRequestTag{Key: new(t.Key), Value: confVStr(t.Value)})
	}
	resp, err := a.c.DescribeInstances(req)
	if err != nil {
		return confInstPage{}, confV7Err(err)
	}
	b := resp.Body
	out := confInstPage{
		TotalCount: int(tea.Int32Value(b.TotalCount)), PageNumber: int(tea.Int32Value(b.PageNumber)),
		PageSize: int(tea.Int32Value(b.PageSize)), NextToken: tea.StringValue(b.NextToken),
	}
	if b.Instances == nil {
		return out, nil
	}
	for _, in := range b.Instances.Instance {
		ci := confInstance{
			ID: tea.StringValue(in.InstanceId), Name: tea.StringValue(in.InstanceName), Status: tea.StringValue(in.Status),
			Region: tea.StringValue(in.RegionId), Zone: tea.StringValue(in.ZoneId),
			ChargeType: tea.StringValue(in.InstanceChargeType), StoppedMode: tea.StringValue(in.StoppedMode),
			AutoReleaseTime: tea.StringValue(in.AutoReleaseTime), CreationTime: tea.StringValue(in.CreationTime),
			InstanceType: tea.StringValue(in.InstanceType), ImageID: tea.StringValue(in.ImageId),
			DeletionProtection: tea.BoolValue(in.DeletionProtection),
			Cpu:                int(tea.Int32Value(in.Cpu)), Memory: int(tea.Int32Value(in.Memory)),
		}
		if v := in.VpcAttributes; v != nil {
			ci.VpcID, ci.VSwitchID = tea.StringValue(v.VpcId), tea.StringValue(v.VSwitchId)
			if v.PrivateIpAddress != nil {
				ci.PrivateIPs = confNonEmpty(confFromStrs(v.PrivateIpAddress.IpAddress))
			}
		}
		if in.SecurityGroupIds != nil {
			ci.SecurityGroups = confNonEmpty(confFromStrs(in.SecurityGroupIds.SecurityGroupId))
		}
		if in.Tags != nil {
			for _, t := range in.Tags.Tag {
				ci.Tags = append(ci.Tags, confKV{tea.StringValue(t.TagKey), tea.StringValue(t.TagValue)})
			}
		}
		if in.OperationLocks != nil {
			for _, l := range in.OperationLocks.LockReason {
				ci.Locks = append(ci.Locks, tea.StringValue(l.LockReason))
			}
		}
		out.Instances = append(out.Instances, ci)
	}
	return out, nil
}

func (a confV7) DescribeInstanceStatus(ids []string, pageNumber, pageSize int) (confStatusPage, error) {
	req := &ecs7.DescribeInstanceStatusRequest{
		RegionId: new(a.region), PageNumber: confVInt(pageNumber), PageSize: confVInt(pageSize),
	}
	if len(ids) > 0 {
		req.InstanceId = confVStrs(ids)
	}
	resp, err := a.c.DescribeInstanceStatus(req)
	if err != nil {
		return confStatusPage{}, confV7Err(err)
	}
	b := resp.Body
	out := confStatusPage{TotalCount: int(tea.Int32Value(b.TotalCount)), PageNumber: int(tea.Int32Value(b.PageNumber)), PageSize: int(tea.Int32Value(b.PageSize))}
	if b.InstanceStatuses != nil {
		for _, s := range b.InstanceStatuses.InstanceStatus {
			out.Statuses = append(out.Statuses, confIDStatus{tea.StringValue(s.InstanceId), tea.StringValue(s.Status)})
		}
	}
	return out, nil
}

func (a confV7) DescribeInstanceAttribute(id string) (confAttr, error) {
	resp, err := a.c.DescribeInstanceAttribute(&ecs7.DescribeInstanceAttributeRequest{InstanceId: new(id)})
	if err != nil {
		return confAttr{}, confV7Err(err)
	}
	b := resp.Body
	out := confAttr{
		ID: tea.StringValue(b.InstanceId), Name: tea.StringValue(b.InstanceName), Status: tea.StringValue(b.Status),
		Region: tea.StringValue(b.RegionId), Zone: tea.StringValue(b.ZoneId),
		ChargeType: tea.StringValue(b.InstanceChargeType), StoppedMode: tea.StringValue(b.StoppedMode),
		InstanceType: tea.StringValue(b.InstanceType),
	}
	if b.VpcAttributes != nil {
		out.VpcID = tea.StringValue(b.VpcAttributes.VpcId)
	}
	if b.OperationLocks != nil {
		for _, l := range b.OperationLocks.LockReason {
			out.Locks = append(out.Locks, tea.StringValue(l.LockReason))
		}
	}
	return out, nil
}

func (a confV7) StopInstance(id string, o confStopOpts) error {
	_, err := a.c.StopInstance(&ecs7.StopInstanceRequest{
		InstanceId: new(id), ForceStop: confVBool(o.Force), StoppedMode: confVStr(o.Mode), DryRun: confVBool(o.DryRun),
	})
	return confV7Err(err)
}

type confV7InstanceResponse interface {
	GetInstanceId() *string
	GetCode() *string
	GetPreviousStatus() *string
	GetCurrentStatus() *string
}

func confV7Batch[T confV7InstanceResponse](rs []T) []confBatchResult {
	var out []confBatchResult
	for _, r := range rs {
		out = append(out, confBatchResult{tea.StringValue(r.GetInstanceId()), tea.StringValue(r.GetCode()), tea.StringValue(r.GetPreviousStatus()), tea.StringValue(r.GetCurrentStatus())})
	}
	return out
}

func (a confV7) StopInstances(ids []string, o confStopOpts) ([]confBatchResult, error) {
	resp, err := a.c.StopInstances(&ecs7.StopInstancesRequest{
		RegionId: new(a.region), InstanceId: confVStrs(ids),
		ForceStop: confVBool(o.Force), StoppedMode: confVStr(o.Mode), BatchOptimization: confVStr(o.Batch), DryRun: confVBool(o.DryRun),
	})
	if err != nil {
		return nil, confV7Err(err)
	}
	if resp.Body.InstanceResponses == nil {
		return nil, nil
	}
	return confV7Batch(resp.Body.InstanceResponses.InstanceResponse), nil
}

func (a confV7) StartInstance(id string, dryRun bool) error {
	_, err := a.c.StartInstance(&ecs7.StartInstanceRequest{InstanceId: new(id), DryRun: confVBool(dryRun)})
	return confV7Err(err)
}

func (a confV7) StartInstances(ids []string, batch string, dryRun bool) ([]confBatchResult, error) {
	resp, err := a.c.StartInstances(&ecs7.StartInstancesRequest{
		RegionId: new(a.region), InstanceId: confVStrs(ids), BatchOptimization: confVStr(batch), DryRun: confVBool(dryRun),
	})
	if err != nil {
		return nil, confV7Err(err)
	}
	if resp.Body.InstanceResponses == nil {
		return nil, nil
	}
	return confV7Batch(resp.Body.InstanceResponses.InstanceResponse), nil
}

func (a confV7) DeleteInstance(id string, force, dryRun bool) error {
	_, err := a.c.DeleteInstance(&ecs7.DeleteInstanceRequest{InstanceId: new(id), Force: confVBool(force), DryRun: confVBool(dryRun)})
	return confV7Err(err)
}

func (a confV7) DeleteInstances(ids []string, force, dryRun bool, clientToken string) error {
	_, err := a.c.DeleteInstances(&ecs7.DeleteInstancesRequest{
		RegionId: new(a.region), InstanceId: confVStrs(ids), Force: confVBool(force), DryRun: confVBool(dryRun), ClientToken: confVStr(clientToken),
	})
	return confV7Err(err)
}

func (a confV7) ModifyInstanceAttribute(id string, deletionProtection bool) error {
	_, err := a.c.ModifyInstanceAttribute(&ecs7.ModifyInstanceAttributeRequest{InstanceId: new(id), DeletionProtection: new(deletionProtection)})
	return confV7Err(err)
}

func (a confV7) ModifyInstanceAutoReleaseTime(id, at string) error {
	_, err := a.c.ModifyInstanceAutoReleaseTime(&ecs7.ModifyInstanceAutoReleaseTimeRequest{
		RegionId: new(a.region), InstanceId: new(id), AutoReleaseTime: confVStr(at),
	})
	return confV7Err(err)
}

func (a confV7) RunInstances(r confRunSpec) ([]string, error) {
	req := &ecs7.RunInstancesRequest{
		RegionId: new(a.region), Amount: confVInt(r.Amount),
		InstanceName: confVStr(r.Name), InstanceType: confVStr(r.InstanceType), ImageId: confVStr(r.ImageID), InstanceChargeType: confVStr(r.ChargeType),
		ZoneId: confVStr(r.ZoneID), VSwitchId: confVStr(r.VSwitchID), SecurityGroupId: confVStr(r.SecurityGroupID),
		AutoReleaseTime: confVStr(r.AutoReleaseTime), ClientToken: confVStr(r.ClientToken),
		DeletionProtection: confVBool(r.DeletionProtection), DryRun: confVBool(r.DryRun),
	}
	if r.SystemDiskSize > 0 {
		req.SystemDisk = &ecs7.RunInstancesRequestSystemDisk{Size: new(strconv.Itoa(r.SystemDiskSize))}
	}
	for _, t := range r.Tags {
		req.Tag = append(req.Tag, &ecs7.RunInstancesRequestTag{Key: new(t.Key), Value: confVStr(t.Value)})
	}
	for _, s := range r.DataDiskSizes {
		req.DataDisk = append(req.DataDisk, &ecs7.RunInstancesRequestDataDisk{Size: new(int32(s))})
	}
	resp, err := a.c.RunInstances(req)
	if err != nil {
		return nil, confV7Err(err)
	}
	if resp.Body.InstanceIdSets == nil {
		return nil, nil
	}
	return confFromStrs(resp.Body.InstanceIdSets.InstanceIdSet), nil
}

type confV7Tag interface {
	GetTagKey() *string
	GetTagValue() *string
}

func confV7Tags[T confV7Tag](ts []T) []confKV {
	var out []confKV
	for _, t := range ts {
		out = append(out, confKV{tea.StringValue(t.GetTagKey()), tea.StringValue(t.GetTagValue())})
	}
	return out
}

func (a confV7) DescribeDisks(q confDiskQuery) (confDiskPage, error) {
	req := &ecs7.DescribeDisksRequest{
		RegionId: new(a.region), InstanceId: confVStr(q.InstanceID), DiskType: confVStr(q.DiskType),
		PageNumber: confVInt(q.PageNumber), PageSize: confVInt(q.PageSize), MaxResults: confVInt(q.MaxResults),
		NextToken: confVStr(q.NextToken), DryRun: confVBool(q.DryRun),
	}
	if q.IDs != nil {
		req.DiskIds = new(jsonList(q.IDs...))
	}
	resp, err := a.c.DescribeDisks(req)
	if err != nil {
		return confDiskPage{}, confV7Err(err)
	}
	b := resp.Body
	out := confDiskPage{
		TotalCount: int(tea.Int32Value(b.TotalCount)), PageNumber: int(tea.Int32Value(b.PageNumber)),
		PageSize: int(tea.Int32Value(b.PageSize)), NextToken: tea.StringValue(b.NextToken),
	}
	if b.Disks == nil {
		return out, nil
	}
	for _, d := range b.Disks.Disk {
		cd := confDisk{
			ID: tea.StringValue(d.DiskId), InstanceID: tea.StringValue(d.InstanceId), Type: tea.StringValue(d.Type),
			Category: tea.StringValue(d.Category), Status: tea.StringValue(d.Status), Device: tea.StringValue(d.Device),
			Size: int(tea.Int32Value(d.Size)), DeleteWithInstance: tea.BoolValue(d.DeleteWithInstance), Portable: tea.BoolValue(d.Portable),
		}
		if d.Tags != nil {
			cd.Tags = confV7Tags(d.Tags.Tag)
		}
		out.Disks = append(out.Disks, cd)
	}
	return out, nil
}

func (a confV7) CreateSnapshot(diskID, name string) (string, error) {
	resp, err := a.c.CreateSnapshot(&ecs7.CreateSnapshotRequest{DiskId: new(diskID), SnapshotName: confVStr(name)})
	if err != nil {
		return "", confV7Err(err)
	}
	return tea.StringValue(resp.Body.SnapshotId), nil
}

func (a confV7) DescribeSnapshots(q confSnapQuery) (confSnapPage, error) {
	req := &ecs7.DescribeSnapshotsRequest{
		RegionId: new(a.region), InstanceId: confVStr(q.InstanceID), DiskId: confVStr(q.DiskID), Status: confVStr(q.Status),
		PageNumber: confVInt(q.PageNumber), PageSize: confVInt(q.PageSize), MaxResults: confVInt(q.MaxResults),
		NextToken: confVStr(q.NextToken), DryRun: confVBool(q.DryRun),
	}
	if q.IDs != nil {
		req.SnapshotIds = new(jsonList(q.IDs...))
	}
	resp, err := a.c.DescribeSnapshots(req)
	if err != nil {
		return confSnapPage{}, confV7Err(err)
	}
	b := resp.Body
	out := confSnapPage{
		TotalCount: int(tea.Int32Value(b.TotalCount)), PageNumber: int(tea.Int32Value(b.PageNumber)),
		PageSize: int(tea.Int32Value(b.PageSize)), NextToken: tea.StringValue(b.NextToken),
	}
	if b.Snapshots == nil {
		return out, nil
	}
	for _, s := range b.Snapshots.Snapshot {
		cs := confSnapshot{
			ID: tea.StringValue(s.SnapshotId), Name: tea.StringValue(s.SnapshotName), Status: tea.StringValue(s.Status),
			Progress: tea.StringValue(s.Progress), SourceDiskID: tea.StringValue(s.SourceDiskId),
			SourceDiskSize: tea.StringValue(s.SourceDiskSize), SourceDiskType: tea.StringValue(s.SourceDiskType),
			RetentionDays: int(tea.Int32Value(s.RetentionDays)),
		}
		if s.Tags != nil {
			cs.Tags = confV7Tags(s.Tags.Tag)
		}
		out.Snapshots = append(out.Snapshots, cs)
	}
	return out, nil
}

func (a confV7) TagResources(resourceType string, ids []string, tags []confKV) error {
	req := &ecs7.TagResourcesRequest{RegionId: new(a.region), ResourceType: new(resourceType), ResourceId: confVStrs(ids)}
	for _, t := range tags {
		req.Tag = append(req.Tag, &ecs7.TagResourcesRequestTag{Key: new(t.Key), Value: confVStr(t.Value)})
	}
	_, err := a.c.TagResources(req)
	return confV7Err(err)
}

func (a confV7) UntagResources(resourceType string, ids, keys []string, all bool) error {
	_, err := a.c.UntagResources(&ecs7.UntagResourcesRequest{
		RegionId: new(a.region), ResourceType: new(resourceType), ResourceId: confVStrs(ids),
		TagKey: confVStrs(confNonEmpty(keys)), All: confVBool(all),
	})
	return confV7Err(err)
}

func (a confV7) ListTagResources(q confTagQuery) (confTagPage, error) {
	req := &ecs7.ListTagResourcesRequest{
		RegionId: new(a.region), ResourceType: confVStr(q.ResourceType), ResourceId: confVStrs(confNonEmpty(q.IDs)), NextToken: confVStr(q.NextToken),
	}
	for _, t := range q.Tags {
		req.Tag = append(req.Tag, &ecs7.ListTagResourcesRequestTag{Key: new(t.Key), Value: confVStr(t.Value)})
	}
	resp, err := a.c.ListTagResources(req)
	if err != nil {
		return confTagPage{}, confV7Err(err)
	}
	out := confTagPage{NextToken: tea.StringValue(resp.Body.NextToken)}
	if resp.Body.TagResources != nil {
		for _, r := range resp.Body.TagResources.TagResource {
			out.Rows = append(out.Rows, confTagRow{tea.StringValue(r.ResourceId), tea.StringValue(r.ResourceType), tea.StringValue(r.TagKey), tea.StringValue(r.TagValue)})
		}
	}
	return out, nil
}

func confV7Price(p *float32) float64 { return confRound4(float64(tea.Float32Value(p))) }

func (a confV7) DescribePrice(q confPriceQuery) (confPrice, error) {
	req := &ecs7.DescribePriceRequest{
		RegionId: new(a.region), ResourceType: confVStr(q.ResourceType), InstanceType: confVStr(q.InstanceType), PriceUnit: confVStr(q.PriceUnit),
		Period: confVInt(q.Period), Amount: confVInt(q.Amount),
		InstanceNetworkType: confVStr(q.NetworkType), InternetChargeType: confVStr(q.InternetChargeType), InternetMaxBandwidthOut: confVInt(q.BandwidthOut),
		ZoneId: confVStr(q.ZoneID), SpotStrategy: confVStr(q.SpotStrategy),
	}
	if q.SystemDiskCategory != "" || q.SystemDiskLevel != "" || q.SystemDiskSize != 0 {
		req.SystemDisk = &ecs7.DescribePriceRequestSystemDisk{Category: confVStr(q.SystemDiskCategory), PerformanceLevel: confVStr(q.SystemDiskLevel), Size: confVInt(q.SystemDiskSize)}
	}
	for _, d := range q.DataDisks {
		dd := &ecs7.DescribePriceRequestDataDisk{Category: confVStr(d.Category), PerformanceLevel: confVStr(d.Level)}
		if d.Size != 0 {
			dd.Size = new(int64(d.Size))
		}
		req.DataDisk = append(req.DataDisk, dd)
	}
	resp, err := a.c.DescribePrice(req)
	if err != nil {
		return confPrice{}, confV7Err(err)
	}
	var out confPrice
	if pi := resp.Body.PriceInfo; pi != nil {
		if pi.Rules != nil {
			out.Rules = len(pi.Rules.Rule)
		}
		if p := pi.Price; p != nil {
			out.Original, out.Discount, out.Trade, out.Currency = confV7Price(p.OriginalPrice), confV7Price(p.DiscountPrice), confV7Price(p.TradePrice), tea.StringValue(p.Currency)
			if p.DetailInfos != nil {
				for _, d := range p.DetailInfos.DetailInfo {
					out.Details = append(out.Details, confPriceDetail{tea.StringValue(d.Resource), confV7Price(d.OriginalPrice), confV7Price(d.DiscountPrice), confV7Price(d.TradePrice)})
				}
			}
		}
	}
	return out, nil
}

// --- recorder -------------------------------------------------------------------

// confRecording wraps a confClient and writes one transcript line per call:
// the action, its arguments and the normalised outcome (an error as its
// HTTP status and code only). Two runs of a scenario through different SDKs
// must write the same transcript.
type confRecording struct {
	next confClient
	log  *[]string
}

func (r confRecording) rec(action string, args, confResult any, err error) {
	var outcome string
	var ce *confError
	switch {
	case errors.As(err, &ce):
		outcome = fmt.Sprintf("error %d %s", ce.Status, ce.Code)
	case err != nil:
		outcome = "transport error: " + err.Error()
	case confResult == nil:
		outcome = "ok"
	default:
		outcome = fmt.Sprintf("ok %+v", confResult)
	}
	*r.log = append(*r.log, fmt.Sprintf("%s(%+v) -> %s", action, args, outcome))
}

func (r confRecording) DescribeInstances(q confInstQuery) (confInstPage, error) {
	p, err := r.next.DescribeInstances(q)
	r.rec("DescribeInstances", q, p, err)
	return p, err
}

func (r confRecording) DescribeInstanceStatus(ids []string, pageNumber, pageSize int) (confStatusPage, error) {
	p, err := r.next.DescribeInstanceStatus(ids, pageNumber, pageSize)
	r.rec("DescribeInstanceStatus", []any{ids, pageNumber, pageSize}, p, err)
	return p, err
}

func (r confRecording) DescribeInstanceAttribute(id string) (confAttr, error) {
	a, err := r.next.DescribeInstanceAttribute(id)
	r.rec("DescribeInstanceAttribute", id, a, err)
	return a, err
}

func (r confRecording) StopInstance(id string, o confStopOpts) error {
	err := r.next.StopInstance(id, o)
	r.rec("StopInstance", []any{id, o}, nil, err)
	return err
}

func (r confRecording) StopInstances(ids []string, o confStopOpts) ([]confBatchResult, error) {
	res, err := r.next.StopInstances(ids, o)
	r.rec("StopInstances", []any{ids, o}, res, err)
	return res, err
}

func (r confRecording) StartInstance(id string, dryRun bool) error {
	err := r.next.StartInstance(id, dryRun)
	r.rec("StartInstance", []any{id, dryRun}, nil, err)
	return err
}

func (r confRecording) StartInstances(ids []string, batch string, dryRun bool) ([]confBatchResult, error) {
	res, err := r.next.StartInstances(ids, batch, dryRun)
	r.rec("StartInstances", []any{ids, batch, dryRun}, res, err)
	return res, err
}

func (r confRecording) DeleteInstance(id string, force, dryRun bool) error {
	err := r.next.DeleteInstance(id, force, dryRun)
	r.rec("DeleteInstance", []any{id, force, dryRun}, nil, err)
	return err
}

func (r confRecording) DeleteInstances(ids []string, force, dryRun bool, clientToken string) error {
	err := r.next.DeleteInstances(ids, force, dryRun, clientToken)
	r.rec("DeleteInstances", []any{ids, force, dryRun, clientToken}, nil, err)
	return err
}

func (r confRecording) ModifyInstanceAttribute(id string, deletionProtection bool) error {
	err := r.next.ModifyInstanceAttribute(id, deletionProtection)
	r.rec("ModifyInstanceAttribute", []any{id, deletionProtection}, nil, err)
	return err
}

func (r confRecording) ModifyInstanceAutoReleaseTime(id, at string) error {
	err := r.next.ModifyInstanceAutoReleaseTime(id, at)
	r.rec("ModifyInstanceAutoReleaseTime", []any{id, at}, nil, err)
	return err
}

func (r confRecording) RunInstances(s confRunSpec) ([]string, error) {
	ids, err := r.next.RunInstances(s)
	r.rec("RunInstances", s, ids, err)
	return ids, err
}

func (r confRecording) DescribeDisks(q confDiskQuery) (confDiskPage, error) {
	p, err := r.next.DescribeDisks(q)
	r.rec("DescribeDisks", q, p, err)
	return p, err
}

func (r confRecording) CreateSnapshot(diskID, name string) (string, error) {
	id, err := r.next.CreateSnapshot(diskID, name)
	r.rec("CreateSnapshot", []any{diskID, name}, id, err)
	return id, err
}

func (r confRecording) DescribeSnapshots(q confSnapQuery) (confSnapPage, error) {
	p, err := r.next.DescribeSnapshots(q)
	r.rec("DescribeSnapshots", q, p, err)
	return p, err
}

func (r confRecording) TagResources(resourceType string, ids []string, tags []confKV) error {
	err := r.next.TagResources(resourceType, ids, tags)
	r.rec("TagResources", []any{resourceType, ids, tags}, nil, err)
	return err
}

func (r confRecording) UntagResources(resourceType string, ids, keys []string, all bool) error {
	err := r.next.UntagResources(resourceType, ids, keys, all)
	r.rec("UntagResources", []any{resourceType, ids, keys, all}, nil, err)
	return err
}

func (r confRecording) ListTagResources(q confTagQuery) (confTagPage, error) {
	p, err := r.next.ListTagResources(q)
	r.rec("ListTagResources", q, p, err)
	return p, err
}

func (r confRecording) DescribePrice(q confPriceQuery) (confPrice, error) {
	p, err := r.next.DescribePrice(q)
	r.rec("DescribePrice", q, p, err)
	return p, err
}

// --- assertions -------------------------------------------------------------------

// confResult holds a call's two return values so that one expression can both
// call and check: called(c.DescribeInstances(q)).ok(t).
type confResult[T any] struct {
	v   T
	err error
}

func called[T any](v T, err error) confResult[T] { return confResult[T]{v, err} }

// ok fails the test unless the call succeeded, and returns its value.
func (r confResult[T]) ok(t testing.TB) T {
	t.Helper()
	require.NoError(t, r.err)
	return r.v
}

// fails asserts the call was answered with an error of that status and code.
func (r confResult[T]) fails(t testing.TB, status int, code string) {
	t.Helper()
	requireConfError(t, r.err, status, code)
}

// requireConfError asserts err is an error answer with that status and code.
func requireConfError(t testing.TB, err error, status int, code string) *confError {
	t.Helper()
	require.Error(t, err, "want %d %s", status, code)
	var ce *confError
	require.True(t, errors.As(err, &ce), "want an error answer %d %s, got %T: %v", status, code, err, err)
	require.Equal(t, fmt.Sprintf("%d %s", status, code), fmt.Sprintf("%d %s", ce.Status, ce.Code), "message: %s", ce.Message)
	require.NotEmpty(t, ce.RequestID, "error answers carry a RequestId")
	return ce
}

// confFlavor builds confClients of one SDK.
type confFlavor struct {
	name string
	// sendsRegionAlways: the SDK sends RegionId on every call, also where
	// the API has none (the classic SDK); the v7 SDK sends it only where
	// its request model has it.
	sendsRegionAlways bool
	client            func(t *testing.T, env *ecsemutest.Env, region, keyID, secret string) confClient
}

var confFlavors = []confFlavor{
	{name: "classic", sendsRegionAlways: true, client: func(t *testing.T, env *ecsemutest.Env, region, keyID, secret string) confClient {
		c := env.NewClientWithKey(t, region, keyID, secret, "")
		checkBodies(t, c) // every error body must be the five-string ECS body
		return confClassic{c}
	}},
	{name: "v7", client: func(t *testing.T, env *ecsemutest.Env, region, keyID, secret string) confClient {
		return confV7{c: env.NewV7ClientWithKey(t, region, keyID, secret, ""), region: region}
	}},
}
