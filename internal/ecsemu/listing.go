package ecsemu

import (
	"slices"
	"strconv"
)

// Listings remembered between calls. A fleet cleanup pages through one
// query (DescribeInstances by tag, 100 a page, PageNumber or NextToken):
// every page needs the whole filtered list, for its TotalCount and for
// where the page starts, and filtering a 50,000-instance store for each of
// 500 pages made the emulator's cost grow with the square of the fleet.
// While the store does not change between the pages, the list is the
// same; it is computed once and remembered.
//
// The store counts as changed conservatively: on every mutating action
// (successful or not, DryRun or not), every tick pass, and every time
// anything but an API call takes the emulator's lock (emuMutex.Lock; the
// admin API, operators, fleet loading, the clock). A remembered list is
// therefore only ever reused by read-only API calls made back to back.

// maxListings bounds the listings remembered at once (a few functions
// paging concurrently, each through its own query).
const maxListings = 16

// changed notes that the store may have changed: the listings remembered
// are forgotten.
func (s *store) changed() { s.listings = nil }

// remembered returns what list returns for the call's filter: computed on
// the first call since the store last changed, then remembered for the
// calls with the same filter (other pages of the same query). Callers
// must not modify the list.
func remembered[T any](s *store, c *rpc, list func() []T) []T {
	key := listingKey(c)
	if v, ok := s.listings[key].([]T); ok {
		return v
	}
	v := list()
	if s.listings == nil || len(s.listings) >= maxListings {
		s.listings = map[string]any{}
	}
	s.listings[key] = v
	return v
}

// notFilters are the parameters that only choose the page or only
// authenticate the call; every other parameter (the action, the region,
// each filter) is part of a listing's key.
var notFilters = map[string]bool{"PageNumber": true, "PageSize": true, "NextToken": true, "MaxResults": true,
	"Signature": true, "SignatureNonce": true, "Timestamp": true, "SecurityToken": true}

// listingKey identifies a call's listing: its parameters but notFilters,
// sorted, names and values quoted (no two parameter sets share a key).
func listingKey(c *rpc) string {
	names := make([]string, 0, len(c.p))
	for k := range c.p {
		if !notFilters[k] {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var b []byte
	for _, k := range names {
		b = strconv.AppendQuote(b, k)
		b = strconv.AppendQuote(b, c.p[k])
	}
	return string(b)
}
