package ecsemu

import (
	"fmt"
	"strconv"
	"strings"
)

// DescribePrice: the price of an instance configuration (ResourceType
// instance: the instance type, its system disk, up to four data disks and
// outbound bandwidth) or of disks (ResourceType disk, pay-as-you-go only),
// from the price list in force (prices.go). Read-only; RegionId required.

// describePriceAnswer is DescribePrice's answer.
type describePriceAnswer struct {
	Response
	PriceInfo struct {
		Price priceSummary `json:"Price"`
		Rules priceRuleSet `json:"Rules"`
	} `json:"PriceInfo"`
}

// priceSummary is PriceInfo.Price: the totals and their details.
type priceSummary struct {
	OriginalPrice float64 `json:"OriginalPrice"`
	DiscountPrice float64 `json:"DiscountPrice"`
	TradePrice    float64 `json:"TradePrice"`
	Currency      string  `json:"Currency"`
	DetailInfos   struct {
		DetailInfo []priceDetail `json:"DetailInfo"`
	} `json:"DetailInfos"`
}

// priceDetail is one priced resource: instanceType, systemDisk, dataDisk
// (every data disk together) or bandwidth.
type priceDetail struct {
	Resource      string       `json:"Resource"`
	OriginalPrice float64      `json:"OriginalPrice"`
	DiscountPrice float64      `json:"DiscountPrice"`
	TradePrice    float64      `json:"TradePrice"`
	SubRules      priceRuleSet `json:"SubRules"`
}

// priceRuleSet is ECS's {"Rule":[...]} of promotion rules; the emulator
// has no promotions, so it is always empty.
type priceRuleSet struct {
	Rule []priceRule `json:"Rule"`
}

type priceRule struct {
	RuleId      int64  `json:"RuleId"`
	Description string `json:"Description"`
}

// Detail resource names.
const (
	PriceInstanceType = "instanceType"
	PriceSystemDisk   = "systemDisk"
	PriceDataDisk     = "dataDisk"
	PriceBandwidth    = "bandwidth"
)

// priceResourceTypes are ResourceType's documented values the emulator
// does not price: refused as unsupported, not as invalid.
var priceResourceTypes = map[string]bool{"bandwidth": true, "diskperformance": true, "ddh": true, "ElasticityAssurance": true, "CapacityReservation": true}

// periodLimits are Period's ranges by PriceUnit.
var periodLimits = map[string]int{"Hour": 1, "Week": 4, "Month": 9, "Year": 5}

// CurrencyOf is the currency of a region's prices: CNY in the China
// regions (cn-*), USD elsewhere.
func CurrencyOf(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "CNY"
	}
	return "USD"
}

// diskSizeLimits are the sizes (GiB) of data disks by category and level.
var diskSizeLimits = map[string][2]int{
	"cloud": {5, 2000}, "cloud_efficiency": {20, 32768}, "cloud_ssd": {20, 32768},
	"cloud_essd:PL0": {1, 65536}, "cloud_essd:PL1": {20, 65536}, "cloud_essd:PL2": {461, 65536}, "cloud_essd:PL3": {1261, 65536},
	"cloud_auto": {1, 65536}, "cloud_essd_entry": {10, 32768},
}

// priceErr builds an error answer with an explicit status, for codes whose
// status in DescribePrice's error table differs from the shared table's.
func priceErr(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Emulator) describePrice(c *rpc) (answer, *apiError) {
	if err := c.requireRegion(); err != nil {
		return nil, err
	}
	resourceType := c.p.get("ResourceType")
	switch {
	case resourceType == "":
		resourceType = "instance"
	case resourceType == "instance" || resourceType == "disk":
	case priceResourceTypes[resourceType]:
		return nil, &apiError{Status: 400, Code: "Emulator.UnsupportedParameter", Message: fmt.Sprintf("The value %q of parameter \"ResourceType\" of DescribePrice is not implemented by the ECS emulator (it prices instance and disk); it refuses the call rather than answer with a made-up price.", resourceType)}
	default:
		return nil, errf("InvalidResourceType.ValueNotSupported", "The specified parameter ResourceType is not valid.")
	}
	unit := c.p.get("PriceUnit")
	if unit == "" {
		unit = "Hour"
	}
	hours, ok := hoursPer[unit]
	if !ok {
		return nil, errf("InvalidPriceUnit.ValueNotSupported", "The specified parameter PriceUnit is not valid.")
	}
	period := 1
	if v := c.p.get("Period"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > periodLimits[unit] {
			return nil, errf("InvalidPeriod", "The specified period is not valid.")
		}
		period = n
	}
	amount := 1
	if v := c.p.get("Amount"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, errf("InvalidAmount.Malformed", "The specified parameter Amount is not valid.")
		}
		amount = n
	}
	switch c.p.get("InstanceNetworkType") {
	case "", NetworkVPC, NetworkClassic:
	default:
		return nil, errf("InvalidNetworkType.ValueNotSupported", "The specified parameter NetworkType is not valid.")
	}
	internetCharge := c.p.get("InternetChargeType")
	switch internetCharge {
	case "":
		internetCharge = PayByTraffic
	case PayByTraffic, PayByBandwidth:
	default:
		return nil, priceErr(400, "InvalidInternetChargeType.ValueNotSupported", "The specified InternetChargeType is not valid.")
	}
	bandwidth := 0
	if v := c.p.get("InternetMaxBandwidthOut"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100 {
			return nil, errf("InvalidInternetMaxBandwidthOut.ValueNotSupported", "The specified parameter InternetMaxBandwidthOut is not valid.")
		}
		bandwidth = n
	}
	spot := false
	switch s := c.p.get("SpotStrategy"); s {
	case "", SpotNone:
	case SpotAsPriceGo, SpotWithPriceLimit:
		spot = true
		if resourceType != "instance" || unit != "Hour" || period != 1 {
			// UNCONFIRMED code: the reference says the strategy takes
			// effect only for an instance's hourly price.
			return nil, errf("InvalidParameter.Conflict", "The specified parameter SpotStrategy applies only to ResourceType instance with PriceUnit Hour and Period 1.")
		}
	default:
		return nil, errf("InvalidParameter", "The specified parameter \"SpotStrategy\" is not valid.")
	}
	dataDisks, err := c.indexed("DataDisk")
	if err != nil {
		return nil, err
	}

	t := e.prices
	// scale turns an hourly price into the answer's: PriceUnit × Period × Amount.
	scale := func(hourly float64) float64 { return roundPrice(hourly * hours * float64(period) * float64(amount)) }
	out := &describePriceAnswer{}
	out.PriceInfo.Rules.Rule = []priceRule{}
	add := func(resource string, hourly, tradeHourly float64) {
		d := priceDetail{Resource: resource, OriginalPrice: scale(hourly), TradePrice: scale(tradeHourly)}
		d.DiscountPrice = roundPrice(d.OriginalPrice - d.TradePrice)
		d.SubRules.Rule = []priceRule{}
		out.PriceInfo.Price.DetailInfos.DetailInfo = append(out.PriceInfo.Price.DetailInfos.DetailInfo, d)
	}
	switch resourceType {
	case "disk":
		if unit != "Hour" {
			return nil, errf("InvalidPriceUnit.ValueNotSupported", "The specified parameter PriceUnit is not valid: disks are priced pay-as-you-go, by the Hour.")
		}
		if len(dataDisks) == 0 || dataDisks[0].n != 1 || dataDisks[0].fields["Category"] == "" {
			return nil, errf("InvalidDiskCategory.Missing", "The DataDisk.1.Category parameter that is mandatory for processing the request is not provided.")
		}
		sum, err := dataDisksHourly(t, dataDisks)
		if err != nil {
			return nil, err
		}
		add(PriceDataDisk, sum, sum)
	case "instance":
		it := c.p.get("InstanceType")
		if it == "" {
			return nil, errf("InvalidInstanceType.Missing", "The InstanceType parameter that is mandatory for processing the request is not provided.")
		}
		compute, ok := t.computeHourly(it)
		if !ok {
			return nil, errf("InvalidInstanceType.ValueNotSupported", "The specified InstanceType does not exist or beyond the permitted range.")
		}
		trade := compute
		if spot {
			trade = compute * *t.SpotFactor
		}
		sysCat := c.p.get("SystemDisk.Category")
		if sysCat == "" {
			sysCat = "cloud_efficiency"
		}
		sysSize := c.p.get("SystemDisk.Size")
		if sysSize == "" {
			sysSize = "40"
		}
		sys, err := diskHourly(t, "SystemDisk", sysCat, sysSize, c.p.get("SystemDisk.PerformanceLevel"), c.p["SystemDisk.PerformanceLevel"] != "")
		if err != nil {
			return nil, err
		}
		if len(dataDisks) > 4 {
			return nil, errf("InstanceDiskNumber.LimitExceed", "The total number of specified disk in an instance exceeds.")
		}
		data, err := dataDisksHourly(t, dataDisks)
		if err != nil {
			return nil, err
		}
		add(PriceInstanceType, compute, trade)
		add(PriceSystemDisk, sys, sys)
		if len(dataDisks) > 0 {
			add(PriceDataDisk, data, data)
		}
		if bandwidth > 0 {
			bw := 0.0
			if internetCharge == PayByBandwidth {
				bw = float64(bandwidth) * *t.BandwidthPerMbps
			}
			add(PriceBandwidth, bw, bw)
		}
	}
	p := &out.PriceInfo.Price
	p.Currency = CurrencyOf(c.region)
	for _, d := range p.DetailInfos.DetailInfo {
		p.OriginalPrice += d.OriginalPrice
		p.TradePrice += d.TradePrice
	}
	p.OriginalPrice, p.TradePrice = roundPrice(p.OriginalPrice), roundPrice(p.TradePrice)
	p.DiscountPrice = roundPrice(p.OriginalPrice - p.TradePrice)
	return out, nil
}

// dataDisksHourly is the hourly price of every DataDisk.N together; each
// needs a Category and a Size.
func dataDisksHourly(t PriceTable, disks []indexedEntry) (float64, *apiError) {
	sum := 0.0
	for _, x := range disks {
		prefix := fmt.Sprintf("DataDisk.%d", x.n)
		cat, _ := x.get("Category")
		if cat == "" {
			return 0, errf("InvalidDataDiskCategory.ValueNotSupported", "The specified parameter \"%s.Category\" is not valid.", prefix)
		}
		size, ok := x.get("Size")
		if !ok || size == "" {
			return 0, errMissing(prefix + ".Size")
		}
		level, hasLevel := x.get("PerformanceLevel")
		p, err := diskHourly(t, prefix, cat, size, level, hasLevel && level != "")
		if err != nil {
			return 0, err
		}
		sum += p
	}
	return sum, nil
}

// diskHourly is the hourly price of one disk. which is "SystemDisk" or
// "DataDisk.N"; an ESSD without a level is PL1; a level on another
// category is refused (UNCONFIRMED code: InvalidParameter).
func diskHourly(t PriceTable, which, category, sizeStr, level string, hasLevel bool) (float64, *apiError) {
	system := which == "SystemDisk"
	_, known := diskSizeLimits[category]
	if !known && category != "cloud_essd" {
		if system {
			return 0, errf("InvalidSystemDiskCategory.ValueNotSupported", "The specified parameter \"SystemDisk.Category\" is not valid.")
		}
		return 0, errf("InvalidDataDiskCategory.ValueNotSupported", "The specified parameter \"%s.Category\" is not valid.", which)
	}
	if category == "cloud_essd" {
		if level == "" {
			level = "PL1"
		}
		if _, ok := diskSizeLimits[diskKey(category, level)]; !ok {
			return 0, errInvalid(which + ".PerformanceLevel")
		}
	} else if hasLevel {
		return 0, errInvalid(which + ".PerformanceLevel")
	}
	key := diskKey(category, level)
	lim := diskSizeLimits[key]
	if system {
		lim = [2]int{max(20, lim[0]), 2048}
	}
	size, err := strconv.Atoi(sizeStr)
	if err != nil || size < lim[0] || size > lim[1] {
		if system {
			return 0, errf("InvalidSystemDiskSize.ValueNotSupported", "The specified parameter SystemDisk.Size is invalid: want %d to %d GiB for %s.", lim[0], lim[1], key)
		}
		return 0, errf("InvalidDataDiskSize.ValueNotSupported", "The specified %s.Size beyond the permitted range: want %d to %d GiB for %s.", which, lim[0], lim[1], key)
	}
	price, ok := t.Disks[key]
	if !ok {
		return 0, errf("PriceNotFound", "The price of your queried resource is not available now, please try other resources.")
	}
	return float64(size) * price, nil
}
