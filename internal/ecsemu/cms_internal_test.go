package ecsemu

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkMetricQuery50x288 is the server's cost of the 14,400 points of
// 50 instances × 288 (a day at Period 300) in a 10,000-instance fleet,
// computed in one go (no SDK, no HTTP, no JSON).
func BenchmarkMetricQuery50x288(b *testing.B) {
	e, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	now := e.Now()
	fleet := make([]Instance, 10_000)
	var ids []string
	for i := range fleet {
		fleet[i] = Instance{InstanceId: fmt.Sprintf("i-b%05d", i), CreationTime: formatSecond(now.Add(-48 * time.Hour))}
		if i < 50 {
			ids = append(ids, fleet[i].InstanceId)
		}
	}
	if _, err := e.AddInstances(fleet); err != nil {
		b.Fatal(err)
	}
	c := &rpc{now: now}
	q := metricQuery{namespace: NamespaceECS, metric: "CPUUtilization", period: 5 * time.Minute,
		start: now.Add(-24*time.Hour - 5*time.Minute), end: now.Add(-5 * time.Minute), ids: ids, length: 50 * 288}
	b.ReportAllocs()
	for b.Loop() {
		points, next := e.metricPage(c, q, 0, false)
		if len(points) != 50*288 || next != nil {
			b.Fatalf("%d points", len(points))
		}
	}
}
