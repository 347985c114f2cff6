package ecsemu_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// priceAnswer is the part of DescribePrice's answer the tests read.
type priceAnswer struct {
	PriceInfo struct {
		Price struct {
			OriginalPrice, DiscountPrice, TradePrice float64
			Currency                                 string
			DetailInfos                              struct {
				DetailInfo []struct {
					Resource                                 string
					OriginalPrice, DiscountPrice, TradePrice float64
				}
			}
		}
	}
}

// trade returns the TradePrice of one detail, -1 when absent.
func (a priceAnswer) trade(resource string) float64 {
	for _, d := range a.PriceInfo.Price.DetailInfos.DetailInfo {
		if d.Resource == resource {
			return d.TradePrice
		}
	}
	return -1
}

// price calls DescribePrice with raw parameters (pairs) in the default
// region unless a RegionId is among them.
func price(t *testing.T, env *ecsemutest.Env, pairs ...string) (priceAnswer, rawResponse) {
	t.Helper()
	p := baseParams(env, "DescribePrice")
	for i := 0; i+1 < len(pairs); i += 2 {
		p[pairs[i]] = pairs[i+1]
	}
	if p["RegionId"] == "-" {
		delete(p, "RegionId")
	}
	raw := rawSigned(t, env, http.MethodPost, p)
	var a priceAnswer
	if raw.Status == http.StatusOK {
		require.NoError(t, json.Unmarshal(raw.Body, &a))
	}
	return a, raw
}

func priceOK(t *testing.T, env *ecsemutest.Env, pairs ...string) priceAnswer {
	t.Helper()
	a, raw := price(t, env, pairs...)
	require.Equal(t, http.StatusOK, raw.Status, "body %s", raw.Body)
	return a
}

func TestDescribePriceArithmetic(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	// ecs.c5.2xlarge: 8 vCPU × 0.09 + 16 GiB × 0.014 = 0.944 an hour.
	a := priceOK(t, env, "InstanceType", "ecs.c5.2xlarge")
	assert.Equal(t, 0.944, a.trade("instanceType"))
	assert.Equal(t, 0.02, a.trade("systemDisk"), "the default system disk: 40 GiB cloud_efficiency")
	assert.Equal(t, -1.0, a.trade("dataDisk"), "no data disk, no detail")
	assert.Equal(t, -1.0, a.trade("bandwidth"), "no bandwidth, no detail")
	assert.Equal(t, 0.964, a.PriceInfo.Price.TradePrice)
	assert.Equal(t, 0.0, a.PriceInfo.Price.DiscountPrice)

	for unit, hours := range map[string]float64{"Hour": 1, "Week": 168, "Month": 720, "Year": 8760} {
		a := priceOK(t, env, "InstanceType", "ecs.c5.2xlarge", "PriceUnit", unit)
		assert.InDelta(t, 0.944*hours, a.trade("instanceType"), 1e-6, unit)
	}
	a = priceOK(t, env, "InstanceType", "ecs.c5.2xlarge", "PriceUnit", "Year", "Period", "3", "Amount", "10")
	assert.InDelta(t, 0.944*8760*3*10, a.trade("instanceType"), 1e-6, "Year × Period × Amount")
	assert.InDelta(t, (0.944+0.02)*8760*3*10, a.PriceInfo.Price.TradePrice, 1e-6)

	// Amount multiplies instance and disk prices alike.
	a = priceOK(t, env, "ResourceType", "disk", "DataDisk.1.Category", "cloud_efficiency", "DataDisk.1.Size", "200", "Amount", "4")
	assert.Equal(t, 0.4, a.trade("dataDisk"), "200 GiB × 0.0005 × 4")

	// Types named by pattern only: ecs.g8i.4xlarge is 16 vCPU, 64 GiB at the default rate.
	a = priceOK(t, env, "InstanceType", "ecs.g8i.4xlarge")
	assert.InDelta(t, 16*0.10+64*0.015, a.trade("instanceType"), 1e-9)
	// t5-lc1m2: 1 vCPU, 2 GiB (c1m2).
	a = priceOK(t, env, "InstanceType", "ecs.t5-lc1m2.small")
	assert.InDelta(t, 0.05+2*0.01, a.trade("instanceType"), 1e-9)

	// PayByTraffic bandwidth is billed by the GB: 0 an hour.
	a = priceOK(t, env, "InstanceType", "ecs.g7.large", "InternetMaxBandwidthOut", "10")
	assert.Equal(t, 0.0, a.trade("bandwidth"))
	a = priceOK(t, env, "InstanceType", "ecs.g7.large", "InternetMaxBandwidthOut", "10", "InternetChargeType", "PayByBandwidth")
	assert.Equal(t, 0.63, a.trade("bandwidth"))

	// Currency: CNY in cn-* regions, USD elsewhere.
	assert.Equal(t, "CNY", a.PriceInfo.Price.Currency)
	a = priceOK(t, env, "InstanceType", "ecs.g7.large", "RegionId", "eu-central-1")
	assert.Equal(t, "USD", a.PriceInfo.Price.Currency)
	assert.Equal(t, 0.32, a.trade("instanceType"), "the same figures")
}

func TestDescribePriceEveryRepoInstanceTypeIsKnown(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	for _, it := range []string{
		"ecs.g5.large", "ecs.g5.xlarge", "ecs.g5.2xlarge", "ecs.g5.4xlarge", "ecs.g6.large", "ecs.g6.xlarge", "ecs.g6e.large",
		"ecs.g7.large", "ecs.g7.xlarge", "ecs.c5.large", "ecs.c5.2xlarge", "ecs.c5.4xlarge", "ecs.c6.large", "ecs.c6.xlarge",
		"ecs.c7.large", "ecs.r7.xlarge", "ecs.i2.xlarge", "ecs.i3.xlarge", "ecs.i3.2xlarge", "ecs.hfg6.large", "ecs.ic5.large",
		"ecs.u1-c1m1.large", "ecs.t5-lc1m1.small", "ecs.t1.xsmall", "ecs.gn5-c4g1.xlarge", "ecs.gn6i-c4g1.xlarge",
		"ecs.re6.26xlarge", "ecs.ebmg5s.24xlarge", "ecs.d2s.5xlarge",
	} {
		spec, ok := ecsemu.InstanceTypeOf(it)
		require.True(t, ok, it)
		assert.Positive(t, spec.VCPU, it)
		a := priceOK(t, env, "InstanceType", it)
		assert.Positive(t, a.trade("instanceType"), it)
	}
	for _, it := range []string{"ecs.example.test", "g7.large", "ecs.g7", "ecs..large", "ecs.g7.100xlarge"} {
		_, ok := ecsemu.InstanceTypeOf(it)
		assert.False(t, ok, it)
	}
}

func TestDescribePriceBadInput(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	cases := []struct {
		name   string
		params []string
		status int
		code   string
	}{
		{"no RegionId", []string{"RegionId", "-", "InstanceType", "ecs.g7.large"}, 400, "MissingParameter"},
		{"unknown instance type", []string{"InstanceType", "ecs.example.test"}, 400, "InvalidInstanceType.ValueNotSupported"},
		{"no instance type", nil, 404, "InvalidInstanceType.Missing"},
		{"unknown resource type", []string{"ResourceType", "gpu"}, 400, "InvalidResourceType.ValueNotSupported"},
		{"unmodelled resource type", []string{"ResourceType", "ddh"}, 400, "Emulator.UnsupportedParameter"},
		{"unknown price unit", []string{"InstanceType", "ecs.g7.large", "PriceUnit", "Day"}, 400, "InvalidPriceUnit.ValueNotSupported"},
		{"period over the unit's range", []string{"InstanceType", "ecs.g7.large", "PriceUnit", "Month", "Period", "10"}, 400, "InvalidPeriod"},
		{"period not a number", []string{"InstanceType", "ecs.g7.large", "Period", "x"}, 400, "InvalidPeriod"},
		{"amount 0", []string{"InstanceType", "ecs.g7.large", "Amount", "0"}, 403, "InvalidAmount.Malformed"},
		{"network type", []string{"InstanceType", "ecs.g7.large", "InstanceNetworkType", "vxlan"}, 404, "InvalidNetworkType.ValueNotSupported"},
		{"internet charge type", []string{"InstanceType", "ecs.g7.large", "InternetChargeType", "PayByMood"}, 400, "InvalidInternetChargeType.ValueNotSupported"},
		{"bandwidth over 100", []string{"InstanceType", "ecs.g7.large", "InternetMaxBandwidthOut", "101"}, 400, "InvalidInternetMaxBandwidthOut.ValueNotSupported"},
		{"system disk category", []string{"InstanceType", "ecs.g7.large", "SystemDisk.Category", "ephemeral"}, 400, "InvalidSystemDiskCategory.ValueNotSupported"},
		{"system disk size", []string{"InstanceType", "ecs.g7.large", "SystemDisk.Size", "10"}, 400, "InvalidSystemDiskSize.ValueNotSupported"},
		{"ESSD level", []string{"InstanceType", "ecs.g7.large", "SystemDisk.Category", "cloud_essd", "SystemDisk.PerformanceLevel", "PL9"}, 400, "InvalidParameter"},
		{"level on a non-ESSD", []string{"ResourceType", "disk", "DataDisk.1.Category", "cloud_ssd", "DataDisk.1.Size", "40", "DataDisk.1.PerformanceLevel", "PL1"}, 400, "InvalidParameter"},
		{"data disk without size", []string{"ResourceType", "disk", "DataDisk.1.Category", "cloud_ssd"}, 400, "MissingParameter"},
		{"disk without DataDisk.1", []string{"ResourceType", "disk", "DataDisk.2.Category", "cloud_ssd", "DataDisk.2.Size", "40"}, 404, "InvalidDiskCategory.Missing"},
		{"five data disks", []string{"InstanceType", "ecs.g7.large",
			"DataDisk.1.Category", "cloud_ssd", "DataDisk.1.Size", "40", "DataDisk.2.Category", "cloud_ssd", "DataDisk.2.Size", "40",
			"DataDisk.3.Category", "cloud_ssd", "DataDisk.3.Size", "40", "DataDisk.4.Category", "cloud_ssd", "DataDisk.4.Size", "40",
			"DataDisk.5.Category", "cloud_ssd", "DataDisk.5.Size", "40"}, 400, "InstanceDiskNumber.LimitExceed"},
		{"spot by the month", []string{"InstanceType", "ecs.g7.large", "SpotStrategy", "SpotAsPriceGo", "PriceUnit", "Month"}, 400, "InvalidParameter.Conflict"},
		{"spot strategy", []string{"InstanceType", "ecs.g7.large", "SpotStrategy", "Cheap"}, 400, "InvalidParameter"},
		{"a documented parameter not implemented", []string{"InstanceType", "ecs.g7.large", "ImageId", "ubuntu"}, 400, "Emulator.UnsupportedParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, raw := price(t, env, tc.params...)
			requireErrorBody(t, raw, tc.status, tc.code)
		})
	}
}

func TestDescribePriceOverrides(t *testing.T) {
	t.Parallel()
	bw := 0.1
	env := start(t, ecsemu.Options{Prices: &ecsemu.PriceTable{
		InstanceTypes: map[string]float64{"ecs.g7.large": 0.5, "ecs.example.test": 2},
		Disks:         map[string]float64{"cloud_efficiency": 0.001},
	}})
	a := priceOK(t, env, "InstanceType", "ecs.g7.large")
	assert.Equal(t, 0.5, a.trade("instanceType"), "Options.Prices: an exact type price")
	assert.Equal(t, 0.04, a.trade("systemDisk"), "Options.Prices: a disk price")
	assert.Equal(t, 2.0, priceOK(t, env, "InstanceType", "ecs.example.test").trade("instanceType"), "a type listed in the prices is known")
	assert.Equal(t, 0.64, priceOK(t, env, "InstanceType", "ecs.g7.xlarge").trade("instanceType"), "other types keep the family rate: 4×0.10+16×0.015")

	require.NoError(t, env.Emu.SetPrices(ecsemu.PriceTable{Families: map[string]ecsemu.Rate{"ecs.g7": {PerVCPU: 1, PerGiB: 0}}, BandwidthPerMbps: &bw}))
	a = priceOK(t, env, "InstanceType", "ecs.g7.xlarge", "InternetChargeType", "PayByBandwidth", "InternetMaxBandwidthOut", "2")
	assert.Equal(t, 4.0, a.trade("instanceType"), "SetPrices merges: the new family rate")
	assert.Equal(t, 0.2, a.trade("bandwidth"))
	assert.Equal(t, 0.5, priceOK(t, env, "InstanceType", "ecs.g7.large").trade("instanceType"), "the exact price set before still wins")
	assert.Equal(t, 0.5, env.Emu.Prices().InstanceTypes["ecs.g7.large"])

	bad := []ecsemu.PriceTable{
		{InstanceTypes: map[string]float64{"g7.large": 1}},
		{InstanceTypes: map[string]float64{"ecs.g7.large": -1}},
		{Families: map[string]ecsemu.Rate{"ecs.g7.large": {}}},
		{Disks: map[string]float64{"cloud_essd": 1}},
		{SpotFactor: new(1.5)},
	}
	for _, b := range bad {
		assert.Error(t, env.Emu.SetPrices(b), "%+v", b)
	}
	_, err := ecsemu.New(ecsemu.Options{Prices: &bad[0]})
	assert.Error(t, err)
	assert.Equal(t, 0.5, priceOK(t, env, "InstanceType", "ecs.g7.large").trade("instanceType"), "an invalid list changes nothing")

	env.Emu.ResetPrices()
	assert.Equal(t, 0.32, priceOK(t, env, "InstanceType", "ecs.g7.large").trade("instanceType"))
	assert.Equal(t, ecsemu.DefaultPrices(), env.Emu.Prices())
	_, raw := price(t, env, "InstanceType", "ecs.example.test")
	requireErrorBody(t, raw, 400, "InvalidInstanceType.ValueNotSupported")
}

const pricedFleet = `{
  "Instances": [{"InstanceId": "i-priced1", "InstanceType": "ecs.c7.large"}],
  "prices": {
    "InstanceTypes": {"ecs.c7.large": 0.25},
    "Families": {"*": {"PerVCPU": 0.2, "PerGiB": 0.01}},
    "Disks": {"cloud_essd:PL1": 0.002}
  }
}`

func TestFleetFilePrices(t *testing.T) {
	t.Parallel()
	f, err := ecsemu.ParseFleetFile(strings.NewReader(pricedFleet))
	require.NoError(t, err)
	require.Len(t, f.Instances, 1)
	require.NotNil(t, f.Prices, `"prices" matches Prices`)

	env := start(t, ecsemu.Options{})
	ids, err := env.Emu.LoadFleet(f)
	require.NoError(t, err)
	assert.Equal(t, []string{"i-priced1"}, ids)
	assert.Equal(t, 0.25, priceOK(t, env, "InstanceType", "ecs.c7.large").trade("instanceType"))
	assert.InDelta(t, 8*0.2+32*0.01, priceOK(t, env, "InstanceType", "ecs.x9.2xlarge").trade("instanceType"), 1e-9, "the * family rate")
	assert.Equal(t, 0.2, priceOK(t, env, "ResourceType", "disk", "DataDisk.1.Category", "cloud_essd", "DataDisk.1.Size", "100").trade("dataDisk"))

	// The array form is still a fleet file; ParseFleet reads the object
	// form without prices, and refuses to drop a Prices section.
	arr, err := ecsemu.ParseFleetFile(strings.NewReader(`[{"InstanceId":"i-arr1"}]`))
	require.NoError(t, err)
	assert.Nil(t, arr.Prices)
	assert.Len(t, arr.Instances, 1)
	fleet, err := ecsemu.ParseFleet(strings.NewReader(`{"Instances":[{"InstanceId":"i-obj1"}]}`))
	require.NoError(t, err)
	assert.Len(t, fleet, 1)
	_, err = ecsemu.ParseFleet(strings.NewReader(pricedFleet))
	assert.ErrorContains(t, err, "ParseFleetFile")

	for name, text := range map[string]string{
		"unknown section":     `{"Instances":[],"Discounts":{}}`,
		"unknown price field": `{"Prices":{"Currency":"EUR"}}`,
		"bad price":           `{"Prices":{"Disks":{"cloud_ssd":-1}}}`,
		"bad disk key":        `{"Prices":{"Disks":{"cloud_essd":0.1}}}`,
	} {
		_, err := ecsemu.ParseFleetFile(strings.NewReader(text))
		assert.Error(t, err, name)
	}

	// LoadFleet changes nothing when the instances are refused.
	env2 := start(t, ecsemu.Options{})
	bad, err := ecsemu.ParseFleetFile(strings.NewReader(`{"Instances":[{"Status":"Flying"}],"Prices":{"InstanceTypes":{"ecs.g7.large":9}}}`))
	require.NoError(t, err)
	_, err = env2.Emu.LoadFleet(bad)
	require.Error(t, err)
	assert.Equal(t, 0.32, priceOK(t, env2, "InstanceType", "ecs.g7.large").trade("instanceType"))

	// The admin fleet endpoint takes the object form too.
	status, body := admin(t, env2, http.MethodPost, "fleet", pricedFleet)
	require.Equal(t, http.StatusOK, status, "%v", body)
	assert.Equal(t, 0.25, priceOK(t, env2, "InstanceType", "ecs.c7.large").trade("instanceType"))
}

func TestParsePrices(t *testing.T) {
	t.Parallel()
	p, err := ecsemu.ParsePrices(strings.NewReader(`{"InstanceTypes":{"ecs.g7.large":0.4},"SpotFactor":0.5}`))
	require.NoError(t, err)
	assert.Equal(t, 0.4, p.InstanceTypes["ecs.g7.large"])
	assert.Equal(t, 0.5, *p.SpotFactor)
	for _, text := range []string{`[]`, `{"Nope":1}`, `{"SpotFactor":0}`, `{} {}`, `{"BandwidthPerMbps":-0.1}`} {
		_, err := ecsemu.ParsePrices(strings.NewReader(text))
		assert.Error(t, err, text)
	}
	// DefaultPrices is a copy: changing it changes no emulator.
	d := ecsemu.DefaultPrices()
	maps.DeleteFunc(d.Disks, func(string, float64) bool { return true })
	assert.Len(t, ecsemu.DefaultPrices().Disks, len(ecsemu.DiskPriceKeys))
	for _, k := range ecsemu.DiskPriceKeys {
		assert.Contains(t, ecsemu.DefaultPrices().Disks, k)
	}
}
