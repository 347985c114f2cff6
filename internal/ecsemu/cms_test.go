package ecsemu_test

// CloudMonitor (CMS 2019-01-01) on the emulator's listener: conformance
// through the classic SDK's services/cms (no generated v7-style CMS SDK is
// served by the module proxy, so V3 is tested with hand-signed requests).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// cmsPoint is one datapoint as the Datapoints string carries it.
type cmsPoint struct {
	Timestamp  int64   `json:"timestamp"`
	UserID     string  `json:"userId"`
	InstanceID string  `json:"instanceId"`
	Minimum    float64 `json:"Minimum"`
	Average    float64 `json:"Average"`
	Maximum    float64 `json:"Maximum"`
}

// metricReq is a DescribeMetricList request; zero values are not sent.
type metricReq struct {
	Namespace, Metric, Period, Start, End, Dimensions, Length, NextToken, Express string
	Last                                                                          bool
}

func (q metricReq) request() *cms.DescribeMetricListRequest {
	r := cms.CreateDescribeMetricListRequest()
	r.Namespace = q.Namespace
	if r.Namespace == "" {
		r.Namespace = ecsemu.NamespaceECS
	}
	r.MetricName, r.Period, r.StartTime, r.EndTime = q.Metric, q.Period, q.Start, q.End
	r.Dimensions, r.Length, r.NextToken, r.Express = q.Dimensions, q.Length, q.NextToken, q.Express
	return r
}

// metricAnswer is an answer strictly decoded into the SDK's response
// model, and its datapoints.
type metricAnswer struct {
	resp   *cms.DescribeMetricListResponse
	points []cmsPoint
	status int
}

// strictDecodeTB decodes body into v, refusing unknown fields.
func strictDecodeTB(t testing.TB, body []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(v), "body %s", body)
}

// describeMetrics calls DescribeMetricList (or DescribeMetricLast) through
// the classic SDK and strictly decodes the answer.
func describeMetrics(t testing.TB, c *cms.Client, q metricReq) (metricAnswer, error) {
	t.Helper()
	var body []byte
	var status int
	if q.Last {
		r := cms.CreateDescribeMetricLastRequest()
		lr := q.request()
		r.Namespace, r.MetricName, r.Period, r.StartTime, r.EndTime = lr.Namespace, lr.MetricName, lr.Period, lr.StartTime, lr.EndTime
		r.Dimensions, r.Length, r.NextToken, r.Express = lr.Dimensions, lr.Length, lr.NextToken, lr.Express
		resp, err := c.DescribeMetricLast(r)
		if err != nil {
			return metricAnswer{}, err
		}
		body, status = resp.GetHttpContentBytes(), resp.GetHttpStatus()
	} else {
		resp, err := c.DescribeMetricList(q.request())
		if err != nil {
			return metricAnswer{}, err
		}
		body, status = resp.GetHttpContentBytes(), resp.GetHttpStatus()
	}
	out := metricAnswer{resp: &cms.DescribeMetricListResponse{}, status: status}
	strictDecodeTB(t, body, out.resp)
	if out.resp.Success {
		dec := json.NewDecoder(strings.NewReader(out.resp.Datapoints))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&out.points), "Datapoints %s", out.resp.Datapoints)
		require.NotNil(t, out.points, "Datapoints is a JSON array, never null")
	}
	return out, nil
}

// okMetrics is describeMetrics that must succeed.
func okMetrics(t testing.TB, c *cms.Client, q metricReq) metricAnswer {
	t.Helper()
	a, err := describeMetrics(t, c, q)
	require.NoError(t, err)
	require.True(t, a.resp.Success, "Code %s Message %s", a.resp.Code, a.resp.Message)
	assert.Equal(t, "200", a.resp.Code)
	assert.NotEmpty(t, a.resp.RequestId)
	return a
}

// failedMetrics is describeMetrics that must fail in the body (HTTP 200,
// Success false, Code "400") with a message naming param.
func failedMetrics(t testing.TB, c *cms.Client, q metricReq, param string) {
	t.Helper()
	a, err := describeMetrics(t, c, q)
	require.NoError(t, err, "CloudMonitor's parameter failures come in an HTTP 200 body")
	assert.Equal(t, http.StatusOK, a.status)
	assert.False(t, a.resp.Success)
	assert.Equal(t, "400", a.resp.Code)
	assert.Contains(t, a.resp.Message, param)
	assert.NotEmpty(t, a.resp.RequestId)
	assert.Empty(t, a.resp.Datapoints)
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func dims(ids ...string) string {
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf(`{"instanceId":%q}`, id))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// timestamps lists the points' times.
func timestamps(points []cmsPoint) []time.Time {
	var out []time.Time
	for _, p := range points {
		out = append(out, time.UnixMilli(p.Timestamp).UTC())
	}
	return out
}

// minutes lists every minute from a (included) to b (excluded).
func minutes(a, b time.Time) []time.Time {
	var out []time.Time
	for t := a; t.Before(b); t = t.Add(time.Minute) {
		out = append(out, t)
	}
	return out
}

// old is a creation time a day before the fake clock's epoch.
var old = ecsemutest.Epoch.Add(-24 * time.Hour)

func TestCMSDescribeMetricListClassicSDK(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	ids := env.AddFleet(t, ecsemu.Instance{InstanceId: "i-busy", CreationTime: ts(old)})
	c := env.NewCMSClient(t, region)
	now := env.Emu.Now()
	a := okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims(ids...), Start: ms(now.Add(-10 * time.Minute)), End: ms(now)})
	assert.Equal(t, "60", a.resp.Period)
	assert.Empty(t, a.resp.NextToken)
	assert.Equal(t, 200, a.status)
	// (start, end], complete minutes only: 11:51 … 11:59.
	assert.Equal(t, minutes(now.Add(-9*time.Minute), now), timestamps(a.points))
	for _, p := range a.points {
		assert.Equal(t, env.Emu.AccountID(), p.UserID)
		assert.Equal(t, "i-busy", p.InstanceID)
		assert.True(t, p.Average >= 35 && p.Average <= 80, "busy CPU %v", p.Average)
		assert.Equal(t, p.Average, p.Minimum)
		assert.Equal(t, p.Average, p.Maximum)
	}
	// The other time format, the same points; deterministic.
	b := okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: `{"instanceId":"i-busy"}`, Start: ts(now.Add(-10 * time.Minute)), End: ts(now)})
	assert.Equal(t, a.points, b.points)
	// Defaults: the last hour up to now; a network metric in bit/s.
	d := okMetrics(t, c, metricReq{Metric: "IntranetOutRate", Dimensions: dims(ids...)})
	require.Len(t, d.points, 59)
	for _, p := range d.points {
		assert.True(t, p.Average >= 2e6 && p.Average <= 8e6, "busy network %v", p.Average)
	}
	// Another namespace has no data; an unserved metric is refused.
	e := okMetrics(t, c, metricReq{Namespace: "acs_rds_dashboard", Metric: "CpuUsage"})
	assert.Empty(t, e.points)
	_, err := describeMetrics(t, c, metricReq{Metric: "memory_usedutilization"})
	requireCMSServerError(t, err, http.StatusBadRequest, "Emulator.UnsupportedMetric")
	_, err = describeMetrics(t, c, metricReq{Metric: "CPUUtilization", Express: `{"groupby":["instanceId"]}`})
	se := requireCMSServerError(t, err, http.StatusBadRequest, "Emulator.UnsupportedParameter")
	assert.Contains(t, se.Message(), "Express")
	_, err = describeMetrics(t, c, metricReq{Metric: ""})
	requireCMSServerError(t, err, http.StatusBadRequest, "MissingParameter")
}

func requireCMSServerError(t testing.TB, err error, status int, code string) interface{ Message() string } {
	t.Helper()
	se := requireServerError(t, err, status, code)
	assert.Contains(t, se.Recommend(), "product=Cms")
	return se
}

func TestCMSPagingAndDimensions(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	fleet := make([]ecsemu.Instance, 51)
	var ids []string
	for i := range fleet {
		fleet[i] = ecsemu.Instance{InstanceId: fmt.Sprintf("i-p%02d", i), CreationTime: ts(old)}
		ids = append(ids, fleet[i].InstanceId)
	}
	env.AddFleet(t, fleet...)
	c := env.NewCMSClient(t, region)
	now := env.Emu.Now()
	q := metricReq{Metric: "CPUUtilization", Dimensions: dims("i-p02", "i-p00", "i-p01"), Start: ms(now.Add(-60 * time.Minute)), End: ms(now)}
	all := okMetrics(t, c, q)
	require.Len(t, all.points, 3*59)
	for i, p := range all.points {
		// Sorted by instance, then timestamp.
		assert.Equal(t, fmt.Sprintf("i-p%02d", i/59), p.InstanceID)
		assert.Equal(t, now.Add(time.Duration(i%59-59)*time.Minute).UnixMilli(), p.Timestamp)
	}
	var paged []cmsPoint
	q.Length = "50"
	pages := 0
	for {
		a := okMetrics(t, c, q)
		pages++
		assert.LessOrEqual(t, len(a.points), 50)
		paged = append(paged, a.points...)
		if a.resp.NextToken == "" {
			break
		}
		q.NextToken = a.resp.NextToken
	}
	assert.Equal(t, 4, pages)
	assert.Equal(t, all.points, paged)
	// Exactly a page: no NextToken.
	exact := okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims("i-p00"), Start: ms(now.Add(-60 * time.Minute)), End: ms(now), Length: "59"})
	assert.Len(t, exact.points, 59)
	assert.Empty(t, exact.resp.NextToken)

	// 50 instances in one request; 51 is refused, naming Dimensions.
	fifty := okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims(ids[:50]...), Period: "300", Start: ms(now.Add(-60 * time.Minute)), End: ms(now)})
	assert.Len(t, fifty.points, 50*11)
	failedMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims(ids...)}, "Dimensions")
	failedMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: `[{"instanceId":`}, "Dimensions")
	failedMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: `[{"device":"/dev/vda"}]`}, "Dimensions")
	// Unknown instances have no points.
	none := okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims("i-nosuch")})
	assert.Empty(t, none.points)
	// Times, Period, Length, NextToken.
	failedMetrics(t, c, metricReq{Metric: "CPUUtilization", Start: ms(now), End: ms(now)}, "StartTime")
	failedMetrics(t, c, metricReq{Metric: "CPUUtilization", Start: ms(now), End: ms(now.Add(-time.Minute))}, "StartTime")
	failedMetrics(t, c, metricReq{Metric: "CPUUtilization", Start: ms(now.Add(-32 * 24 * time.Hour)), End: ms(now)}, "EndTime")
	okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims("i-p00"), Start: ms(now.Add(-31 * 24 * time.Hour)), End: ms(now)})
	failedMetrics(t, c, metricReq{Metric: "CPUUtilization", Start: "2026-11-26 10:00:00"}, "StartTime")
	failedMetrics(t, c, metricReq{Metric: "CPUUtilization", Period: "120"}, "Period")
	failedMetrics(t, c, metricReq{Metric: "CPUUtilization", Length: "1441"}, "Length")
	failedMetrics(t, c, metricReq{Metric: "CPUUtilization", NextToken: "garbage"}, "NextToken")
	// A failure in the body is recorded with its code.
	calls := env.Emu.Calls()
	last := calls[len(calls)-1]
	assert.Equal(t, "DescribeMetricList", last.Action)
	assert.Equal(t, 200, last.Status)
	assert.Equal(t, "400", last.Code)
}

func TestCMSPeriodAggregation(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-agg", CreationTime: ts(old)})
	c := env.NewCMSClient(t, region)
	now := env.Emu.Now()
	start := now.Add(-2 * time.Hour)
	byMinute := map[int64]float64{}
	for _, p := range okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims("i-agg"), Start: ms(start.Add(-time.Minute)), End: ms(now)}).points {
		byMinute[p.Timestamp] = p.Average
	}
	require.Len(t, byMinute, 120)
	for _, period := range []int{300, 900} {
		a := okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims("i-agg"), Period: strconv.Itoa(period), Start: ms(start.Add(-time.Minute)), End: ms(now)})
		assert.Equal(t, strconv.Itoa(period), a.resp.Period)
		require.Len(t, a.points, 7200/period, "period %d", period)
		for _, p := range a.points {
			assert.Zero(t, p.Timestamp%int64(period*1000), "aligned to the period")
			lo, hi, sum := 1e9, -1.0, 0.0
			for m := range period / 60 {
				v, ok := byMinute[p.Timestamp+int64(m)*60_000]
				require.True(t, ok)
				lo, hi, sum = min(lo, v), max(hi, v), sum+v
			}
			assert.Equal(t, lo, p.Minimum)
			assert.Equal(t, hi, p.Maximum)
			assert.InDelta(t, sum/float64(period/60), p.Average, 0.006)
			assert.Less(t, p.Minimum, p.Maximum, "busy minutes differ")
		}
	}
}

func TestCMSPointsOnlyWhileRunning(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t,
		ecsemu.Instance{InstanceId: "i-gap", CreationTime: ts(old)},
		ecsemu.Instance{InstanceId: "i-stopped", Status: ecsemu.StatusStopped, CreationTime: ts(ecsemutest.Epoch.Add(-3 * time.Hour)), StoppedTime: ts(ecsemutest.Epoch.Add(-2 * time.Hour))},
		ecsemu.Instance{InstanceId: "i-stopnow", Status: ecsemu.StatusStopped, CreationTime: ts(ecsemutest.Epoch.Add(-30 * time.Minute))},
	)
	c := env.NewCMSClient(t, region)
	e0 := env.Emu.Now()
	require.NoError(t, env.Emu.Advance(10*time.Minute))
	_, err := env.Client.StopInstance(stopReq("i-gap"))
	require.NoError(t, err)
	require.NoError(t, env.Emu.Advance(10*time.Minute+30*time.Second))
	_, err = env.Client.StartInstance(startReq("i-gap"))
	require.NoError(t, err)
	// A new instance: points only from the first whole minute it runs.
	run := ecsRunInstances(t, env)
	require.NoError(t, env.Emu.Advance(9*time.Minute+30*time.Second))
	now := env.Emu.Now()
	require.Equal(t, e0.Add(30*time.Minute), now)

	q := metricReq{Metric: "CPUUtilization", Dimensions: dims("i-gap"), Start: ms(e0.Add(-5 * time.Minute)), End: ms(now)}
	got := timestamps(okMetrics(t, c, q).points)
	want := append(minutes(e0.Add(-4*time.Minute), e0.Add(10*time.Minute)), minutes(e0.Add(21*time.Minute), now)...)
	assert.Equal(t, want, got, "stopped at +10m, started at +20m30s")

	got = timestamps(okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims(run), Start: ms(e0), End: ms(now)}).points)
	assert.Equal(t, minutes(e0.Add(21*time.Minute), now), got, "run at +20m30s")

	got = timestamps(okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims("i-stopped"), Start: ms(e0.Add(-4 * time.Hour)), End: ms(now)}).points)
	assert.Equal(t, minutes(e0.Add(-3*time.Hour), e0.Add(-2*time.Hour)), got, "CreationTime to StoppedTime")
	got = timestamps(okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims("i-stopnow"), Start: ms(e0.Add(-4 * time.Hour)), End: ms(now)}).points)
	assert.Equal(t, minutes(e0.Add(-30*time.Minute), e0), got, "StoppedTime defaults to the load time")

	// Released: the points of its life stay; none after.
	_, err = env.Client.DeleteInstance(deleteReq("i-gap", true))
	require.NoError(t, err)
	require.NoError(t, env.Emu.Advance(5*time.Minute))
	got = timestamps(okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims("i-gap"), Start: ms(e0.Add(15 * time.Minute)), End: ms(env.Emu.Now())}).points)
	assert.Equal(t, minutes(e0.Add(21*time.Minute), now), got)

	// DescribeMetricLast: each instance's latest point.
	last := okMetrics(t, c, metricReq{Last: true, Metric: "CPUUtilization", Dimensions: dims("i-gap", run, "i-stopped"), Start: ms(e0.Add(-4 * time.Hour)), End: ms(env.Emu.Now())})
	require.Len(t, last.points, 3)
	latest := map[string]int64{}
	var order []string
	for _, p := range last.points {
		latest[p.InstanceID] = p.Timestamp
		order = append(order, p.InstanceID)
	}
	assert.True(t, slices.IsSorted(order), "sorted by instance ID: %v", order)
	assert.Equal(t, map[string]int64{
		"i-gap":     now.Add(-time.Minute).UnixMilli(),
		"i-stopped": e0.Add(-2*time.Hour - time.Minute).UnixMilli(),
		run:         env.Emu.Now().Add(-time.Minute).UnixMilli(),
	}, latest)
	// Paged one by one.
	var paged []cmsPoint
	lq := metricReq{Last: true, Metric: "CPUUtilization", Dimensions: dims("i-gap", run, "i-stopped"), Start: ms(e0.Add(-4 * time.Hour)), End: ms(env.Emu.Now()), Length: "1"}
	for {
		a := okMetrics(t, c, lq)
		paged = append(paged, a.points...)
		if a.resp.NextToken == "" {
			break
		}
		lq.NextToken = a.resp.NextToken
	}
	assert.Equal(t, last.points, paged)
}

// ecsRunInstances launches one default instance through the SDK.
func ecsRunInstances(t *testing.T, env *ecsemutest.Env) string {
	t.Helper()
	req := ecsRunRequest()
	resp, err := env.Client.RunInstances(req)
	require.NoError(t, err)
	require.Len(t, resp.InstanceIdSets.InstanceIdSet, 1)
	return resp.InstanceIdSets.InstanceIdSet[0]
}

func TestCMSClockMovesNewPoints(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-clock"})
	c := env.NewCMSClient(t, region)
	q := metricReq{Metric: "CPUUtilization", Dimensions: dims("i-clock")}
	assert.Empty(t, okMetrics(t, c, q).points, "created now: no whole minute yet")
	env.Clock.Advance(3*time.Minute + 10*time.Second)
	assert.Len(t, okMetrics(t, c, q).points, 3, "the fake clock drives the series")
	require.NoError(t, env.Emu.Advance(2*time.Minute))
	assert.Len(t, okMetrics(t, c, q).points, 5)
	q.Period = "300"
	assert.Len(t, okMetrics(t, c, q).points, 1)
}

func TestCMSPublicMetricsFollowAddressAndNetwork(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	vpcEIP := ecsemu.Instance{InstanceId: "i-vpceip", CreationTime: ts(old)}
	vpcEIP.EipAddress.IpAddress = "47.0.0.1"
	vpcPub := ecsemu.Instance{InstanceId: "i-vpcpub", CreationTime: ts(old)}
	vpcPub.PublicIpAddress.IpAddress = []string{"47.0.0.2"}
	classicPub := ecsemu.Instance{InstanceId: "i-clpub", InstanceNetworkType: ecsemu.NetworkClassic, CreationTime: ts(old)}
	classicPub.PublicIpAddress.IpAddress = []string{"47.0.0.3"}
	private := ecsemu.Instance{InstanceId: "i-private", CreationTime: ts(old)}
	classicPrivate := ecsemu.Instance{InstanceId: "i-clpriv", InstanceNetworkType: ecsemu.NetworkClassic, CreationTime: ts(old)}
	env.AddFleet(t, vpcEIP, vpcPub, classicPub, private, classicPrivate)
	c := env.NewCMSClient(t, region)
	all := dims("i-vpceip", "i-vpcpub", "i-clpub", "i-private", "i-clpriv")
	instancesWith := func(metric string) []string {
		seen := map[string]bool{}
		out := []string{}
		for _, p := range okMetrics(t, c, metricReq{Metric: metric, Dimensions: all, Start: ms(env.Emu.Now().Add(-5 * time.Minute))}).points {
			if !seen[p.InstanceID] {
				seen[p.InstanceID] = true
				out = append(out, p.InstanceID)
			}
		}
		return out
	}
	for _, m := range []string{"CPUUtilization", "IntranetInRate", "IntranetOutRate"} {
		assert.Equal(t, []string{"i-clpriv", "i-clpub", "i-private", "i-vpceip", "i-vpcpub"}, instancesWith(m), m)
	}
	for _, m := range []string{"InternetInRate", "InternetOutRate"} {
		assert.Equal(t, []string{"i-clpub"}, instancesWith(m), m)
	}
	for _, m := range []string{"VPC_PublicIP_InternetInRate", "VPC_PublicIP_InternetOutRate"} {
		assert.Equal(t, []string{"i-vpceip", "i-vpcpub"}, instancesWith(m), m)
	}
	// Without Dimensions: every instance of the region.
	assert.Equal(t, []string{"i-vpceip", "i-vpcpub"}, func() []string {
		var out []string
		for _, p := range okMetrics(t, c, metricReq{Metric: "VPC_PublicIP_InternetOutRate", Start: ms(env.Emu.Now().Add(-time.Minute - time.Second))}).points {
			out = append(out, p.InstanceID)
		}
		return out
	}())
	// An explicit point of a metric the instance does not report is refused.
	err := env.Emu.SetMetrics("i-private", ecsemu.MetricSpec{Points: []ecsemu.MetricPoint{{Metric: "VPC_PublicIP_InternetInRate", At: "2026-11-26T11:00:00Z", Value: 1}}})
	assert.ErrorContains(t, err, "VPC_PublicIP_InternetInRate")
}

func TestCMSProfiles(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	spikyDay := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	env.AddFleet(t,
		ecsemu.Instance{InstanceId: "i-idle", CreationTime: ts(old), Metrics: &ecsemu.MetricSpec{Profile: ecsemu.ProfileIdle}},
		ecsemu.Instance{InstanceId: "i-spiky", CreationTime: ts(old), Metrics: &ecsemu.MetricSpec{Profile: ecsemu.ProfileSpiky}},
		ecsemu.Instance{InstanceId: "i-nodata", CreationTime: ts(old), Metrics: &ecsemu.MetricSpec{Profile: ecsemu.ProfileNoData}},
		ecsemu.Instance{InstanceId: "i-const", CreationTime: ts(old), Metrics: &ecsemu.MetricSpec{CPU: new(float64(0.5)), NetworkBps: new(float64(1234))}},
		ecsemu.Instance{InstanceId: "i-points", CreationTime: ts(old), Metrics: &ecsemu.MetricSpec{Profile: ecsemu.ProfileIdle, Points: []ecsemu.MetricPoint{
			{Metric: "CPUUtilization", At: "2026-11-26T11:00:00Z", Value: 99.5},
			{Metric: "IntranetInRate", At: "2026-11-26T11:01Z", Value: 42},
		}}},
	)
	require.NoError(t, env.Emu.Advance(3*time.Hour)) // past 14:05 UTC
	c := env.NewCMSClient(t, region)
	now := env.Emu.Now()
	day := func(metric, id string) []cmsPoint {
		return okMetrics(t, c, metricReq{Metric: metric, Dimensions: dims(id), Start: ms(now.Add(-20 * time.Hour)), End: ms(now), Length: "1440"}).points
	}
	for _, p := range day("CPUUtilization", "i-idle") {
		assert.True(t, p.Average >= 0.2 && p.Average <= 1.5, "idle CPU %v", p.Average)
	}
	for _, p := range day("IntranetOutRate", "i-idle") {
		assert.True(t, p.Average >= 200 && p.Average <= 2000, "idle network %v", p.Average)
	}
	spike := spikyDay.Add(14*time.Hour + 5*time.Minute).UnixMilli()
	spikes := 0
	for _, p := range day("CPUUtilization", "i-spiky") {
		if p.Timestamp == spike {
			assert.Equal(t, 93.0, p.Average)
			spikes++
		} else {
			assert.True(t, p.Average >= 0.2 && p.Average <= 1.5, "spiky's quiet CPU %v", p.Average)
		}
	}
	assert.Equal(t, 1, spikes)
	for _, p := range day("InternetOutRate", "i-spiky") {
		t.Fatalf("a VPC instance without a public address has no InternetOutRate: %v", p)
	}
	for _, p := range day("IntranetInRate", "i-spiky") {
		if p.Timestamp == spike {
			assert.Equal(t, 20e6, p.Average)
		}
	}
	agg := okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims("i-spiky"), Period: "900", Start: ms(spikyDay.Add(13*time.Hour + 45*time.Minute)), End: ms(spikyDay.Add(14 * time.Hour))}).points
	// (13:45, 14:00]: the point stamped 14:00, the period 14:00-14:15.
	require.Len(t, agg, 1)
	assert.Equal(t, 93.0, agg[0].Maximum)
	assert.Less(t, agg[0].Minimum, 1.6)
	assert.Empty(t, day("CPUUtilization", "i-nodata"))
	assert.Empty(t, day("IntranetInRate", "i-nodata"))
	for _, p := range day("CPUUtilization", "i-const") {
		assert.Equal(t, 0.5, p.Average)
	}
	for _, p := range day("IntranetOutRate", "i-const") {
		assert.Equal(t, 1234.0, p.Average)
	}
	pts := day("CPUUtilization", "i-points")
	eleven := time.Date(2026, 11, 26, 11, 0, 0, 0, time.UTC).UnixMilli()
	found := 0
	for _, p := range pts {
		if p.Timestamp == eleven {
			assert.Equal(t, 99.5, p.Average)
			found++
		} else {
			assert.Less(t, p.Average, 1.6)
		}
	}
	assert.Equal(t, 1, found)
	for _, p := range day("IntranetInRate", "i-points") {
		if p.Timestamp == eleven+60_000 {
			assert.Equal(t, 42.0, p.Average)
		}
	}
	// SetMetrics replaces the series (the past too: it is computed).
	require.NoError(t, env.Emu.SetMetrics("i-idle", ecsemu.MetricSpec{Profile: ecsemu.ProfileNoData}))
	assert.Empty(t, day("CPUUtilization", "i-idle"))
	assert.ErrorIs(t, env.Emu.SetMetrics("i-nosuch", ecsemu.MetricSpec{}), ecsemu.ErrInstanceNotFound)
	assert.Error(t, env.Emu.SetMetrics("i-idle", ecsemu.MetricSpec{Profile: "lazy"}))
	assert.Error(t, env.Emu.SetMetrics("i-idle", ecsemu.MetricSpec{CPU: new(float64(101))}))
	assert.Error(t, env.Emu.SetMetrics("i-idle", ecsemu.MetricSpec{Points: []ecsemu.MetricPoint{{Metric: "CPUUtilization", At: "2026-11-26T11:00:30Z"}}}))
	// The fleet checks the spec too.
	_, err := env.Emu.AddInstances([]ecsemu.Instance{{Metrics: &ecsemu.MetricSpec{Profile: "lazy"}}})
	assert.Error(t, err)
	_, err = env.Emu.AddInstances([]ecsemu.Instance{{StoppedTime: ts(now)}})
	assert.ErrorContains(t, err, "StoppedTime")
}

func TestCMSFaultsAndThrottling(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-f", CreationTime: ts(old)})
	c := env.NewCMSClient(t, region)
	q := metricReq{Metric: "CPUUtilization", Dimensions: dims("i-f")}
	env.Emu.InjectError("DescribeMetricList", "Throttling.User", "Request was denied due to user flow control.", 2)
	for range 2 {
		_, err := describeMetrics(t, c, q)
		se := requireCMSServerError(t, err, http.StatusBadRequest, "Throttling.User")
		assert.Equal(t, "Request was denied due to user flow control.", se.Message())
	}
	okMetrics(t, c, q)
	require.NoError(t, env.Emu.SetFaults(ecsemu.Faults{ThrottleRate: 1}))
	_, err := describeMetrics(t, c, q)
	requireCMSServerError(t, err, http.StatusBadRequest, "Throttling.User")
	require.NoError(t, env.Emu.SetFaults(ecsemu.Faults{ErrorRate: 1}))
	_, err = describeMetrics(t, c, q)
	requireCMSServerError(t, err, http.StatusInternalServerError, "InternalError")
	require.NoError(t, env.Emu.SetFaults(ecsemu.Faults{}))
	okMetrics(t, c, q)
	assert.Equal(t, 6, env.Emu.CallCounts()["DescribeMetricList"])
}

func TestCMSRoutingAndV3(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-v3", CreationTime: ts(old)})
	query := url.Values{"Namespace": {ecsemu.NamespaceECS}, "MetricName": {"CPUUtilization"}, "Dimensions": {dims("i-v3")}, "Period": {"300"}}
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		req, _ := v3Call{method: method, action: "DescribeMetricList", version: ecsemu.CMSAPIVersion, query: query}.build(t, env)
		r := do(t, req)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var resp cms.DescribeMetricListResponse
		strictDecode(t, r.Body, &resp)
		assert.True(t, resp.Success)
		assert.Equal(t, "300", resp.Period)
		var pts []cmsPoint
		require.NoError(t, json.Unmarshal([]byte(resp.Datapoints), &pts))
		assert.Len(t, pts, 11)
	}
	// V3 with a form body, as a POST.
	req, _ := v3Call{action: "DescribeMetricLast", version: ecsemu.CMSAPIVersion, form: query}.build(t, env)
	r := do(t, req)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Contains(t, string(r.Body), `"Success":true`)
	// A CMS action with the ECS version, an ECS action with the CMS one,
	// an unknown version.
	req, _ = v3Call{action: "DescribeMetricList", query: query}.build(t, env)
	requireErrorBody(t, do(t, req), http.StatusNotFound, "InvalidAction.NotFound")
	p := baseParams(env, "DescribeInstances")
	p["Version"] = ecsemu.CMSAPIVersion
	m := requireErrorBody(t, rawSigned(t, env, http.MethodGet, p), http.StatusNotFound, "InvalidAction.NotFound")
	assert.Contains(t, m["Recommend"], "product=Cms")
	p = baseParams(env, "DescribeMetricList")
	p["Version"] = "2018-03-08"
	requireErrorBody(t, rawSigned(t, env, http.MethodGet, p), http.StatusBadRequest, "InvalidParameter")
	// V1 by hand, with the nonce store shared: a replay is refused.
	p = baseParams(env, "DescribeMetricList")
	p["Version"] = ecsemu.CMSAPIVersion
	p["Namespace"], p["MetricName"] = ecsemu.NamespaceECS, "CPUUtilization"
	r = rawSigned(t, env, http.MethodPost, p)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	requireErrorBody(t, rawSigned(t, env, http.MethodPost, p), http.StatusBadRequest, "SignatureNonceUsed")
	// A wrong secret.
	bad, _ := v3Call{action: "DescribeMetricList", version: ecsemu.CMSAPIVersion, query: query, secret: "wrong"}.build(t, env)
	requireErrorBody(t, do(t, bad), http.StatusBadRequest, "SignatureDoesNotMatch")
}

func TestCMSAdminMetrics(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-adm", CreationTime: ts(old)}, ecsemu.Instance{InstanceId: "i-adm2", CreationTime: ts(old)})
	post := func(query, body string) (int, string) {
		resp, err := http.Post(env.Endpoint()+"/_emulator/metrics?"+query, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	code, body := post("instanceId=i-adm,i-adm2", `{"Profile":"idle","CPU":1.25}`)
	require.Equal(t, http.StatusOK, code, body)
	c := env.NewCMSClient(t, region)
	for _, p := range okMetrics(t, c, metricReq{Metric: "CPUUtilization", Dimensions: dims("i-adm", "i-adm2")}).points {
		assert.Equal(t, 1.25, p.Average)
	}
	in, ok := env.Emu.Instance("i-adm")
	require.True(t, ok)
	require.NotNil(t, in.Metrics)
	assert.Equal(t, ecsemu.ProfileIdle, in.Metrics.Profile)
	code, _ = post("instanceId=i-adm", `{"Profil":"idle"}`)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = post("instanceId=i-adm", `{"Profile":"sleepy"}`)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = post("instanceId=i-nosuch", `{}`)
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = post("", `{}`)
	assert.Equal(t, http.StatusBadRequest, code)
	// The fleet's Metrics never reach DescribeInstances.
	resp, err := env.Client.DescribeInstances(describeReqFor("i-adm"))
	require.NoError(t, err)
	assert.NotContains(t, resp.GetHttpContentString(), "Metrics")
}

// TestCMSQueryCost measures a DescribeMetricList over 50 instances × 288
// points (a day at Period 300) in a fleet of 10,000 instances.
func TestCMSQueryCost(t *testing.T) {
	if testing.Short() {
		t.Skip("measures")
	}
	env := start(t, ecsemu.Options{})
	fleet := make([]ecsemu.Instance, 10_000)
	ids := make([]string, 50)
	for i := range fleet {
		fleet[i] = ecsemu.Instance{InstanceId: fmt.Sprintf("i-cost%05d", i), CreationTime: ts(old.Add(-time.Hour))}
		if i < 50 {
			ids[i] = fleet[i].InstanceId
		}
	}
	env.AddFleet(t, fleet...)
	c := env.NewCMSClient(t, region)
	now := env.Emu.Now()
	q := metricReq{Metric: "CPUUtilization", Dimensions: dims(ids...), Period: "300", Start: ms(now.Add(-24*time.Hour - 5*time.Minute)), End: ms(now.Add(-5 * time.Minute)), Length: "1440"}
	okMetrics(t, c, q) // warm up
	const runs = 5
	var total int
	began := time.Now()
	for range runs {
		q.NextToken = ""
		for {
			a := okMetrics(t, c, q)
			total += len(a.points)
			if a.resp.NextToken == "" {
				break
			}
			q.NextToken = a.resp.NextToken
		}
	}
	per := time.Since(began) / runs
	assert.Equal(t, runs*50*288, total)
	t.Logf("DescribeMetricList, 50 instances × 288 points (Period 300, 24 h, 10,000-instance fleet), through the classic SDK: %v per query (10 pages of up to 1440)", per)
	assert.Less(t, per, 2*time.Second)
}

func ecsRunRequest() *ecs.RunInstancesRequest {
	req := ecs.CreateRunInstancesRequest()
	req.Amount = requests.NewInteger(1)
	req.InstanceType = "ecs.g7.large"
	req.ImageId = "ubuntu_24_04"
	return req
}

func describeReqFor(id string) *ecs.DescribeInstancesRequest {
	req := ecs.CreateDescribeInstancesRequest()
	req.InstanceIds = jsonList(id)
	return req
}
