package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
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
// within the client's limits. Any read that fails after its retries fails
// the whole query: an instance is never judged on part of its data.
func (c *Client) MetricList(ctx context.Context, q MetricQuery) (map[string][]MetricPoint, error) {
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
	out := make(map[string][]MetricPoint, len(q.InstanceIDs))
	results := make([][]MetricPoint, len(jobs))
	errs := make([]error, len(jobs))
	c.parallel(len(jobs), func(i int) {
		results[i], errs[i] = c.metricPages(ctx, q, jobs[i].ids, jobs[i].start, jobs[i].end)
	})
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		for _, p := range results[i] {
			out[p.InstanceID] = append(out[p.InstanceID], p)
		}
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// metricPages reads every page of one batch and slice.
func (c *Client) metricPages(ctx context.Context, q MetricQuery, ids []string, start, end time.Time) ([]MetricPoint, error) {
	dims := make([]map[string]string, len(ids))
	want := make(map[string]bool, len(ids))
	for i, id := range ids {
		dims[i] = map[string]string{"instanceId": id}
		want[id] = true
	}
	rawDims, _ := json.Marshal(dims)
	var out []MetricPoint
	token := ""
	for page := 0; ; page++ {
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
			return nil, err
		}
		points, err := parseDatapoints(resp.Datapoints)
		if err != nil {
			return nil, &APIError{Action: "DescribeMetricList", Code: "InvalidResponse", Message: err.Error(), RequestID: resp.RequestId, class: ErrOther}
		}
		for _, p := range points {
			if want[p.InstanceID] {
				out = append(out, p)
			}
		}
		if resp.NextToken == "" || resp.NextToken == token || page > 10_000 {
			return out, nil
		}
		token = resp.NextToken
	}
}

// parseDatapoints reads the Datapoints string: a JSON array of
// {timestamp (ms), instanceId, Minimum, Average, Maximum, ...}.
func parseDatapoints(s string) ([]MetricPoint, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var raw []struct {
		Timestamp  json.Number `json:"timestamp"`
		InstanceID string      `json:"instanceId"`
		Minimum    *float64    `json:"Minimum"`
		Average    *float64    `json:"Average"`
		Maximum    *float64    `json:"Maximum"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("Datapoints is not a JSON array of datapoints: %w", err)
	}
	out := make([]MetricPoint, 0, len(raw))
	for _, r := range raw {
		ms, err := r.Timestamp.Int64()
		if err != nil || r.Maximum == nil || r.Average == nil {
			return nil, fmt.Errorf("a datapoint of %q lacks its timestamp, Maximum or Average", r.InstanceID)
		}
		p := MetricPoint{InstanceID: r.InstanceID, At: time.UnixMilli(ms).UTC(), Average: *r.Average, Maximum: *r.Maximum}
		if r.Minimum != nil {
			p.Minimum = *r.Minimum
		}
		out = append(out, p)
	}
	return out, nil
}
