package ecsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The price list DescribePrice answers from. Prices are pay-as-you-go and
// hourly; a week, month or year is that many hours of the hourly price
// (hoursPer). They are plausible figures, not Alibaba Cloud's list prices,
// and the same figures serve every region (in CNY in cn-* regions, USD
// elsewhere: no exchange rate is applied).

// PriceTable is a price list. A fleet file's "Prices" section, --prices
// FILE, Options.Prices, SetPrices and POST /_emulator/prices each give one;
// what it sets is merged over the list in force (entries of the maps are
// added or replaced, a scalar set replaces the old one). The zero value
// changes nothing.
type PriceTable struct {
	// InstanceTypes is the hourly price of an instance type's vCPU and
	// memory, overriding the family rates. A type listed here is known to
	// DescribePrice even when its name does not follow ECS's pattern.
	InstanceTypes map[string]float64 `json:"InstanceTypes,omitempty"`
	// Families are hourly rates per vCPU and per GiB of memory of an
	// instance family ("ecs.g7"); "*" is the rate of every family not
	// listed. An instance type's vCPU and memory come from the emulator's
	// catalogue (InstanceTypeSpec).
	Families map[string]Rate `json:"Families,omitempty"`
	// Disks is the price of one GiB for one hour by disk category; ESSD by
	// performance level as "cloud_essd:PL0" to "cloud_essd:PL3".
	Disks map[string]float64 `json:"Disks,omitempty"`
	// BandwidthPerMbps is the hourly price of 1 Mbit/s of outbound
	// bandwidth billed PayByBandwidth (PayByTraffic bandwidth is billed by
	// the GB, which an hourly price does not show: it is priced 0).
	BandwidthPerMbps *float64 `json:"BandwidthPerMbps,omitempty"`
	// SpotFactor is a spot instance's hourly price as a fraction (0 to 1]
	// of the pay-as-you-go price (SpotStrategy SpotAsPriceGo or
	// SpotWithPriceLimit).
	SpotFactor *float64 `json:"SpotFactor,omitempty"`
}

// Rate is a family's hourly price per vCPU and per GiB of memory.
type Rate struct {
	PerVCPU float64 `json:"PerVCPU"`
	PerGiB  float64 `json:"PerGiB"`
}

// Hours per PriceUnit: a Week is 168 hours, a Month 720 (30 days), a Year
// 8760 (365 days).
var hoursPer = map[string]float64{"Hour": 1, "Week": 168, "Month": 720, "Year": 8760}

// DiskPriceKeys are the disk categories a price list prices (the keys of
// PriceTable.Disks).
var DiskPriceKeys = []string{
	"cloud", "cloud_efficiency", "cloud_ssd",
	"cloud_essd:PL0", "cloud_essd:PL1", "cloud_essd:PL2", "cloud_essd:PL3",
	"cloud_auto", "cloud_essd_entry",
}

// DefaultPrices returns the built-in price list (a copy).
func DefaultPrices() PriceTable {
	bw, spot := 0.063, 0.2
	return PriceTable{
		InstanceTypes: map[string]float64{},
		Families: map[string]Rate{
			"*":          {PerVCPU: 0.10, PerGiB: 0.015},
			"ecs.g5":     {PerVCPU: 0.09, PerGiB: 0.014},
			"ecs.g6":     {PerVCPU: 0.095, PerGiB: 0.014},
			"ecs.g6e":    {PerVCPU: 0.10, PerGiB: 0.015},
			"ecs.g7":     {PerVCPU: 0.10, PerGiB: 0.015},
			"ecs.c5":     {PerVCPU: 0.09, PerGiB: 0.014},
			"ecs.c6":     {PerVCPU: 0.095, PerGiB: 0.014},
			"ecs.c7":     {PerVCPU: 0.10, PerGiB: 0.015},
			"ecs.r7":     {PerVCPU: 0.10, PerGiB: 0.013},
			"ecs.hfg6":   {PerVCPU: 0.12, PerGiB: 0.015},
			"ecs.t5":     {PerVCPU: 0.05, PerGiB: 0.01},
			"ecs.t1":     {PerVCPU: 0.04, PerGiB: 0.01},
			"ecs.u1":     {PerVCPU: 0.08, PerGiB: 0.012},
			"ecs.i2":     {PerVCPU: 0.12, PerGiB: 0.018},
			"ecs.i3":     {PerVCPU: 0.12, PerGiB: 0.018},
			"ecs.d2s":    {PerVCPU: 0.11, PerGiB: 0.016},
			"ecs.gn5":    {PerVCPU: 1.20, PerGiB: 0.02},
			"ecs.gn6i":   {PerVCPU: 0.90, PerGiB: 0.02},
			"ecs.re6":    {PerVCPU: 0.10, PerGiB: 0.012},
			"ecs.ic5":    {PerVCPU: 0.09, PerGiB: 0.014},
			"ecs.ebmg5s": {PerVCPU: 0.09, PerGiB: 0.014},
		},
		Disks: map[string]float64{
			"cloud":            0.0003,
			"cloud_efficiency": 0.0005,
			"cloud_ssd":        0.0014,
			"cloud_essd:PL0":   0.0007,
			"cloud_essd:PL1":   0.0014,
			"cloud_essd:PL2":   0.0028,
			"cloud_essd:PL3":   0.0056,
			"cloud_auto":       0.001,
			"cloud_essd_entry": 0.0005,
		},
		BandwidthPerMbps: &bw,
		SpotFactor:       &spot,
	}
}

// clone returns a deep copy.
func (t PriceTable) clone() PriceTable {
	out := PriceTable{InstanceTypes: maps.Clone(t.InstanceTypes), Families: maps.Clone(t.Families), Disks: maps.Clone(t.Disks)}
	if t.BandwidthPerMbps != nil {
		out.BandwidthPerMbps = new(*t.BandwidthPerMbps)
	}
	if t.SpotFactor != nil {
		out.SpotFactor = new(*t.SpotFactor)
	}
	return out
}

// merged returns t with o's settings put over it.
func (t PriceTable) merged(o PriceTable) PriceTable {
	out := t.clone()
	if out.InstanceTypes == nil {
		out.InstanceTypes = map[string]float64{}
	}
	if out.Families == nil {
		out.Families = map[string]Rate{}
	}
	if out.Disks == nil {
		out.Disks = map[string]float64{}
	}
	maps.Copy(out.InstanceTypes, o.InstanceTypes)
	maps.Copy(out.Families, o.Families)
	maps.Copy(out.Disks, o.Disks)
	if o.BandwidthPerMbps != nil {
		out.BandwidthPerMbps = new(*o.BandwidthPerMbps)
	}
	if o.SpotFactor != nil {
		out.SpotFactor = new(*o.SpotFactor)
	}
	return out
}

func validPrice(x float64) bool { return x >= 0 && !math.IsInf(x, 0) } // false for NaN too

// Validate checks a price list: every price a finite number ≥ 0, family
// keys "*" or "ecs.<family>", instance types "ecs.…", disk keys from
// DiskPriceKeys, SpotFactor in (0, 1]. A typo fails instead of becoming a
// price nobody asks for.
func (t PriceTable) Validate() error {
	for _, k := range slices.Sorted(maps.Keys(t.InstanceTypes)) {
		if !strings.HasPrefix(k, "ecs.") || len(k) <= len("ecs.") {
			return fmt.Errorf("InstanceTypes: %q is not an instance type such as ecs.g7.large", k)
		}
		if !validPrice(t.InstanceTypes[k]) {
			return fmt.Errorf("in InstanceTypes, %s: %v is not a price (a finite number ≥ 0)", k, t.InstanceTypes[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(t.Families)) {
		if k != "*" && (!strings.HasPrefix(k, "ecs.") || strings.Count(k, ".") != 1 || len(k) <= len("ecs.")) {
			return fmt.Errorf("in Families, %q is not an instance family such as ecs.g7 (or * for every other family)", k)
		}
		if r := t.Families[k]; !validPrice(r.PerVCPU) || !validPrice(r.PerGiB) {
			return fmt.Errorf("in Families, %s: PerVCPU %v and PerGiB %v must be prices (finite numbers ≥ 0)", k, r.PerVCPU, r.PerGiB)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(t.Disks)) {
		if !slices.Contains(DiskPriceKeys, k) {
			return fmt.Errorf("in Disks, %q is not one of %s", k, strings.Join(DiskPriceKeys, ", "))
		}
		if !validPrice(t.Disks[k]) {
			return fmt.Errorf("in Disks, %s: %v is not a price (a finite number ≥ 0)", k, t.Disks[k])
		}
	}
	if t.BandwidthPerMbps != nil && !validPrice(*t.BandwidthPerMbps) {
		return fmt.Errorf("BandwidthPerMbps: %v is not a price (a finite number ≥ 0)", *t.BandwidthPerMbps)
	}
	if f := t.SpotFactor; f != nil && !(*f > 0 && *f <= 1) {
		return fmt.Errorf("SpotFactor: %v is not a fraction in (0, 1]", *f)
	}
	return nil
}

// ParsePrices reads a price list: a JSON object of PriceTable's fields.
// Unknown fields are rejected, and so is an invalid list (Validate).
func ParsePrices(r io.Reader) (PriceTable, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return PriceTable{}, fmt.Errorf("ecsemu: reading prices: %w", err)
	}
	var t PriceTable
	if err := strictJSON(data, &t); err != nil {
		return PriceTable{}, fmt.Errorf("ecsemu: prices are not a JSON price list: %w", err)
	}
	if err := t.Validate(); err != nil {
		return PriceTable{}, fmt.Errorf("ecsemu: prices: %w", err)
	}
	return t, nil
}

// strictJSON decodes exactly one JSON value, refusing unknown fields.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// Prices returns the price list in force.
func (e *Emulator) Prices() PriceTable {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.prices.clone()
}

// SetPrices puts t over the price list in force (see PriceTable); an
// invalid t changes nothing.
func (e *Emulator) SetPrices(t PriceTable) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("ecsemu: prices: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.prices = e.prices.merged(t)
	return nil
}

// ResetPrices restores the built-in price list.
func (e *Emulator) ResetPrices() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.prices = DefaultPrices()
}

// InstanceTypeSpec is what the emulator knows of an instance type: its
// vCPUs and memory.
type InstanceTypeSpec struct {
	VCPU      int     `json:"VCPU"`
	MemoryGiB float64 `json:"MemoryGiB"`
}

// instanceCatalogue holds the instance types of the project's fleets and
// demos with their published vCPU and memory; other types are derived
// from their names (specOf).
var instanceCatalogue = map[string]InstanceTypeSpec{
	"ecs.g5.large": {2, 8}, "ecs.g5.xlarge": {4, 16}, "ecs.g5.2xlarge": {8, 32}, "ecs.g5.4xlarge": {16, 64},
	"ecs.g6.large": {2, 8}, "ecs.g6.xlarge": {4, 16}, "ecs.g6e.large": {2, 8},
	"ecs.g7.large": {2, 8}, "ecs.g7.xlarge": {4, 16},
	"ecs.c5.large": {2, 4}, "ecs.c5.2xlarge": {8, 16}, "ecs.c5.4xlarge": {16, 32},
	"ecs.c6.large": {2, 4}, "ecs.c6.xlarge": {4, 8}, "ecs.c7.large": {2, 4},
	"ecs.r7.xlarge": {4, 32}, "ecs.hfg6.large": {2, 8}, "ecs.ic5.large": {2, 2},
	"ecs.i2.xlarge": {4, 32}, "ecs.i3.xlarge": {4, 32}, "ecs.i3.2xlarge": {8, 64},
	"ecs.d2s.5xlarge": {20, 88}, "ecs.re6.26xlarge": {104, 1536}, "ecs.ebmg5s.24xlarge": {96, 384},
	"ecs.t1.xsmall": {1, 0.5}, "ecs.t5-lc1m1.small": {1, 1}, "ecs.u1-c1m1.large": {2, 2},
	"ecs.gn5-c4g1.xlarge": {4, 30}, "ecs.gn6i-c4g1.xlarge": {4, 15},
}

// memoryPerVCPU is GiB of memory per vCPU by the letters that start a
// family name (ecs.hfr7 → "hfr"); 4 for any other.
var memoryPerVCPU = map[string]float64{"c": 2, "hfc": 2, "g": 4, "hfg": 4, "r": 8, "hfr": 8, "re": 16, "i": 8, "d": 4.4, "t": 2, "u": 4}

// specOf is the vCPU and memory of an instance type: from the catalogue,
// else from its name ecs.<family>[-<variant>].<size>. The size gives the
// vCPUs (small/xsmall/tiny/nano/medium 1, large 2, xlarge 4, Nxlarge 4N);
// a "c<a>m<b>" variant gives b/a GiB per vCPU, else the family's letters
// do (memoryPerVCPU). ok is false for a name that follows neither.
func specOf(instanceType string) (InstanceTypeSpec, bool) {
	if s, ok := instanceCatalogue[instanceType]; ok {
		return s, true
	}
	parts := strings.Split(instanceType, ".")
	if len(parts) != 3 || parts[0] != "ecs" || parts[1] == "" {
		return InstanceTypeSpec{}, false
	}
	var vcpu int
	switch size := parts[2]; size {
	case "nano", "tiny", "xsmall", "small", "medium":
		vcpu = 1
	case "large":
		vcpu = 2
	case "xlarge":
		vcpu = 4
	default:
		n, err := strconv.Atoi(strings.TrimSuffix(size, "xlarge"))
		if !strings.HasSuffix(size, "xlarge") || err != nil || n < 2 || n > 64 {
			return InstanceTypeSpec{}, false
		}
		vcpu = 4 * n
	}
	family, variant, _ := strings.Cut(parts[1], "-")
	letters := family
	if i := strings.IndexFunc(family, func(r rune) bool { return r < 'a' || r > 'z' }); i >= 0 {
		letters = family[:i]
	}
	if letters == "" {
		return InstanceTypeSpec{}, false
	}
	ratio, ok := memoryPerVCPU[letters]
	if !ok {
		ratio = 4
	}
	// A variant such as lc1m2 or c1m1: the last "c<a>m<b>" in it.
	if i := strings.LastIndex(variant, "c"); i >= 0 {
		if a, b, ok := strings.Cut(variant[i+1:], "m"); ok {
			na, ea := strconv.Atoi(a)
			nb, eb := strconv.Atoi(b)
			if ea == nil && eb == nil && na > 0 && nb > 0 {
				ratio = float64(nb) / float64(na)
			}
		}
	}
	return InstanceTypeSpec{VCPU: vcpu, MemoryGiB: float64(vcpu) * ratio}, true
}

// InstanceTypeOf returns what the emulator knows of an instance type (see
// specOf); ok is false for a type it does not know.
func InstanceTypeOf(instanceType string) (InstanceTypeSpec, bool) { return specOf(instanceType) }

// computeHourly is the hourly price of an instance type's vCPU and memory
// under t; ok is false for an unknown type.
func (t PriceTable) computeHourly(instanceType string) (float64, bool) {
	if p, ok := t.InstanceTypes[instanceType]; ok {
		return p, true
	}
	spec, ok := specOf(instanceType)
	if !ok {
		return 0, false
	}
	rate, ok := t.Families[familyOf(instanceType)]
	if !ok {
		rate = t.Families["*"]
	}
	return float64(spec.VCPU)*rate.PerVCPU + spec.MemoryGiB*rate.PerGiB, true
}

// diskKey is the Disks key of a category and performance level.
func diskKey(category, level string) string {
	if category == "cloud_essd" {
		return category + ":" + level
	}
	return category
}

// roundPrice rounds a price to 4 decimal places, as prices are shown.
func roundPrice(x float64) float64 { return math.Round(x*1e4) / 1e4 }
