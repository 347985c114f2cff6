package ecs

import (
	"context"
	"fmt"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
)

// --- DescribePrice (declared as api.go declares the other actions) -------

// describePriceRequest is the part of DescribePrice this package sends:
// a pay-as-you-go hourly price of an instance type or of one data disk.
type describePriceRequest struct {
	*requests.RpcRequest
	ResourceType string               `position:"Query" name:"ResourceType"`
	InstanceType string               `position:"Query" name:"InstanceType"`
	PriceUnit    string               `position:"Query" name:"PriceUnit"`
	DataDisk     *[]describePriceDisk `position:"Query" name:"DataDisk" type:"Repeated"`
}

// describePriceDisk is one DataDisk.N.
type describePriceDisk struct {
	Category         string `name:"Category"`
	Size             string `name:"Size"`
	PerformanceLevel string `name:"PerformanceLevel"`
}

func newDescribePriceRequest() *describePriceRequest {
	return &describePriceRequest{RpcRequest: newRPC("DescribePrice")}
}

type describePriceResponse struct {
	responses.BaseResponse
	RequestId string `json:"RequestId"`
	PriceInfo struct {
		Price struct {
			TradePrice  float64 `json:"TradePrice"`
			Currency    string  `json:"Currency"`
			DetailInfos struct {
				DetailInfo []struct {
					Resource   string  `json:"Resource"`
					TradePrice float64 `json:"TradePrice"`
				} `json:"DetailInfo"`
			} `json:"DetailInfos"`
		} `json:"Price"`
	} `json:"PriceInfo"`
}

func (a sdkAPI) DescribePrice(r *describePriceRequest) (*describePriceResponse, error) {
	return send[describePriceResponse](a.c, r)
}

// --- prices ----------------------------------------------------------------

// Price is a pay-as-you-go price.
type Price struct {
	// PerHour is the price of one hour.
	PerHour float64 `json:"perHour"`
	// Currency is ECS's: CNY on the China site, USD on the international one.
	Currency string `json:"currency"`
}

// Detail resources of DescribePrice's answer.
const (
	priceDetailInstanceType = "instanceType"
	priceDetailDataDisk     = "dataDisk"
)

// Prices reads pay-as-you-go hourly prices through DescribePrice and
// caches them (safe for concurrent use; one per invocation and region). A
// failed read is cached too (not retried within the invocation beyond the
// client's normal retry policy).
type Prices struct {
	c       *Client
	mu      sync.Mutex
	entries map[priceKey]*priceEntry
}

// priceKey names one price: an instance type, or a disk's category, size
// and performance level.
type priceKey struct {
	instanceType string
	category     string
	sizeGiB      int
	level        string
}

// priceEntry is one read, done once; ready is closed when it is.
type priceEntry struct {
	ready chan struct{}
	price Price
	err   error
}

// NewPrices returns an empty price cache over the client (its region,
// rate limit, retries and Stats).
func (c *Client) NewPrices() *Prices {
	return &Prices{c: c, entries: map[priceKey]*priceEntry{}}
}

// Compute is the hourly price of an instance type's vCPU and memory (the
// "instanceType" detail of DescribePrice with ResourceType=instance,
// PriceUnit=Hour).
func (p *Prices) Compute(ctx context.Context, instanceType string) (Price, error) {
	if instanceType == "" {
		return Price{}, &APIError{Action: "DescribePrice", Message: "no instance type given", class: ErrInvalidParameter}
	}
	return p.get(ctx, priceKey{instanceType: instanceType}, func() *describePriceRequest {
		req := newDescribePriceRequest()
		req.ResourceType, req.InstanceType, req.PriceUnit = "instance", instanceType, "Hour"
		return req
	}, priceDetailInstanceType)
}

// Disk is the hourly price of one disk (ResourceType=disk, DataDisk.1.*,
// PriceUnit=Hour). performanceLevel is for ESSDs ("PL0" to "PL3"; "" lets
// ECS choose, PL1); leave it empty for other categories.
func (p *Prices) Disk(ctx context.Context, category string, sizeGiB int, performanceLevel string) (Price, error) {
	if category == "" || sizeGiB <= 0 {
		return Price{}, &APIError{Action: "DescribePrice", Message: fmt.Sprintf("a disk needs a category and a positive size (got %q, %d GiB)", category, sizeGiB), class: ErrInvalidParameter}
	}
	key := priceKey{category: category, sizeGiB: sizeGiB, level: performanceLevel}
	return p.get(ctx, key, func() *describePriceRequest {
		req := newDescribePriceRequest()
		req.ResourceType, req.PriceUnit = "disk", "Hour"
		req.DataDisk = &[]describePriceDisk{{Category: category, Size: fmt.Sprint(sizeGiB), PerformanceLevel: performanceLevel}}
		return req
	}, priceDetailDataDisk)
}

// get returns the cached price of key, reading it once: concurrent callers
// of the same key wait for the one read (or for their own ctx).
func (p *Prices) get(ctx context.Context, key priceKey, build func() *describePriceRequest, detail string) (Price, error) {
	p.mu.Lock()
	e, ok := p.entries[key]
	if !ok {
		e = &priceEntry{ready: make(chan struct{})}
		p.entries[key] = e
	}
	p.mu.Unlock()
	if ok {
		select {
		case <-e.ready:
			return e.price, e.err
		case <-ctx.Done():
			return Price{}, &APIError{Action: "DescribePrice", Message: ctx.Err().Error(), class: ErrDeadline, cause: ctx.Err()}
		}
	}
	defer close(e.ready)
	resp, err := do(ctx, p.c, "DescribePrice", build(), API.DescribePrice)
	if err != nil {
		e.err = err
		return Price{}, err
	}
	e.price = priceOf(resp, detail)
	return e.price, nil
}

// priceOf reads the TradePrice of the detail of that resource, or the
// total's when the answer has no such detail.
func priceOf(resp *describePriceResponse, detail string) Price {
	pr := resp.PriceInfo.Price
	out := Price{PerHour: pr.TradePrice, Currency: pr.Currency}
	for _, d := range pr.DetailInfos.DetailInfo {
		if d.Resource == detail {
			out.PerHour = d.TradePrice
			break
		}
	}
	return out
}
