package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
)

// CloudMonitor (CMS, API version 2019-01-01): the metrics the idle policy
// reads, through the same SDK core, rate limiting and retries as ECS — on
// a Client of its own (see NewMetricsForInvocation), whose limit is
// CloudMonitor's.
const (
	cmsProduct = "Cms"
	cmsVersion = "2019-01-01"
	// MaxMetricInstances is how many instances one DescribeMetricList
	// names in Dimensions (CloudMonitor's documented batch limit).
	MaxMetricInstances = 50
	// MetricPageLength is the page size asked for (Length). CloudMonitor
	// documents 1000 as the default; 1440 as the largest page is
	// UNCONFIRMED (the emulator enforces it).
	MetricPageLength = 1440
	// MaxMetricSpan is the longest interval one query may cover.
	MaxMetricSpan = 31 * 24 * time.Hour
)

type describeMetricListRequest struct {
	*requests.RpcRequest
	Namespace  string `position:"Query" name:"Namespace"`
	MetricName string `position:"Query" name:"MetricName"`
	Period     string `position:"Query" name:"Period"`
	StartTime  string `position:"Query" name:"StartTime"`
	EndTime    string `position:"Query" name:"EndTime"`
	Dimensions string `position:"Query" name:"Dimensions"`
	Length     string `position:"Query" name:"Length"`
	NextToken  string `position:"Query" name:"NextToken"`
}

type describeMetricListResponse struct {
	responses.BaseResponse
	RequestId string `json:"RequestId"`
	// Code is "200" on success; CloudMonitor may answer an error with
	// HTTP 200, Success false and the code here.
	Code       string `json:"Code"`
	Message    string `json:"Message"`
	Success    bool   `json:"Success"`
	NextToken  string `json:"NextToken"`
	Period     string `json:"Period"`
	Datapoints string `json:"Datapoints"`
}

func (a sdkAPI) DescribeMetricList(r *describeMetricListRequest) (*describeMetricListResponse, error) {
	resp, err := send[describeMetricListResponse](a.c, r)
	if err != nil {
		return nil, err
	}
	if !resp.Success && resp.Code != "" && resp.Code != "200" {
		status, _ := strconv.Atoi(resp.Code)
		return nil, &APIError{Action: "DescribeMetricList", Code: resp.Code, Message: firstLine(resp.Message), RequestID: resp.RequestId,
			HTTPStatus: status, class: cmsClass(resp.Code, resp.Message, status)}
	}
	return resp, nil
}

// cmsClass classes an error CloudMonitor put in an HTTP 200 answer: its
// code is an HTTP status ("400", "500"), or a named code
// (Throttling.User).
func cmsClass(code, message string, status int) error {
	if status == 429 || message == "Request was denied due to user flow control." {
		return ErrThrottled
	}
	return classOf(code, status)
}

// MetricPoint is one CloudMonitor datapoint of an instance.
type MetricPoint struct {
	InstanceID string
	At         time.Time
	Minimum    float64
	Average    float64
	Maximum    float64
}

// MetricQuery reads one metric of some instances over (Start, End].
type MetricQuery struct {
	Namespace, Metric string
	Period            time.Duration
	Start, End        time.Time
	InstanceIDs       []string
}

// MetricList reads q's datapoints: batches of MaxMetricInstances instances,
// slices of at most MaxMetricSpan, every page (NextToken), concurrently
// within the client's limits. each gets the datapoints of one page, one
// instance at a time — an instance's datapoints may come in several calls,
// never twice — and calls are serialized (it need not lock). Nothing is
// kept once it has seen them, so a fleet's series are never held at once.
// Any read that fails after its retries fails the whole query (each may
// have seen part of the data by then: the caller must then judge nothing).
func (c *Client) MetricList(ctx context.Context, q MetricQuery, each func(instanceID string, points []MetricPoint)) error {
	type job struct {
		ids        []string
		start, end time.Time
	}
	var jobs []job
	for _, ids := range chunks(q.InstanceIDs, MaxMetricInstances) {
		for s := q.Start; s.Before(q.End); s = s.Add(MaxMetricSpan) {
			jobs = append(jobs, job{ids, s, minTime(s.Add(MaxMetricSpan), q.End)})
		}
	}
	var mu sync.Mutex
	page := func(points []MetricPoint) {
		byID := map[string][]MetricPoint{}
		var order []string
		for _, p := range points {
			if byID[p.InstanceID] == nil {
				order = append(order, p.InstanceID)
			}
			byID[p.InstanceID] = append(byID[p.InstanceID], p)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, id := range order {
			each(id, byID[id])
		}
	}
	errs := make([]error, len(jobs))
	c.parallel(len(jobs), func(i int) {
		errs[i] = c.metricPages(ctx, q, jobs[i].ids, jobs[i].start, jobs[i].end, page)
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// metricPages reads every page of one batch and slice, handing each page's
// datapoints of the batch's instances to page.
func (c *Client) metricPages(ctx context.Context, q MetricQuery, ids []string, start, end time.Time, page func([]MetricPoint)) error {
	dims := make([]map[string]string, len(ids))
	want := make(map[string]bool, len(ids))
	for i, id := range ids {
		dims[i] = map[string]string{"instanceId": id}
		want[id] = true
	}
	rawDims, _ := json.Marshal(dims)
	token := ""
	for n := 0; ; n++ {
		req := &describeMetricListRequest{RpcRequest: &requests.RpcRequest{}}
		req.InitWithApiInfo(cmsProduct, cmsVersion, "DescribeMetricList", "cms", "openAPI")
		req.Method = requests.POST
		if c.cfg.Endpoint.Host == "" {
			// CloudMonitor's regional endpoint (the SDK's rule would
			// name cms.<region>, which does not serve these actions).
			req.Domain = "metrics." + c.cfg.Region + ".aliyuncs.com"
		}
		req.Namespace, req.MetricName = q.Namespace, q.Metric
		req.Period = strconv.Itoa(int(q.Period / time.Second))
		req.StartTime, req.EndTime = strconv.FormatInt(start.UnixMilli(), 10), strconv.FormatInt(end.UnixMilli(), 10)
		req.Dimensions, req.Length, req.NextToken = string(rawDims), strconv.Itoa(MetricPageLength), token
		resp, err := do(ctx, c, "DescribeMetricList", req, API.DescribeMetricList)
		if err != nil {
			return err
		}
		points, err := parseDatapoints(resp.Datapoints)
		if err != nil {
			return &APIError{Action: "DescribeMetricList", Code: "InvalidResponse", Message: err.Error(), RequestID: resp.RequestId, class: ErrOther}
		}
		points = slices.DeleteFunc(points, func(p MetricPoint) bool { return !want[p.InstanceID] })
		page(points)
		if resp.NextToken == "" || resp.NextToken == token || n > 10_000 {
			return nil
		}
		token = resp.NextToken
	}
}

// parseDatapoints reads the Datapoints string: a JSON array of
// {timestamp (ms), instanceId, Minimum, Average, Maximum, ...}. Plain
// fields, not pointers: a page holds up to 1,440 of them, and a fleet's
// read decodes thousands of pages. A datapoint without a timestamp or an
// instance is refused (a missing statistic reads as 0, which is never
// taken for busy: CloudMonitor always sends all three for these metrics).
func parseDatapoints(s string) ([]MetricPoint, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var raw []struct {
		Timestamp  int64   `json:"timestamp"`
		InstanceID string  `json:"instanceId"`
		Minimum    float64 `json:"Minimum"`
		Average    float64 `json:"Average"`
		Maximum    float64 `json:"Maximum"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("the Datapoints string is not a JSON array of datapoints: %w", err)
	}
	out := make([]MetricPoint, len(raw))
	for i, r := range raw {
		if r.Timestamp <= 0 || r.InstanceID == "" {
			return nil, fmt.Errorf("a datapoint lacks its timestamp or instanceId")
		}
		out[i] = MetricPoint{InstanceID: r.InstanceID, At: time.UnixMilli(r.Timestamp).UTC(), Minimum: r.Minimum, Average: r.Average, Maximum: r.Maximum}
	}
	return out, nil
}
