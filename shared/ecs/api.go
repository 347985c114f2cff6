package ecs

import (
	"bytes"
	"io"
	"net/http"
	"reflect"
	"strconv"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	gojson "github.com/goccy/go-json"
)

// The ECS actions this package calls, as request and response types over
// the Alibaba Cloud SDK core (sdk, requests, responses): the SDK signs,
// sends, retries nothing and parses errors exactly as its generated
// services/ecs client does, with the same parameter names and JSON field
// names (ECS API version 2014-05-26). Declaring the few actions here,
// instead of importing services/ecs (hundreds of actions, the largest
// package in the build), keeps the function binaries small, their cold
// start short, their memory per parsed instance low and a cold build under
// a minute. Response types hold only the fields used.

const (
	apiProduct = "Ecs"
	apiVersion = "2014-05-26"
)

func newRPC(action string) *requests.RpcRequest {
	r := &requests.RpcRequest{}
	r.InitWithApiInfo(apiProduct, apiVersion, action, "ecs", "openAPI")
	r.Method = requests.POST
	return r
}

// tagParam is one Tag.N.Key / Tag.N.Value pair.
type tagParam struct {
	Key   string `name:"Key"`
	Value string `name:"Value"`
}

// --- DescribeInstances ---------------------------------------------------

type describeInstancesRequest struct {
	*requests.RpcRequest
	InstanceIds        string           `position:"Query" name:"InstanceIds"`
	Status             string           `position:"Query" name:"Status"`
	InstanceChargeType string           `position:"Query" name:"InstanceChargeType"`
	InstanceName       string           `position:"Query" name:"InstanceName"`
	Tag                *[]tagParam      `position:"Query" name:"Tag" type:"Repeated"`
	PageNumber         requests.Integer `position:"Query" name:"PageNumber"`
	PageSize           requests.Integer `position:"Query" name:"PageSize"`
	MaxResults         requests.Integer `position:"Query" name:"MaxResults"`
	NextToken          string           `position:"Query" name:"NextToken"`
}

func newDescribeInstancesRequest() *describeInstancesRequest {
	return &describeInstancesRequest{RpcRequest: newRPC("DescribeInstances")}
}

type describeInstancesResponse struct {
	responses.BaseResponse
	RequestId  string `json:"RequestId"`
	TotalCount int    `json:"TotalCount"`
	NextToken  string `json:"NextToken"`
	Instances  struct {
		Instance []apiInstance `json:"Instance"`
	} `json:"Instances"`
}

type ipSet struct {
	IpAddress []string `json:"IpAddress"`
}

// apiInstance is the part of DescribeInstances' Instance this package reads.
type apiInstance struct {
	InstanceId         string `json:"InstanceId"`
	InstanceName       string `json:"InstanceName"`
	RegionId           string `json:"RegionId"`
	ZoneId             string `json:"ZoneId"`
	Status             string `json:"Status"`
	InstanceChargeType string `json:"InstanceChargeType"`
	InstanceType       string `json:"InstanceType"`
	ImageId            string `json:"ImageId"`
	StoppedMode        string `json:"StoppedMode"`
	DeletionProtection bool   `json:"DeletionProtection"`
	CreationTime       string `json:"CreationTime"`
	StartTime          string `json:"StartTime"`
	AutoReleaseTime    string `json:"AutoReleaseTime"`
	Cpu                int    `json:"Cpu"`
	Memory             int    `json:"Memory"`
	Tags               struct {
		Tag []struct {
			TagKey   string `json:"TagKey"`
			TagValue string `json:"TagValue"`
		} `json:"Tag"`
	} `json:"Tags"`
	OperationLocks struct {
		LockReason []struct {
			LockReason string `json:"LockReason"`
		} `json:"LockReason"`
	} `json:"OperationLocks"`
	VpcAttributes struct {
		VpcId            string `json:"VpcId"`
		VSwitchId        string `json:"VSwitchId"`
		PrivateIpAddress ipSet  `json:"PrivateIpAddress"`
	} `json:"VpcAttributes"`
	SecurityGroupIds struct {
		SecurityGroupId []string `json:"SecurityGroupId"`
	} `json:"SecurityGroupIds"`
	PublicIpAddress ipSet `json:"PublicIpAddress"`
	EipAddress      struct {
		AllocationId string `json:"AllocationId"`
		IpAddress    string `json:"IpAddress"`
	} `json:"EipAddress"`
}

// --- StopInstances -------------------------------------------------------

type stopInstancesRequest struct {
	*requests.RpcRequest
	InstanceId        *[]string        `position:"Query" name:"InstanceId" type:"Repeated"`
	ForceStop         requests.Boolean `position:"Query" name:"ForceStop"`
	StoppedMode       string           `position:"Query" name:"StoppedMode"`
	BatchOptimization string           `position:"Query" name:"BatchOptimization"`
}

func newStopInstancesRequest() *stopInstancesRequest {
	return &stopInstancesRequest{RpcRequest: newRPC("StopInstances")}
}

type instanceResponse struct {
	InstanceId     string `json:"InstanceId"`
	Code           string `json:"Code"`
	Message        string `json:"Message"`
	PreviousStatus string `json:"PreviousStatus"`
	CurrentStatus  string `json:"CurrentStatus"`
}

type stopInstancesResponse struct {
	responses.BaseResponse
	RequestId         string `json:"RequestId"`
	InstanceResponses struct {
		InstanceResponse []instanceResponse `json:"InstanceResponse"`
	} `json:"InstanceResponses"`
}

// --- DeleteInstances -----------------------------------------------------

type deleteInstancesRequest struct {
	*requests.RpcRequest
	InstanceId  *[]string        `position:"Query" name:"InstanceId" type:"Repeated"`
	Force       requests.Boolean `position:"Query" name:"Force"`
	ClientToken string           `position:"Query" name:"ClientToken"`
}

func newDeleteInstancesRequest() *deleteInstancesRequest {
	return &deleteInstancesRequest{RpcRequest: newRPC("DeleteInstances")}
}

// requestIDResponse is the answer of actions that return only a RequestId.
type requestIDResponse struct {
	responses.BaseResponse
	RequestId string `json:"RequestId"`
}

// --- ModifyInstanceAutoReleaseTime ---------------------------------------

type modifyAutoReleaseTimeRequest struct {
	*requests.RpcRequest
	InstanceId string `position:"Query" name:"InstanceId"`
	// AutoReleaseTime left empty is not sent, which cancels auto-release.
	AutoReleaseTime string `position:"Query" name:"AutoReleaseTime"`
}

func newModifyAutoReleaseTimeRequest() *modifyAutoReleaseTimeRequest {
	return &modifyAutoReleaseTimeRequest{RpcRequest: newRPC("ModifyInstanceAutoReleaseTime")}
}

// --- DescribeDisks -------------------------------------------------------

type describeDisksRequest struct {
	*requests.RpcRequest
	InstanceId string           `position:"Query" name:"InstanceId"`
	MaxResults requests.Integer `position:"Query" name:"MaxResults"`
	NextToken  string           `position:"Query" name:"NextToken"`
	PageNumber requests.Integer `position:"Query" name:"PageNumber"`
	PageSize   requests.Integer `position:"Query" name:"PageSize"`
}

func newDescribeDisksRequest() *describeDisksRequest {
	return &describeDisksRequest{RpcRequest: newRPC("DescribeDisks")}
}

type describeDisksResponse struct {
	responses.BaseResponse
	RequestId  string `json:"RequestId"`
	NextToken  string `json:"NextToken"`
	TotalCount int    `json:"TotalCount"`
	Disks      struct {
		Disk []apiDisk `json:"Disk"`
	} `json:"Disks"`
}

// apiDisk is the part of DescribeDisks' Disk this package reads.
type apiDisk struct {
	DiskId             string `json:"DiskId"`
	InstanceId         string `json:"InstanceId"`
	Type               string `json:"Type"`
	Category           string `json:"Category"`
	PerformanceLevel   string `json:"PerformanceLevel"`
	Size               int    `json:"Size"`
	Device             string `json:"Device"`
	DeleteWithInstance bool   `json:"DeleteWithInstance"`
}

func (d apiDisk) disk() Disk {
	return Disk{ID: d.DiskId, InstanceID: d.InstanceId, Type: intern(d.Type), Category: intern(d.Category), PerformanceLevel: intern(d.PerformanceLevel),
		SizeGiB: d.Size, Device: intern(d.Device), DeleteWithInstance: d.DeleteWithInstance}
}

// --- CreateSnapshot / DescribeSnapshots ----------------------------------

type createSnapshotRequest struct {
	*requests.RpcRequest
	DiskId       string      `position:"Query" name:"DiskId"`
	SnapshotName string      `position:"Query" name:"SnapshotName"`
	Description  string      `position:"Query" name:"Description"`
	ClientToken  string      `position:"Query" name:"ClientToken"`
	Tag          *[]tagParam `position:"Query" name:"Tag" type:"Repeated"`
}

func newCreateSnapshotRequest() *createSnapshotRequest {
	return &createSnapshotRequest{RpcRequest: newRPC("CreateSnapshot")}
}

type createSnapshotResponse struct {
	responses.BaseResponse
	RequestId  string `json:"RequestId"`
	SnapshotId string `json:"SnapshotId"`
}

type describeSnapshotsRequest struct {
	*requests.RpcRequest
	SnapshotIds string           `position:"Query" name:"SnapshotIds"`
	InstanceId  string           `position:"Query" name:"InstanceId"`
	PageSize    requests.Integer `position:"Query" name:"PageSize"`
	MaxResults  requests.Integer `position:"Query" name:"MaxResults"`
	NextToken   string           `position:"Query" name:"NextToken"`
}

func newDescribeSnapshotsRequest() *describeSnapshotsRequest {
	return &describeSnapshotsRequest{RpcRequest: newRPC("DescribeSnapshots")}
}

type describeSnapshotsResponse struct {
	responses.BaseResponse
	RequestId string `json:"RequestId"`
	NextToken string `json:"NextToken"`
	Snapshots struct {
		Snapshot []struct {
			SnapshotId   string `json:"SnapshotId"`
			Status       string `json:"Status"`
			SourceDiskId string `json:"SourceDiskId"`
			CreationTime string `json:"CreationTime"`
			Tags         struct {
				Tag []struct {
					TagKey   string `json:"TagKey"`
					TagValue string `json:"TagValue"`
				} `json:"Tag"`
			} `json:"Tags"`
		} `json:"Snapshot"`
	} `json:"Snapshots"`
}

// --- TagResources / UntagResources ----------------------------------------

type tagResourcesRequest struct {
	*requests.RpcRequest
	ResourceType string      `position:"Query" name:"ResourceType"`
	ResourceId   *[]string   `position:"Query" name:"ResourceId" type:"Repeated"`
	Tag          *[]tagParam `position:"Query" name:"Tag" type:"Repeated"`
}

func newTagResourcesRequest() *tagResourcesRequest {
	return &tagResourcesRequest{RpcRequest: newRPC("TagResources")}
}

type untagResourcesRequest struct {
	*requests.RpcRequest
	ResourceType string    `position:"Query" name:"ResourceType"`
	ResourceId   *[]string `position:"Query" name:"ResourceId" type:"Repeated"`
	TagKey       *[]string `position:"Query" name:"TagKey" type:"Repeated"`
}

func newUntagResourcesRequest() *untagResourcesRequest {
	return &untagResourcesRequest{RpcRequest: newRPC("UntagResources")}
}

// --- the transport -------------------------------------------------------

// API sends the actions. sdkAPI is the real one; tests wrap it.
type API interface {
	DescribeInstances(*describeInstancesRequest) (*describeInstancesResponse, error)
	StopInstances(*stopInstancesRequest) (*stopInstancesResponse, error)
	DeleteInstances(*deleteInstancesRequest) (*requestIDResponse, error)
	ModifyInstanceAutoReleaseTime(*modifyAutoReleaseTimeRequest) (*requestIDResponse, error)
	DescribeDisks(*describeDisksRequest) (*describeDisksResponse, error)
	CreateSnapshot(*createSnapshotRequest) (*createSnapshotResponse, error)
	DescribeSnapshots(*describeSnapshotsRequest) (*describeSnapshotsResponse, error)
	TagResources(*tagResourcesRequest) (*requestIDResponse, error)
	UntagResources(*untagResourcesRequest) (*requestIDResponse, error)
	DescribePrice(*describePriceRequest) (*describePriceResponse, error)
	// DescribeMetricList is CloudMonitor's (cms.go), sent by a Client made
	// for it.
	DescribeMetricList(*describeMetricListRequest) (*describeMetricListResponse, error)
}

// sdkAPI sends through one SDK core client (not safe for concurrent use:
// the SDK writes each call's timeout into its shared http.Client).
type sdkAPI struct{ c *sdk.Client }

// send runs one action. Every response type embeds responses.BaseResponse
// by value, so a new one is ready for DoAction.
func send[R any](c *sdk.Client, req requests.AcsRequest) (*R, error) {
	resp := new(R)
	return resp, c.DoAction(req, any(resp).(responses.AcsResponse))
}

// sendPage runs one action whose answers are a fleet's pages
// (DescribeInstances: about 230 KB per 100 instances; DescribeDisks). The
// SDK sends it and checks the answer's status and error exactly as for any
// action, but leaves the body unparsed (a CommonResponse is not decoded);
// decodePage then reads it. At fleet scale this decoding was a fifth of the
// chain's CPU.
func sendPage[R any](c *sdk.Client, req requests.AcsRequest) (*R, error) {
	raw := responses.NewCommonResponse()
	if err := c.DoAction(req, raw); err != nil {
		return nil, err
	}
	resp := new(R)
	return resp, decodePage(raw.GetHttpContentBytes(), any(resp).(responses.AcsResponse), roomFor(req))
}

// pageAnswer is a page whose list can be given its room before it is
// decoded: go-json fills a list with room in place, where an empty one
// grows by doubling (twice its size in garbage, a sixth of a release's
// allocations at fleet scale).
type pageAnswer interface {
	makeRoom(n int)
	// leaveEmptyNil leaves an empty list nil, as the SDK leaves a list
	// the answer does not hold.
	leaveEmptyNil()
}

func (r *describeInstancesResponse) makeRoom(n int) {
	r.Instances.Instance = make([]apiInstance, 0, n)
}

func (r *describeInstancesResponse) leaveEmptyNil() {
	if len(r.Instances.Instance) == 0 {
		r.Instances.Instance = nil
	}
}

func (r *describeDisksResponse) makeRoom(n int) { r.Disks.Disk = make([]apiDisk, 0, n) }

func (r *describeDisksResponse) leaveEmptyNil() {
	if len(r.Disks.Disk) == 0 {
		r.Disks.Disk = nil
	}
}

// roomFor is the most a page read's answer holds: its PageSize or
// MaxResults (0: unknown).
func roomFor(req requests.AcsRequest) int {
	var sizes []requests.Integer
	switch r := req.(type) {
	case *describeInstancesRequest:
		sizes = []requests.Integer{r.PageSize, r.MaxResults}
	case *describeDisksRequest:
		sizes = []requests.Integer{r.PageSize, r.MaxResults}
	}
	room := 0
	for _, v := range sizes {
		if n, err := strconv.Atoi(string(v)); err == nil && n > room {
			room = n
		}
	}
	return min(room, maxPageRoom)
}

// maxPageRoom bounds the room made for a page (ECS's pages hold at most
// 100).
const maxPageRoom = 100

// minEntryBytes: no instance or disk of a page takes fewer bytes of its
// body, so a small body gets a small list.
const minEntryBytes = 256

// decodePage decodes a successful answer's body into resp. go-json decodes
// the documented types (numbers as numbers, strings as strings) in a third
// of the time of the SDK's json-iterator and with a sixth of its garbage,
// and copies every string it returns (nothing kept refers to the page). A
// body it refuses is decoded again by the SDK's own parser, whose fuzzy
// mode also takes a number written as a string and the reverse: every body
// the SDK reads is read, with the same result.
//
// room is how many entries the page can hold (see pageAnswer; 0: none made).
func decodePage(body []byte, resp responses.AcsResponse, room int) error {
	if len(body) == 0 {
		return nil
	}
	page, sized := resp.(pageAnswer)
	if sized && room > 0 {
		page.makeRoom(min(room, len(body)/minEntryBytes+1))
	}
	if fastDecode(body, resp) == nil {
		if sized {
			page.leaveEmptyNil()
		}
		return nil
	}
	// A failed decode may have filled part of resp: the SDK's parse starts
	// again from the zero value.
	reflect.ValueOf(resp).Elem().SetZero()
	hr := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
	return responses.Unmarshal(resp, hr, "JSON")
}

// fastDecode is decodePage's first decoder.
func fastDecode(body []byte, resp responses.AcsResponse) error { return gojson.Unmarshal(body, resp) }

func (a sdkAPI) DescribeInstances(r *describeInstancesRequest) (*describeInstancesResponse, error) {
	return sendPage[describeInstancesResponse](a.c, r)
}

func (a sdkAPI) StopInstances(r *stopInstancesRequest) (*stopInstancesResponse, error) {
	return send[stopInstancesResponse](a.c, r)
}

func (a sdkAPI) DeleteInstances(r *deleteInstancesRequest) (*requestIDResponse, error) {
	return send[requestIDResponse](a.c, r)
}

func (a sdkAPI) ModifyInstanceAutoReleaseTime(r *modifyAutoReleaseTimeRequest) (*requestIDResponse, error) {
	return send[requestIDResponse](a.c, r)
}

func (a sdkAPI) DescribeDisks(r *describeDisksRequest) (*describeDisksResponse, error) {
	return sendPage[describeDisksResponse](a.c, r)
}

func (a sdkAPI) CreateSnapshot(r *createSnapshotRequest) (*createSnapshotResponse, error) {
	return send[createSnapshotResponse](a.c, r)
}

func (a sdkAPI) DescribeSnapshots(r *describeSnapshotsRequest) (*describeSnapshotsResponse, error) {
	return send[describeSnapshotsResponse](a.c, r)
}

func (a sdkAPI) TagResources(r *tagResourcesRequest) (*requestIDResponse, error) {
	return send[requestIDResponse](a.c, r)
}

func (a sdkAPI) UntagResources(r *untagResourcesRequest) (*requestIDResponse, error) {
	return send[requestIDResponse](a.c, r)
}
