package ecs

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPriceOfFallsBackToTheTotal(t *testing.T) {
	t.Parallel()
	var resp describePriceResponse
	resp.PriceInfo.Price.TradePrice, resp.PriceInfo.Price.Currency = 0.5, "CNY"
	assert.Equal(t, Price{PerHour: 0.5, Currency: "CNY"}, priceOf(&resp, priceDetailDataDisk), "no detail: the total")
	resp.PriceInfo.Price.DetailInfos.DetailInfo = append(resp.PriceInfo.Price.DetailInfos.DetailInfo,
		struct {
			Resource   string  `json:"Resource"`
			TradePrice float64 `json:"TradePrice"`
		}{"systemDisk", 0.1},
		struct {
			Resource   string  `json:"Resource"`
			TradePrice float64 `json:"TradePrice"`
		}{"instanceType", 0.4})
	assert.Equal(t, 0.4, priceOf(&resp, priceDetailInstanceType).PerHour)
	assert.Equal(t, 0.5, priceOf(&resp, priceDetailDataDisk).PerHour, "a missing detail: the total")
}
