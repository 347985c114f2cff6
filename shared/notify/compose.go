package notify

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
)

// OwnerKind is how an owner tag's value can be mentioned.
type OwnerKind int

// Owner kinds.
const (
	// OwnerNone: the instance has no owner tag.
	OwnerNone OwnerKind = iota
	// OwnerMobile: optional +86 or +, then 6-15 digits.
	OwnerMobile
	// OwnerEmail: something@domain.tld.
	OwnerEmail
	// OwnerUserID: a chat user ID (letters, digits, '_', '-', '.'; at
	// most 64), mentioned where the channel can.
	OwnerUserID
	// OwnerName: anything else; written plainly, never mentioned.
	OwnerName
)

// Owner is an owner tag's value and what it is.
type Owner struct {
	Value string
	Kind  OwnerKind
}

// reservedIDs would mention everyone on some channel.
var reservedIDs = []string{"all", "here", "channel", "everyone", "everybody", "group"}

// ClassifyOwner tells what an owner tag's value is.
func ClassifyOwner(v string) Owner {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return Owner{}
	case isMobile(v):
		return Owner{v, OwnerMobile}
	case isEmail(v):
		return Owner{v, OwnerEmail}
	case isUserID(v):
		return Owner{v, OwnerUserID}
	}
	return Owner{v, OwnerName}
}

func isMobile(v string) bool {
	d := strings.TrimPrefix(strings.TrimPrefix(v, "+86"), "+")
	if len(d) < 6 || len(d) > 15 {
		return false
	}
	return strings.IndexFunc(d, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

func isEmail(v string) bool {
	at := strings.IndexByte(v, '@')
	if at <= 0 || strings.Count(v, "@") != 1 {
		return false
	}
	dom := v[at+1:]
	dot := strings.LastIndexByte(dom, '.')
	if dot <= 0 || dot == len(dom)-1 {
		return false
	}
	return strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || strings.ContainsRune("<>()[]\\,;:\"`*_~|#&", r) }) < 0
}

func isUserID(v string) bool {
	if len(v) > 64 || slices.Contains(reservedIDs, strings.ToLower(v)) {
		return false
	}
	return strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
	}) < 0
}

// Message is an answer made ready to tell people, before any channel's
// form: what ran, the counts, the money, and the instances worth a word
// grouped by owner.
type Message struct {
	Lang     string
	Title    string
	Function string
	Region   string
	Trigger  string
	// RequestID is the invocation's.
	RequestID    string
	DryRun       bool
	DryRunSource string
	// Counts are the summary's counts, outcomes in a fixed order, then
	// flags and anything else by name.
	Counts       []Count
	Savings      *answer.Money
	StillBilling *answer.Money
	Failure      *answer.FailureReport
	// Sections: one per owner, by owner value; the owner-less last.
	Sections []Section
	// ReleaseSoon are the instances warned of a coming release, for the
	// hint on how to keep them.
	ReleaseSoon []string
	ProtectTag  string
}

// Count is one summary count.
type Count struct {
	Key string
	N   int
}

// Section is one owner's instances.
type Section struct {
	Owner Owner
	Items []Item
}

// Item is one instance in a section: its outcomes worth telling and its
// warnings.
type Item struct {
	InstanceID string
	Name       string
	Outcomes   []answer.InstanceOutcome
	Warnings   []answer.Warning
}

// Items counts the items of all sections.
func (m *Message) Items() int {
	n := 0
	for _, s := range m.Sections {
		n += len(s.Items)
	}
	return n
}

var countOrder = []string{
	answer.OutcomeFailed, answer.OutcomeReleased, answer.OutcomeStopping, answer.OutcomeAutoReleaseSet,
	answer.OutcomeAutoReleaseCancelled, answer.OutcomeWouldRelease, answer.OutcomeWouldStop,
	answer.OutcomeWouldSetAutoRelease, answer.OutcomeWouldCancelAutoRelease, answer.OutcomeAlreadyReleased,
	answer.OutcomeAlreadyStopped, answer.OutcomeSkipped, answer.OutcomeStatus,
}

// worth reports whether an outcome is told instance by instance.
func worth(o answer.InstanceOutcome) bool {
	return answer.Acted(o.Outcome) || answer.Preview(o.Outcome) || o.Outcome == answer.OutcomeFailed || len(o.Flags) > 0
}

// rank orders an item in its section: failures, coming releases,
// leftovers that bill, actions, previews, the rest.
func (it *Item) rank() int {
	r := 5
	for _, o := range it.Outcomes {
		switch {
		case o.Outcome == answer.OutcomeFailed:
			r = min(r, 0)
		case answer.Acted(o.Outcome):
			r = min(r, 3)
		case answer.Preview(o.Outcome):
			r = min(r, 4)
		}
	}
	for _, w := range it.Warnings {
		switch w.Code {
		case answer.WarningReleaseSoon:
			r = min(r, 1)
		default:
			r = min(r, 2)
		}
	}
	return r
}

// Compose builds the message for resp in cfg's language.
func Compose(resp *answer.Response, cfg *Config) *Message {
	l, protect := DefaultLang, DefaultProtectTag
	if cfg != nil {
		l, protect = cfg.Lang, cfg.ProtectTag
	}
	m := &Message{
		Lang: l, Function: resp.Function, Region: resp.Region, Trigger: resp.Trigger, RequestID: resp.RequestID,
		DryRun: resp.DryRun, DryRunSource: resp.DryRunSource, Savings: resp.Summary.EstimatedSavings,
		StillBilling: resp.Summary.StillBilling, Failure: resp.Failure, ProtectTag: protect,
	}
	for _, k := range countOrder {
		if n := resp.Summary.Counts[k]; n > 0 {
			m.Counts = append(m.Counts, Count{k, n})
		}
	}
	var rest []string
	for k, n := range resp.Summary.Counts {
		if n > 0 && !slices.Contains(countOrder, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		m.Counts = append(m.Counts, Count{k, resp.Summary.Counts[k]})
	}

	type key struct{ owner, id string }
	items := map[key]*Item{}
	var order []key
	item := func(owner, id, name string) *Item {
		k := key{strings.TrimSpace(owner), id}
		it := items[k]
		if it == nil {
			it = &Item{InstanceID: id}
			items[k] = it
			order = append(order, k)
		}
		if it.Name == "" {
			it.Name = name
		}
		return it
	}
	for _, o := range resp.Instances {
		if worth(o) {
			it := item(o.Owner, o.InstanceID, o.Name)
			it.Outcomes = append(it.Outcomes, o)
		}
	}
	for _, w := range resp.Warnings {
		it := item(w.Owner, w.InstanceID, w.Name)
		it.Warnings = append(it.Warnings, w)
		if w.Code == answer.WarningReleaseSoon && !slices.Contains(m.ReleaseSoon, w.InstanceID) {
			m.ReleaseSoon = append(m.ReleaseSoon, w.InstanceID)
		}
	}
	byOwner := map[string]int{}
	for _, k := range order {
		i, ok := byOwner[k.owner]
		if !ok {
			i = len(m.Sections)
			byOwner[k.owner] = i
			m.Sections = append(m.Sections, Section{Owner: ClassifyOwner(k.owner)})
		}
		m.Sections[i].Items = append(m.Sections[i].Items, *items[k])
	}
	slices.SortFunc(m.Sections, func(a, b Section) int {
		if (a.Owner.Kind == OwnerNone) != (b.Owner.Kind == OwnerNone) {
			if a.Owner.Kind == OwnerNone {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Owner.Value, b.Owner.Value)
	})
	for _, s := range m.Sections {
		slices.SortStableFunc(s.Items, func(a, b Item) int {
			return cmp.Or(cmp.Compare(a.rank(), b.rank()), strings.Compare(a.InstanceID, b.InstanceID))
		})
	}
	m.Title = m.title()
	return m
}

// title: "[dry run] ecs-release release (cn-hangzhou): 3 released, 1 failed".
func (m *Message) title() string {
	s := lang(m.Lang)
	var b strings.Builder
	if m.DryRun {
		b.WriteString(s.dryRun)
	}
	b.WriteString(s.product)
	if m.Function != "" {
		b.WriteString(" " + m.Function)
	}
	if m.Region != "" {
		b.WriteString(" (" + m.Region + ")")
	}
	var parts []string
	if m.Failure != nil {
		parts = append(parts, s.failure)
	}
	for _, c := range m.Counts {
		if c.Key == answer.OutcomeFailed || answer.Acted(c.Key) || answer.Preview(c.Key) {
			parts = append(parts, strconv.Itoa(c.N)+" "+s.word(c.Key))
		}
	}
	warnings := map[string]int{}
	for _, sec := range m.Sections {
		for _, it := range sec.Items {
			for _, w := range it.Warnings {
				warnings[w.Code]++
			}
		}
	}
	for _, code := range []string{answer.WarningReleaseSoon, answer.WarningStillBilling} {
		if n := warnings[code]; n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+s.word(code))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, s.nothing)
	}
	b.WriteString(s.colon + strings.Join(parts, s.sep))
	return clip(b.String(), 200)
}

// clip cuts s to at most n runes, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
