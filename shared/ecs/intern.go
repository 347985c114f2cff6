package ecs

import (
	"strings"
	"sync"
	"unique"
)

// A fleet's instances repeat most of what describes them: the region,
// zone, type, image, network, security groups and tags are shared by
// thousands. Each read decodes them into new strings; keeping one copy of
// each keeps a run's per-instance state small (and the garbage collector's
// work with it).

// intern returns the canonical copy of s.
func intern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

// internAll interns the strings of a slice in place.
func internAll(ss []string) []string {
	for i, s := range ss {
		ss[i] = intern(s)
	}
	return ss
}

// maxTagSets bounds the shared tag sets: a fleet whose tags are unique per
// instance (a name tag) gets its own maps beyond it, as before.
const maxTagSets = 4096

// tagSets shares identical tag maps between instances. A shared map is
// never written: instances are read-only views of what ECS said.
var tagSets = struct {
	sync.Mutex
	m map[string]map[string]string
}{m: map[string]map[string]string{}}

// tagSet returns the map of pairs (key, value, key, value...), shared with
// every other instance that has the same pairs in the same order.
func tagSet(pairs []string) map[string]string {
	if len(pairs) == 0 {
		return nil
	}
	var key strings.Builder
	for _, s := range pairs {
		key.WriteString(s)
		key.WriteByte(0)
	}
	tagSets.Lock()
	defer tagSets.Unlock()
	if m, ok := tagSets.m[key.String()]; ok {
		return m
	}
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[intern(pairs[i])] = intern(pairs[i+1])
	}
	if len(tagSets.m) < maxTagSets {
		tagSets.m[key.String()] = m
	}
	return m
}
