package request

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// IdleSpec selects instances that nobody is using, by their CloudMonitor
// metrics over a window (selector.idle):
//
//	{"for":"24h","cpuBelow":5,"networkBelowKbps":10,"statistic":"Maximum","period":"5m","noData":"keep"}
//
// An instance is idle only if every datapoint of the window, for every
// metric a threshold names, is below that threshold, and the datapoints
// cover the window (see package idle). It narrows a selector: the other
// criteria and the guards apply first, and only their survivors' metrics
// are read.
type IdleSpec struct {
	// For is the window, back from now: a Go duration or a number of days
	// ("24h", "36h", "7d").
	For string `json:"for"`
	// CPUBelow is a CPUUtilization threshold in percent (0 < x ≤ 100).
	CPUBelow *float64 `json:"cpuBelow,omitempty"`
	// NetworkBelowKbps is a threshold on every network rate of the
	// instance (private in and out, and public in and out when it has a
	// public address), in kilobits per second (1 kbit/s = 1000 bit/s;
	// CloudMonitor reports bit/s).
	NetworkBelowKbps *float64 `json:"networkBelowKbps,omitempty"`
	// Statistic is the datapoint field compared: Maximum (the default, the
	// conservative one: any busy minute in a period counts) or Average.
	Statistic string `json:"statistic,omitempty"`
	// Period is CloudMonitor's aggregation period: 1m (or 60s), 5m (the
	// default) or 15m.
	Period string `json:"period,omitempty"`
	// NoData says what an instance without enough datapoints is: keep
	// (the default: never idle) or idle; or, "required", that only an
	// instance without a single datapoint in the window — one that did not
	// run at all — is selected (thresholds then optional).
	NoData string `json:"noData,omitempty"`
}

// Idle selector values and bounds.
const (
	StatisticMaximum = "Maximum"
	StatisticAverage = "Average"
	NoDataKeep       = "keep"
	NoDataIdle       = "idle"
	NoDataRequired   = "required"
	// MaxNetworkBelowKbps bounds networkBelowKbps (10 Gbit/s).
	MaxNetworkBelowKbps = 10_000_000
)

var idleFields = []string{"for", "cpuBelow", "networkBelowKbps", "statistic", "period", "noData"}

// IdlePeriods are the periods an idle selector may use, with how long
// CloudMonitor keeps data at each (its documented retention: 31 days at
// 60 s, 91 days at 300 s and above).
var IdlePeriods = []struct {
	Period    time.Duration
	Retention time.Duration
}{
	{time.Minute, 31 * 24 * time.Hour},
	{5 * time.Minute, 91 * 24 * time.Hour},
	{15 * time.Minute, 91 * 24 * time.Hour},
}

// DefaultIdlePeriod is the period when none is given.
const DefaultIdlePeriod = 5 * time.Minute

// MinIdleWindowPeriods: a window spans at least this many periods.
const MinIdleWindowPeriods = 6

// Window is the parsed For (0 when invalid).
func (s IdleSpec) Window() time.Duration {
	d, _ := parseIdleWindow(s.For)
	return d
}

// PeriodDuration is the parsed Period, DefaultIdlePeriod when empty (0 when
// invalid).
func (s IdleSpec) PeriodDuration() time.Duration {
	if s.Period == "" {
		return DefaultIdlePeriod
	}
	d, err := time.ParseDuration(s.Period)
	if err != nil {
		return 0
	}
	for _, p := range IdlePeriods {
		if p.Period == d {
			return d
		}
	}
	return 0
}

// EffectiveStatistic is Statistic, Maximum when empty.
func (s IdleSpec) EffectiveStatistic() string {
	if s.Statistic == "" {
		return StatisticMaximum
	}
	return s.Statistic
}

// NoDataIsIdle reports whether an instance without enough data counts as
// idle.
func (s IdleSpec) NoDataIsIdle() bool { return s.NoData == NoDataIdle }

// NoDataIsRequired reports whether only instances without any datapoint
// in the window are selected.
func (s IdleSpec) NoDataIsRequired() bool { return s.NoData == NoDataRequired }

// parseIdleWindow reads a Go duration or a whole number of days ("7d").
func parseIdleWindow(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 1000 {
			return 0, fmt.Errorf("%s is not a number of days", quote(s))
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s is not a duration (want e.g. \"24h\" or \"7d\")", quote(s))
	}
	return d, nil
}

func (s IdleSpec) validate() error {
	if s.For == "" {
		return invalid("for", "missing: the window the instance must have been idle for, e.g. \"24h\"")
	}
	window, err := parseIdleWindow(s.For)
	if err != nil {
		return invalid("for", err.Error())
	}
	period := s.PeriodDuration()
	if period == 0 {
		return invalid("period", fmt.Sprintf("%s is not a CloudMonitor period (want 1m, 5m or 15m)", quote(s.Period)))
	}
	if window < MinIdleWindowPeriods*period {
		return invalid("for", fmt.Sprintf("%s is shorter than %d periods of %v: too few datapoints to call anything idle", quote(s.For), MinIdleWindowPeriods, period))
	}
	for _, p := range IdlePeriods {
		if p.Period == period && window > p.Retention {
			return invalid("for", fmt.Sprintf("%s reaches back beyond what CloudMonitor keeps at a %v period (%d days): use a longer period or a shorter window",
				quote(s.For), period, int(p.Retention/(24*time.Hour))))
		}
	}
	if s.CPUBelow == nil && s.NetworkBelowKbps == nil && s.NoData != NoDataRequired {
		return invalid("cpuBelow", "give cpuBelow, networkBelowKbps or both: an idle selector needs a threshold (or noData \"required\")")
	}
	if v := s.CPUBelow; v != nil && !(*v > 0 && *v <= 100) {
		return invalid("cpuBelow", fmt.Sprintf("%v is not a percentage above 0 and at most 100", *v))
	}
	if v := s.NetworkBelowKbps; v != nil && !(*v > 0 && *v <= MaxNetworkBelowKbps && !math.IsInf(*v, 0)) {
		return invalid("networkBelowKbps", fmt.Sprintf("%v is not a rate above 0 and at most %d kbit/s", *v, MaxNetworkBelowKbps))
	}
	switch s.Statistic {
	case "", StatisticMaximum, StatisticAverage:
	default:
		return invalid("statistic", fmt.Sprintf("%s is not a statistic (want %q or %q)", quote(s.Statistic), StatisticMaximum, StatisticAverage))
	}
	switch s.NoData {
	case "", NoDataKeep, NoDataIdle, NoDataRequired:
	default:
		return invalid("noData", fmt.Sprintf("%s: want %q (an instance without enough data is never idle), %q (it is idle) or %q (only one without any datapoint is)",
			quote(s.NoData), NoDataKeep, NoDataIdle, NoDataRequired))
	}
	return nil
}
