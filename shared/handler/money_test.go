package handler_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// The ledger keeps what is saved as counts per price, not an entry per
// instance: the figures must still be the sum over every instance, with
// several instance types, disk categories and sizes among them, and an
// instance that leaves a disk billing still gets its own warning. The
// expected figures are worked out here from the price table.
func TestSavingsAreSummedOverEveryPrice(t *testing.T) {
	t.Parallel()
	prices := &ecsemu.PriceTable{
		InstanceTypes: map[string]float64{"ecs.g7.large": 0.5, "ecs.c7.xlarge": 0.8, "ecs.g5.large": 0.3},
		Disks:         map[string]float64{"cloud_essd:PL1": 0.001, "cloud_efficiency": 0.0005},
	}
	w := newWorld(t, ecsemu.Options{Prices: prices}, nil)
	o := old(w)
	type spec struct {
		typ     string
		dataGiB int // a data disk deleted with the instance (0: none)
		leftGiB int // a data disk left behind (0: none)
	}
	specs := []spec{
		{typ: "ecs.g7.large"}, {typ: "ecs.g7.large", dataGiB: 100}, {typ: "ecs.g7.large", dataGiB: 200},
		{typ: "ecs.c7.xlarge"}, {typ: "ecs.c7.xlarge", dataGiB: 100}, {typ: "ecs.c7.xlarge", leftGiB: 60},
		{typ: "ecs.g5.large", dataGiB: 200}, {typ: "ecs.g5.large"},
	}
	var ids []string
	var wantCompute, wantDisks, wantStill float64
	for i, s := range specs {
		id := fmt.Sprintf("i-price%d", i)
		ids = append(ids, id)
		in := ecsemu.Instance{InstanceId: id, InstanceName: id, InstanceType: s.typ, CreationTime: o, StartTime: o}
		var disks []ecsemu.FleetDisk
		if s.dataGiB > 0 {
			disks = append(disks, ecsemu.FleetDisk{Type: "data", Category: "cloud_efficiency", Size: s.dataGiB, DeleteWithInstance: new(true)})
			wantDisks += 0.0005 * float64(s.dataGiB)
		}
		if s.leftGiB > 0 {
			disks = append(disks, ecsemu.FleetDisk{Type: "data", Category: "cloud_efficiency", Size: s.leftGiB, DeleteWithInstance: new(false)})
			wantStill += 0.0005 * float64(s.leftGiB)
		}
		if disks != nil {
			in.Disks = &ecsemu.FleetDiskSet{Disk: disks}
		}
		w.Env.AddFleet(t, in)
		wantCompute += prices.InstanceTypes[s.typ]
		wantDisks += 0.001 * 40 // every instance's system disk
	}
	resp, err := w.invoke(handler.NewRelease(w.Deps()), `{"instanceIds":["`+strings.Join(ids, `","`)+`"],"reason":"prices"}`)
	require.NoError(t, err)
	require.Equal(t, len(ids), resp.Summary.Counts[handler.OutcomeReleased])

	saved, still := resp.Summary.EstimatedSavings, resp.Summary.StillBilling
	require.NotNil(t, saved)
	require.NotNil(t, still)
	assert.InDelta(t, wantCompute, saved.Compute, 1e-9)
	assert.InDelta(t, wantDisks, saved.Disks, 1e-9)
	assert.InDelta(t, wantCompute+wantDisks, saved.PerHour, 1e-9)
	assert.Equal(t, len(ids), saved.Instances)
	assert.InDelta(t, wantStill, still.PerHour, 1e-9)
	assert.Equal(t, 1, still.Instances)
	// One read per price (read ahead of the figures, in the background,
	// and still once), and none before the last action.
	var calls []string
	for _, c := range w.Env.Emu.Calls() {
		calls = append(calls, c.Action)
	}
	assert.Equal(t, 3+4, countOf(calls, "DescribePrice"), "3 instance types, 4 disk prices: %v", calls)
	lastDelete := -1
	for i, a := range calls {
		if a == "DeleteInstances" {
			lastDelete = i
		}
	}
	require.GreaterOrEqual(t, lastDelete, 0)
	assert.Greater(t, slices.Index(calls, "DescribePrice"), lastDelete, "prices are read after every action")
	require.Len(t, resp.Warnings, 1)
	assert.Equal(t, "i-price5", resp.Warnings[0].InstanceID)
	require.NotNil(t, resp.Warnings[0].PerHour)
	assert.InDelta(t, wantStill, *resp.Warnings[0].PerHour, 1e-9)
}

func countOf(list []string, v string) int {
	n := 0
	for _, x := range list {
		if x == v {
			n++
		}
	}
	return n
}
