package ecsemu

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// The CloudMonitor side of the emulator: every instance has a per-minute
// series of each acs_ecs_dashboard metric it reports, computed on the fly
// from its MetricSpec, its seed and its status history (never stored per
// minute), and served by DescribeMetricList / DescribeMetricLast (cms.go).

// Metric profiles of MetricSpec.Profile.
const (
	ProfileBusy   = "busy"
	ProfileIdle   = "idle"
	ProfileSpiky  = "spiky"
	ProfileNoData = "no-data"
)

// NamespaceECS is the one CloudMonitor namespace with data.
const NamespaceECS = "acs_ecs_dashboard"

// MetricSpec is an instance's metric series, a fleet-file extension
// (Instance.Metrics) also set by SetMetrics and POST /_emulator/metrics.
type MetricSpec struct {
	// Profile is busy (the default), idle, spiky or no-data.
	Profile string `json:"Profile"`
	// CPU is a constant CPUUtilization in percent (overrides the
	// profile's CPU).
	CPU *float64 `json:"CPU"`
	// NetworkBps is a constant rate in bit/s for every network metric
	// (overrides the profile's).
	NetworkBps *float64 `json:"NetworkBps"`
	// Points are explicit per-minute values that override the series at
	// those minutes (they appear even with the no-data profile).
	Points []MetricPoint `json:"Points"`
}

// MetricPoint is one explicit minute of one metric.
type MetricPoint struct {
	Metric string `json:"Metric"`
	// At is the minute, RFC 3339 with zero seconds (2026-11-26T14:05:00Z;
	// 2026-11-26T14:05Z is read too).
	At    string  `json:"At"`
	Value float64 `json:"Value"`
}

// metricDef is one served metric of acs_ecs_dashboard.
type metricDef struct {
	name string
	// network: a rate in bit/s (else CPU percent).
	network bool
	// public: "classic" for the classic network's public metrics, "vpc"
	// for a VPC instance's public IP or EIP, "" for every instance.
	public string
}

// ecsMetrics are the served metrics, in the order of their seeds.
var ecsMetrics = []metricDef{
	{name: "CPUUtilization"},
	{name: "IntranetInRate", network: true},
	{name: "IntranetOutRate", network: true},
	{name: "InternetInRate", network: true, public: NetworkClassic},
	{name: "InternetOutRate", network: true, public: NetworkClassic},
	{name: "VPC_PublicIP_InternetInRate", network: true, public: NetworkVPC},
	{name: "VPC_PublicIP_InternetOutRate", network: true, public: NetworkVPC},
}

// MetricNames lists the served metrics of acs_ecs_dashboard.
func MetricNames() []string {
	out := make([]string, len(ecsMetrics))
	for i, m := range ecsMetrics {
		out[i] = m.name
	}
	return out
}

func metricIndex(name string) int {
	return slices.IndexFunc(ecsMetrics, func(m metricDef) bool { return m.name == name })
}

// runSpan is a stretch of Running: [from, to), to zero while it lasts.
type runSpan struct{ from, to time.Time }

// metricState is what the series of one instance needs. It outlives the
// instance (a released instance keeps the points of its life).
type metricState struct {
	id, region string
	seed       uint64
	// network is the instance's network type; public says it has a public
	// IP or an EIP.
	network string
	public  bool
	spec    MetricSpec
	// points are the spec's explicit points: metric index → Unix minute →
	// value.
	points map[int]map[int64]float64
	runs   []runSpan
}

// newMetricState returns the state of a new instance (nil spec: busy).
func newMetricState(in *instance, spec *MetricSpec) *metricState {
	ms := &metricState{id: in.id, region: in.region, seed: seedOf(in.id), network: in.networkType,
		public: len(in.publicIPs) > 0 || in.eip.IpAddress != ""}
	if spec != nil {
		_ = ms.setSpec(*spec) // validated before
	}
	return ms
}

// seedOf is FNV-1a of the instance ID.
func seedOf(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

// splitmix64 scrambles x (a 64-bit finaliser).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// applies reports whether the instance reports the metric at all.
func (ms *metricState) applies(m metricDef) bool {
	return m.public == "" || (ms.public && ms.network == m.public)
}

// validateMetricSpec checks a spec for an instance of the given network
// type, with or without a public address.
func validateMetricSpec(spec MetricSpec, network string, public bool) error {
	switch spec.Profile {
	case "", ProfileBusy, ProfileIdle, ProfileSpiky, ProfileNoData:
	default:
		return fmt.Errorf("Metrics.Profile %q is not busy, idle, spiky or no-data", spec.Profile)
	}
	if c := spec.CPU; c != nil && !(*c >= 0 && *c <= 100) {
		return fmt.Errorf("Metrics.CPU %v is not a percentage from 0 to 100", *c)
	}
	if n := spec.NetworkBps; n != nil && !(*n >= 0 && *n <= 1e12) {
		return fmt.Errorf("Metrics.NetworkBps %v is not a rate from 0 to 1e12 bit/s", *n)
	}
	ms := metricState{network: network, public: public}
	seen := map[string]bool{}
	for i, p := range spec.Points {
		idx := metricIndex(p.Metric)
		if idx < 0 {
			return fmt.Errorf("Metrics.Points[%d].Metric %q is not one of %v", i, p.Metric, MetricNames())
		}
		if !ms.applies(ecsMetrics[idx]) {
			return fmt.Errorf("Metrics.Points[%d]: a %s instance %s has no %s data", i, network, map[bool]string{true: "with a public address", false: "without a public IP or EIP"}[public], p.Metric)
		}
		t, err := parseECSTime(p.At)
		if err != nil || t.Second() != 0 || t.Nanosecond() != 0 {
			return fmt.Errorf("Metrics.Points[%d].At %q is not an RFC 3339 minute such as 2026-11-26T14:05:00Z", i, p.At)
		}
		limit := 1e12
		if !ecsMetrics[idx].network {
			limit = 100
		}
		if !(p.Value >= 0 && p.Value <= limit) {
			return fmt.Errorf("Metrics.Points[%d].Value %v is out of range (0 to %g)", i, p.Value, limit)
		}
		key := p.Metric + "@" + t.Format(time.RFC3339)
		if seen[key] {
			return fmt.Errorf("Metrics.Points[%d]: %s at %s is given twice", i, p.Metric, p.At)
		}
		seen[key] = true
	}
	return nil
}

// setSpec replaces the spec; it fails (changing nothing) on an invalid one.
func (ms *metricState) setSpec(spec MetricSpec) error {
	if err := validateMetricSpec(spec, ms.network, ms.public); err != nil {
		return err
	}
	spec.Points = slices.Clone(spec.Points)
	ms.spec = spec
	ms.points = nil
	for _, p := range spec.Points {
		t, _ := parseECSTime(p.At)
		idx := metricIndex(p.Metric)
		if ms.points == nil {
			ms.points = map[int]map[int64]float64{}
		}
		if ms.points[idx] == nil {
			ms.points[idx] = map[int64]float64{}
		}
		ms.points[idx][t.Unix()/60] = p.Value
	}
	return nil
}

// start opens a Running span at at; stop closes it. Both are nil-safe (an
// instance built outside instanceFromSpec has no series).
func (ms *metricState) start(at time.Time) {
	if ms == nil || (len(ms.runs) > 0 && ms.runs[len(ms.runs)-1].to.IsZero()) {
		return
	}
	ms.runs = append(ms.runs, runSpan{from: at})
}

func (ms *metricState) stop(at time.Time) {
	if ms == nil || len(ms.runs) == 0 {
		return
	}
	last := &ms.runs[len(ms.runs)-1]
	if !last.to.IsZero() {
		return
	}
	if at.Before(last.from) {
		at = last.from
	}
	last.to = at
}

// runningMinute reports whether the instance was Running for the whole
// minute starting at Unix minute m. hint is the index of the span to try
// first (minutes are asked for in order); it returns the span's index.
func (ms *metricState) runningMinute(m int64, hint int) (bool, int) {
	from, to := time.Unix(m*60, 0), time.Unix(m*60+60, 0)
	for i := max(hint, 0); i < len(ms.runs); i++ {
		r := ms.runs[i]
		if !r.to.IsZero() && r.to.Before(to) {
			continue // ended before the minute did
		}
		return !r.from.After(from), i
	}
	return false, len(ms.runs)
}

// minuteValue is the metric's value in Unix minute m, and whether there is
// one (the no-data profile has only its explicit points).
func (ms *metricState) minuteValue(idx int, m int64) (float64, bool) {
	if v, ok := ms.points[idx][m]; ok {
		return v, true
	}
	def := ecsMetrics[idx]
	profile := ms.spec.Profile
	if profile == ProfileNoData {
		return 0, false
	}
	if !def.network && ms.spec.CPU != nil {
		return *ms.spec.CPU, true
	}
	if def.network && ms.spec.NetworkBps != nil {
		return *ms.spec.NetworkBps, true
	}
	if profile == ProfileSpiky && m%(24*60) == 14*60+5 {
		if def.network {
			return 20e6, true
		}
		return 93, true
	}
	u := float64(splitmix64(ms.seed^uint64(m)*0x9e3779b97f4a7c15^uint64(idx+1)*0xc2b2ae3d27d4eb4f)>>11) / (1 << 53)
	switch {
	case profile == ProfileIdle || profile == ProfileSpiky:
		if def.network {
			return math.Round(200 + 1800*u), true
		}
		return round2(0.2 + 1.3*u), true
	default: // busy
		if def.network {
			return math.Round(2e6 + 6e6*u), true
		}
		return round2(35 + 45*u), true
	}
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// metricPoint is one datapoint of an answer.
type metricPoint struct {
	Timestamp  int64   `json:"timestamp"`
	UserID     string  `json:"userId"`
	InstanceID string  `json:"instanceId"`
	Minimum    float64 `json:"Minimum"`
	Average    float64 `json:"Average"`
	Maximum    float64 `json:"Maximum"`
}

// periodPoint aggregates the minutes of the period starting at Unix
// minute first (period minutes long) in which the instance was Running
// and has a value: false when there is none. hint as in runningMinute.
func (ms *metricState) periodPoint(idx int, first, minutes int64, hint int) (lo, avg, hi float64, ok bool, _ int) {
	var sum float64
	n := 0
	for m := first; m < first+minutes; m++ {
		var running bool
		running, hint = ms.runningMinute(m, hint)
		if !running {
			continue
		}
		v, has := ms.minuteValue(idx, m)
		if !has {
			continue
		}
		if n == 0 || v < lo {
			lo = v
		}
		if n == 0 || v > hi {
			hi = v
		}
		sum += v
		n++
	}
	if n == 0 {
		return 0, 0, 0, false, hint
	}
	return lo, round2(sum / float64(n)), hi, true, hint
}

// SetMetrics replaces an instance's metric spec (the whole series, past
// minutes included: the series is computed, not recorded).
func (e *Emulator) SetMetrics(instanceID string, spec MetricSpec) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	in := e.st.instances[instanceID]
	if in == nil || in.ms == nil {
		return fmt.Errorf("ecsemu: instance %q %w", instanceID, ErrInstanceNotFound)
	}
	if err := in.ms.setSpec(spec); err != nil {
		return fmt.Errorf("ecsemu: %s: %w", instanceID, err)
	}
	return nil
}

// setMetricsAll is SetMetrics for several instances: all are checked
// first; on error none changes.
func (e *Emulator) setMetricsAll(ids []string, spec MetricSpec) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range ids {
		in := e.st.instances[id]
		if in == nil || in.ms == nil {
			return fmt.Errorf("ecsemu: instance %q %w", id, ErrInstanceNotFound)
		}
		if err := validateMetricSpec(spec, in.ms.network, in.ms.public); err != nil {
			return fmt.Errorf("ecsemu: %s: %w", id, err)
		}
	}
	for _, id := range ids {
		_ = e.st.instances[id].ms.setSpec(spec) // validated above
	}
	return nil
}

// checkStoppedTime is the fleet's StoppedTime check.
func checkStoppedTime(spec Instance, now time.Time) error {
	if spec.StoppedTime == "" {
		return nil
	}
	if spec.Status != StatusStopped && spec.Status != StatusStopping {
		return errors.New("StoppedTime is for an instance loaded Stopped or Stopping")
	}
	t, err := parseECSTime(spec.StoppedTime)
	if err != nil {
		return fmt.Errorf("StoppedTime: %w", err)
	}
	if t.After(now) {
		return fmt.Errorf("StoppedTime %s is after the emulator's time %s", spec.StoppedTime, formatSecond(now))
	}
	if spec.CreationTime != "" {
		if c, _ := parseECSTime(spec.CreationTime); t.Before(c) {
			return fmt.Errorf("StoppedTime %s is before CreationTime %s", spec.StoppedTime, spec.CreationTime)
		}
	}
	return nil
}

// initRuns gives an instance loaded from a fleet its past: Running since
// its StartTime (or CreationTime) when loaded Running; Running from its
// CreationTime until StoppedTime (default: the load time) when loaded
// Stopped or Stopping; nothing when loaded Pending or Starting.
func (ms *metricState) initRuns(in *instance, stoppedTime string, now time.Time) {
	switch in.status {
	case StatusRunning:
		from := in.started
		if from.IsZero() {
			from = in.created
		}
		ms.runs = []runSpan{{from: from}}
	case StatusStopped, StatusStopping:
		to := now
		if stoppedTime != "" {
			to, _ = parseECSTime(stoppedTime) // validated before
		}
		if to.After(in.created) {
			ms.runs = []runSpan{{from: in.created, to: to}}
		}
	}
}
