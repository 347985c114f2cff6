package ecs

import "maps"

import "sync"

// Stats are counters of one Client's API use.
type Stats struct {
	// Calls counts attempts per action (retries included).
	Calls      map[string]int `json:"calls"`
	TotalCalls int            `json:"totalCalls"`
	// Retries counts retried attempts per action; Throttled those retried
	// because of throttling.
	Retries      map[string]int `json:"retries"`
	TotalRetries int            `json:"totalRetries"`
	Throttled    int            `json:"throttled"`
	// Failures counts calls that failed after their last attempt.
	Failures int `json:"failures"`
	// ByPurpose counts attempts by why they were made (see Purpose).
	ByPurpose map[Purpose]int `json:"byPurpose"`
}

// Metrics collects Stats; safe for concurrent use.
type Metrics struct {
	mu sync.Mutex
	s  Stats
}

func newMetrics() *Metrics {
	return &Metrics{s: Stats{Calls: map[string]int{}, Retries: map[string]int{}, ByPurpose: map[Purpose]int{}}}
}

func (m *Metrics) call(action string, p Purpose) {
	m.mu.Lock()
	m.s.Calls[action]++
	m.s.ByPurpose[p]++
	m.s.TotalCalls++
	m.mu.Unlock()
}

func (m *Metrics) retry(action string, throttled bool) {
	m.mu.Lock()
	m.s.Retries[action]++
	m.s.TotalRetries++
	if throttled {
		m.s.Throttled++
	}
	m.mu.Unlock()
}

func (m *Metrics) failure(string) {
	m.mu.Lock()
	m.s.Failures++
	m.mu.Unlock()
}

func (m *Metrics) snapshot() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.s
	out.Calls = make(map[string]int, len(m.s.Calls))
	maps.Copy(out.Calls, m.s.Calls)
	out.Retries = make(map[string]int, len(m.s.Retries))
	maps.Copy(out.Retries, m.s.Retries)
	out.ByPurpose = maps.Clone(m.s.ByPurpose)
	return out
}
