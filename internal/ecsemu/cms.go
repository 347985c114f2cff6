package ecsemu

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CloudMonitor (CMS), API version 2019-01-01, on the same listener as ECS:
// the Version parameter (V1) or x-acs-version header (V3) picks the
// product. The same gateway serves both (signatures, nonces, the
// timestamp check, the call record and fault injection).

// CMSAPIVersion is the CloudMonitor API version served.
const CMSAPIVersion = "2019-01-01"

// Limits of the metric queries.
const (
	maxMetricInstances = 50
	defaultMetricLen   = 1000
	maxMetricLen       = 1440
	maxMetricSpan      = 31 * 24 * time.Hour
	defaultMetricSpan  = time.Hour
)

// cmsActions is the registry of the CloudMonitor actions served.
var cmsActions = map[string]actionDef{
	"DescribeMetricList": {false, (*Emulator).describeMetricList, metricQueryParams, &metricListAnswer{}},
	"DescribeMetricLast": {false, (*Emulator).describeMetricLast, metricQueryParams, &metricListAnswer{}},
}

// metricQueryParams are the implemented parameters of both queries
// (Express is documented and refused).
var metricQueryParams = []string{"Namespace", "MetricName", "Period", "StartTime", "EndTime", "Dimensions", "Length", "NextToken"}

// product is one API served on the listener.
type product struct {
	// code is the product code of the error body's Recommend link.
	code     string
	actions  map[string]actionDef
	checkers map[string]paramChecker
}

func newProduct(code string, actions map[string]actionDef) *product {
	p := &product{code: code, actions: actions, checkers: make(map[string]paramChecker, len(actions))}
	for name, def := range actions {
		p.checkers[name] = newParamChecker(def.params)
	}
	return p
}

// products are the served APIs by version.
var products = map[string]*product{
	APIVersion:    newProduct("Ecs", actions),
	CMSAPIVersion: newProduct("Cms", cmsActions),
}

// routeAction finds the action of a call by its version and name: an
// unknown version is 400 InvalidParameter ("Action or Version"), an action
// the version does not serve (a CMS action with the ECS version, or the
// other way round) 404 InvalidAction.NotFound.
func routeAction(version, action string) (*product, actionDef, *apiError) {
	p := products[version]
	if p == nil {
		return nil, actionDef{}, errf("InvalidParameter", "Specified parameter \"Action or Version\" is not valid.")
	}
	def, ok := p.actions[action]
	if !ok {
		return nil, actionDef{}, errf("InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	return p, def, nil
}

// CMSActions lists the served CloudMonitor action names, sorted.
func CMSActions() []string {
	out := make([]string, 0, len(cmsActions))
	for name := range cmsActions {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// metricListAnswer is the answer of DescribeMetricList and
// DescribeMetricLast (the classic SDK's response models): Datapoints is a
// JSON array in a string; NextToken is left out on the last page.
type metricListAnswer struct {
	Response
	Code       string `json:"Code"`
	Success    bool   `json:"Success"`
	Message    string `json:"Message"`
	NextToken  string `json:"NextToken,omitempty"`
	Period     string `json:"Period"`
	Datapoints string `json:"Datapoints"`
}

// cmsFailure is CloudMonitor's in-body failure: HTTP 200, Success false,
// Code the HTTP-like status ("400").
type cmsFailure struct {
	Response
	Code    string `json:"Code"`
	Success bool   `json:"Success"`
	Message string `json:"Message"`
}

// errCMS is a CloudMonitor failure answered in the body (see cmsFailure);
// its Status 200 tells handle to write it so.
func errCMS(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusOK, Code: code, Message: fmt.Sprintf(format, args...)}
}

// errCMSParam is the in-body failure of a parameter: Code "400".
func errCMSParam(name, format string, args ...any) *apiError {
	return errCMS("400", "The parameter %s is invalid: %s", name, fmt.Sprintf(format, args...))
}

func (e *Emulator) describeMetricList(c *rpc) (answer, *apiError) { return e.metricQuery(c, false) }
func (e *Emulator) describeMetricLast(c *rpc) (answer, *apiError) { return e.metricQuery(c, true) }

// metricQuery is a parsed metric query.
type metricQuery struct {
	namespace, metric string
	period            time.Duration
	start, end        time.Time // (start, end]
	ids               []string  // nil: every instance
	length            int
	after             *metricCursor
}

// metricCursor is where a page starts: the first point of instance id at
// or after timestamp ts (Unix ms).
type metricCursor struct {
	id string
	ts int64
}

func (cur metricCursor) token() string {
	return "emu-" + base64.RawURLEncoding.EncodeToString([]byte(cur.id+"|"+strconv.FormatInt(cur.ts, 10)))
}

func parseMetricCursor(tok string) (*metricCursor, bool) {
	raw, ok := strings.CutPrefix(tok, "emu-")
	if !ok {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, false
	}
	id, ts, ok := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || id == "" {
		return nil, false
	}
	return &metricCursor{id: id, ts: n}, true
}

// parseMetricTime reads StartTime/EndTime: Unix milliseconds or
// YYYY-MM-DDThh:mm:ssZ.
func parseMetricTime(name, v string) (time.Time, *apiError) {
	if v != "" && strings.Trim(v, "0123456789") == "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			return time.UnixMilli(ms).UTC(), nil
		}
	}
	t, err := time.Parse(layoutSecond, v)
	if err != nil {
		return time.Time{}, errCMSParam(name, "%q is neither Unix milliseconds nor YYYY-MM-DDThh:mm:ssZ.", v)
	}
	return t, nil
}

// parseDimensions reads Dimensions: one object or an array of objects,
// each {"instanceId":"i-…"} (a "userId" key, when present, must be the
// account's). It returns the instance IDs, de-duplicated, in order.
func parseDimensions(v, account string) ([]string, *apiError) {
	var objs []map[string]any
	trimmed := bytes.TrimSpace([]byte(v))
	var err error
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var one map[string]any
		err = json.Unmarshal(trimmed, &one)
		objs = []map[string]any{one}
	} else {
		err = json.Unmarshal(trimmed, &objs)
	}
	if err != nil {
		return nil, errCMSParam("Dimensions", "not a JSON object or array of objects such as [{\"instanceId\":\"i-abc\"}]: %v", err)
	}
	ids := []string{}
	seen := map[string]bool{}
	for i, o := range objs {
		for k, val := range o {
			s, isString := val.(string)
			switch {
			case !isString:
				return nil, errCMSParam("Dimensions", "item %d: the value of %q is not a string.", i, k)
			case k == "instanceId":
				if !seen[s] {
					seen[s] = true
					ids = append(ids, s)
				}
			case k == "userId":
				if s != account {
					return []string{}, nil // another account's data: none here
				}
			default:
				return nil, errCMSParam("Dimensions", "item %d: the key %q is not a dimension of acs_ecs_dashboard's instance metrics (instanceId, userId).", i, k)
			}
		}
		if _, ok := o["instanceId"]; !ok {
			return nil, errCMSParam("Dimensions", "item %d has no instanceId.", i)
		}
	}
	if len(ids) > maxMetricInstances {
		return nil, errCMSParam("Dimensions", "%d instances are given; at most %d are allowed in one request.", len(ids), maxMetricInstances)
	}
	return ids, nil
}

func (e *Emulator) parseMetricQuery(c *rpc) (metricQuery, *apiError) {
	var q metricQuery
	q.namespace, q.metric = c.p.get("Namespace"), c.p.get("MetricName")
	if q.namespace == "" {
		return q, errMissing("Namespace")
	}
	if q.metric == "" {
		return q, errMissing("MetricName")
	}
	q.period = time.Minute
	if v := c.p.get("Period"); v != "" {
		switch v {
		case "60", "300", "900":
			n, _ := strconv.Atoi(v)
			q.period = time.Duration(n) * time.Second
		default:
			return q, errCMSParam("Period", "%q is not one of 60, 300 and 900 (seconds).", v)
		}
	}
	q.end = c.now
	if v, ok := c.p["EndTime"]; ok {
		t, err := parseMetricTime("EndTime", v)
		if err != nil {
			return q, err
		}
		q.end = t
	}
	q.start = q.end.Add(-defaultMetricSpan)
	if v, ok := c.p["StartTime"]; ok {
		t, err := parseMetricTime("StartTime", v)
		if err != nil {
			return q, err
		}
		q.start = t
	}
	if !q.start.Before(q.end) {
		return q, errCMSParam("StartTime", "StartTime %s must be earlier than EndTime %s.", formatSecond(q.start), formatSecond(q.end))
	}
	if q.end.Sub(q.start) > maxMetricSpan {
		return q, errCMSParam("EndTime", "the span from StartTime to EndTime is %v; at most 31 days are allowed.", q.end.Sub(q.start))
	}
	q.length = defaultMetricLen
	if v := c.p.get("Length"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMetricLen {
			return q, errCMSParam("Length", "%q is not an integer from 1 to %d.", v, maxMetricLen)
		}
		q.length = n
	}
	if v, ok := c.p["Dimensions"]; ok {
		ids, err := parseDimensions(v, e.opts.AccountID)
		if err != nil {
			return q, err
		}
		q.ids = ids
	}
	if tok := c.p.get("NextToken"); tok != "" {
		cur, ok := parseMetricCursor(tok)
		if !ok {
			return q, errCMSParam("NextToken", "%q is not a token this query returned.", tok)
		}
		q.after = cur
	}
	return q, nil
}

// metricQuery answers DescribeMetricList (every point in the range) or,
// with last, DescribeMetricLast (each instance's latest point in it).
func (e *Emulator) metricQuery(c *rpc, last bool) (answer, *apiError) {
	q, err := e.parseMetricQuery(c)
	if err != nil {
		return nil, err
	}
	out := &metricListAnswer{Code: "200", Success: true, Period: strconv.Itoa(int(q.period / time.Second)), Datapoints: "[]"}
	if q.namespace != NamespaceECS {
		return out, nil
	}
	idx := metricIndex(q.metric)
	if idx < 0 {
		return nil, &apiError{Status: http.StatusBadRequest, Code: "Emulator.UnsupportedMetric",
			Message: fmt.Sprintf("The metric %q of %s is not served by the emulator (it serves %s); it refuses the call rather than answer an empty list.", q.metric, NamespaceECS, strings.Join(MetricNames(), ", "))}
	}
	points, next := e.metricPage(c, q, idx, last)
	raw, _ := json.Marshal(points) // plain data
	out.Datapoints = string(raw)
	if next != nil {
		out.NextToken = next.token()
	}
	return out, nil
}

// metricStates are the series a query covers, sorted by instance ID: the
// Dimensions' instances, or every instance (released ones included),
// narrowed to the RegionId sent.
func (e *Emulator) metricStates(c *rpc, ids []string) []*metricState {
	var out []*metricState
	keep := func(ms *metricState) bool { return ms != nil && (c.region == "" || ms.region == c.region) }
	if ids != nil {
		for _, id := range ids {
			if ms := e.st.metrics[id]; keep(ms) {
				out = append(out, ms)
			}
		}
	} else {
		for _, ms := range e.st.metrics {
			if keep(ms) {
				out = append(out, ms)
			}
		}
	}
	slices.SortFunc(out, func(a, b *metricState) int { return cmp.Compare(a.id, b.id) })
	return out
}

// metricPage computes one page of points, sorted by instance then
// timestamp, and the cursor of the next page (nil on the last).
//
// A point's timestamp is the start of its period, aligned to the period
// since the Unix epoch; it is in the answer when StartTime < timestamp ≤
// EndTime, when the period is over by the emulator's clock, and within
// the retention (31 days at Period 60, 91 days above).
func (e *Emulator) metricPage(c *rpc, q metricQuery, idx int, last bool) ([]metricPoint, *metricCursor) {
	pMs := q.period.Milliseconds()
	first := (floorDiv(q.start.UnixMilli(), pMs) + 1) * pMs
	lastTs := min(floorDiv(q.end.UnixMilli(), pMs)*pMs, floorDiv(c.now.UnixMilli()-pMs, pMs)*pMs)
	retention := 31 * 24 * time.Hour
	if q.period > time.Minute {
		retention = 91 * 24 * time.Hour
	}
	if floor := c.now.Add(-retention).UnixMilli(); first < floor {
		first = (floorDiv(floor-1, pMs) + 1) * pMs
	}
	minutes := pMs / 60_000
	points := make([]metricPoint, 0, min(q.length, 1024))
	account := e.opts.AccountID
	for _, ms := range e.metricStates(c, q.ids) {
		if !ms.applies(ecsMetrics[idx]) {
			continue
		}
		from := first
		if cur := q.after; cur != nil {
			if ms.id < cur.id {
				continue
			}
			if ms.id == cur.id {
				from = max(from, cur.ts)
			}
		}
		emit := func(ts int64, lo, avg, hi float64) bool {
			if len(points) == q.length {
				return false
			}
			points = append(points, metricPoint{Timestamp: ts, UserID: account, InstanceID: ms.id, Minimum: lo, Average: avg, Maximum: hi})
			return true
		}
		if last {
			// The latest point in the range; a cursor on this instance
			// means it was answered already unless the cursor is at it.
			hint := 0
			var found bool
			var best metricPoint
			for ts := first; ts <= lastTs; ts += pMs {
				lo, avg, hi, ok, h := ms.periodPoint(idx, ts/60_000, minutes, hint)
				hint = h
				if ok {
					found, best = true, metricPoint{Timestamp: ts, Minimum: lo, Average: avg, Maximum: hi}
				}
			}
			if !found || best.Timestamp < from {
				continue
			}
			if !emit(best.Timestamp, best.Minimum, best.Average, best.Maximum) {
				return points, &metricCursor{id: ms.id, ts: best.Timestamp}
			}
			continue
		}
		hint := 0
		for ts := from; ts <= lastTs; ts += pMs {
			lo, avg, hi, ok, h := ms.periodPoint(idx, ts/60_000, minutes, hint)
			hint = h
			if ok && !emit(ts, lo, avg, hi) {
				return points, &metricCursor{id: ms.id, ts: ts}
			}
		}
	}
	return points, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
