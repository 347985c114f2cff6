package answer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// Summary counts the outcomes (and flags) of an answer, and carries its
// money figures. On the wire it is one object: each count under its
// outcome's name, beside "estimatedSavings" and "stillBilling" when they
// are known:
//
//	{"released": 3, "skipped": 1,
//	 "estimatedSavings": {"perHour": 2.41, "currency": "CNY", ...},
//	 "stillBilling": {"perHour": 0.12, "currency": "CNY", ...}}
type Summary struct {
	Counts map[string]int
	// EstimatedSavings is what the invocation's actions save an hour:
	// the compute (vCPU and memory) of economical stops, and the instance
	// and its deleted disks for releases. StillBilling is what keeps
	// billing an hour after them: disks left behind by releases, the
	// compute of stops that kept charging. Both are present whenever the
	// invocation priced anything (each may then be zero); both are nil when
	// nothing was to be priced, or when a price could not be read (a
	// failed price read never fails an action; it only leaves the figures
	// out).
	EstimatedSavings *Money
	StillBilling     *Money
}

// Money is an hourly pay-as-you-go amount, from ECS's DescribePrice.
type Money struct {
	PerHour  float64 `json:"perHour"`
	Currency string  `json:"currency"`
	// Compute and Disks split PerHour (elastic IPs and bandwidth are
	// not priced).
	Compute float64 `json:"compute"`
	Disks   float64 `json:"disks"`
	// Instances is how many instances the figure covers.
	Instances int `json:"instances"`
}

// Round keeps four decimals (prices are per hour, in yuan or dollars).
func Round(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// Summary keys that are not counts.
const (
	keySavings      = "estimatedSavings"
	keyStillBilling = "stillBilling"
)

// MarshalJSON writes the counts (sorted by name) and the money figures in
// one object.
func (s Summary) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	keys := make([]string, 0, len(s.Counts))
	for k := range s.Counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	sep := func() {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
	}
	for _, k := range keys {
		sep()
		kb, _ := json.Marshal(k)
		fmt.Fprintf(&b, "%s:%d", kb, s.Counts[k])
	}
	for _, m := range []struct {
		key string
		v   *Money
	}{{keySavings, s.EstimatedSavings}, {keyStillBilling, s.StillBilling}} {
		if m.v == nil {
			continue
		}
		sep()
		vb, err := json.Marshal(m.v)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%q:%s", m.key, vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Summary) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*s = Summary{Counts: map[string]int{}}
	for k, v := range raw {
		switch k {
		case keySavings:
			if err := json.Unmarshal(v, &s.EstimatedSavings); err != nil {
				return fmt.Errorf("summary.%s: %w", k, err)
			}
		case keyStillBilling:
			if err := json.Unmarshal(v, &s.StillBilling); err != nil {
				return fmt.Errorf("summary.%s: %w", k, err)
			}
		default:
			var n int
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("summary.%s: %w", k, err)
			}
			s.Counts[k] = n
		}
	}
	return nil
}
