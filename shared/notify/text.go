package notify

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
)

// Lengths of the answer's free text kept in a message.
const (
	maxName   = 128
	maxReason = 300
	maxError  = 1000
	maxIDs    = 20
)

// dialect is a channel's way of writing text.
type dialect struct {
	// esc makes text from the answer (names, reasons, owner names) safe:
	// no markup, no mention.
	esc func(string) string
	// bold and code wrap text already safe.
	bold, code func(string) string
	// mention writes an owner at a section's head.
	mention func(Owner) string
	// bullet starts an item line.
	bullet string
	// head formats a section's head line.
	head func(string) string
	// cost measures text against the channel's limit.
	cost func(string) int
}

// neutral replaces the characters that can start a mention or a tag on
// some channel with look-alikes, and folds lines.
var neutral = strings.NewReplacer("@", "＠", "<", "＜", ">", "＞", "\r\n", " ", "\n", " ", "\r", " ", "\t", " ")

// mdEscape escapes CommonMark's inline markup with backslashes after
// neutral. (UNCONFIRMED: that DingTalk's, Feishu's and WeCom's markdown
// honour backslash escapes as CommonMark does.)
var mdEscape = strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "~", "\\~", "`", "\\`", "[", "\\[", "]", "\\]", "#", "\\#", "|", "\\|")

// escMarkdown also breaks "](" apart, so that no text opens a link even
// where backslash escapes are not honoured.
func escMarkdown(s string) string {
	return strings.ReplaceAll(mdEscape.Replace(neutral.Replace(s)), `\](`, `\] (`)
}

func bytesLen(s string) int { return len(s) }

// utf16Len counts UTF-16 code units: at least the characters Slack
// counts, whichever way it counts them.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// plain writes the message as plain text (the generic webhook's summary).
var plain = dialect{
	esc:  func(s string) string { return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s) },
	bold: func(s string) string { return s },
	code: func(s string) string { return s },
	mention: func(o Owner) string {
		return o.Value
	},
	bullet: "- ",
	head:   func(s string) string { return s },
	cost:   bytesLen,
}

// layout is a message written in a dialect, before fitting: paragraphs
// above and below the owner sections.
type layout struct {
	top    []string
	secs   []secText
	bottom []string
	s      *strs
}

// secText is one owner's section written out.
type secText struct {
	owner Owner
	head  string
	lines []string
}

// money: "CNY 2.41/hour (3 instances)".
func (s *strs) money(m *answer.Money) string {
	t := fmt.Sprintf(s.perHour, m.Currency, strconv.FormatFloat(answer.Round(m.PerHour), 'f', -1, 64))
	if m.Instances > 0 {
		if s == table[LangZH] {
			t += fmt.Sprintf("（%d %s）", m.Instances, s.instances)
		} else {
			noun := s.instances
			if m.Instances == 1 {
				noun = strings.TrimSuffix(noun, "s")
			}
			t += fmt.Sprintf(" (%d %s)", m.Instances, noun)
		}
	}
	return t
}

// write lays m out in d.
func write(m *Message, d dialect) *layout {
	s := lang(m.Lang)
	l := &layout{s: s}
	var meta []string
	for _, kv := range [][2]string{{s.function, m.Function}, {s.region, m.Region}, {s.trigger, m.Trigger}, {s.requestID, m.RequestID}} {
		if kv[1] != "" {
			meta = append(meta, d.bold(kv[0])+s.colon+d.esc(clip(kv[1], 128)))
		}
	}
	if len(meta) > 0 {
		l.top = append(l.top, strings.Join(meta, " · "))
	}
	if m.DryRun {
		src := m.DryRunSource
		if src == "" {
			src = "?"
		}
		l.top = append(l.top, fmt.Sprintf(s.dryRunBy, d.esc(clip(src, 64))))
	}
	if len(m.Counts) > 0 {
		var cs []string
		for _, c := range m.Counts {
			cs = append(cs, d.esc(s.word(c.Key))+" "+strconv.Itoa(c.N))
		}
		l.top = append(l.top, d.bold(s.counts)+s.colon+strings.Join(cs, s.sep))
	}
	var money []string
	if m.Savings != nil {
		money = append(money, d.bold(s.savings)+s.colon+d.esc(s.money(m.Savings)))
	}
	// Nothing left billing is not news: the line is left out.
	if m.StillBilling != nil && m.StillBilling.Instances > 0 {
		money = append(money, d.bold(s.stillBilling)+s.colon+d.esc(s.money(m.StillBilling)))
	}
	l.top = append(l.top, money...)
	if f := m.Failure; f != nil {
		lines := []string{d.bold(s.failure)}
		add := func(k, v string) {
			if v != "" {
				lines = append(lines, d.bullet+d.bold(k)+s.colon+v)
			}
		}
		add(s.function, d.esc(clip(f.Function, 128)))
		add(s.condition, d.esc(clip(f.Condition, 128)))
		if f.Attempts > 0 {
			add(s.attempts, strconv.Itoa(f.Attempts))
		}
		add(s.errorWord, d.esc(clip(f.Error, maxError)))
		if len(f.InstanceIDs) > 0 {
			ids := f.InstanceIDs
			var more string
			if len(ids) > maxIDs {
				more = " " + fmt.Sprintf(s.more, len(ids)-maxIDs)
				ids = ids[:maxIDs]
			}
			esc := make([]string, len(ids))
			for i, id := range ids {
				esc[i] = d.code(d.esc(clip(id, 64)))
			}
			add(s.instanceIDs, strings.Join(esc, ", ")+more)
		}
		add(s.request, d.esc(clip(f.Request, maxReason)))
		add(s.advice, d.esc(clip(f.Advice, maxError)))
		l.top = append(l.top, strings.Join(lines, "\n"))
	}
	for _, sec := range m.Sections {
		st := secText{owner: sec.Owner}
		if sec.Owner.Kind == OwnerNone {
			st.head = d.head(s.noOwner)
		} else {
			st.head = d.head(s.owner + s.colon + d.mention(sec.Owner))
		}
		for _, it := range sec.Items {
			st.lines = append(st.lines, d.bullet+itemLine(it, d, s))
		}
		l.secs = append(l.secs, st)
	}
	if len(m.ReleaseSoon) > 0 {
		// The JSON is written as is (no escapes to show): the ID is one
		// of ECS's or a placeholder.
		id := "i-…"
		if len(m.ReleaseSoon) == 1 && len(m.ReleaseSoon[0]) <= 64 && isUserID(m.ReleaseSoon[0]) {
			id = m.ReleaseSoon[0]
		}
		ids := jsonString(id)
		l.bottom = append(l.bottom, fmt.Sprintf(s.keepHow, d.code(d.esc(m.ProtectTag)),
			d.code(`{"instanceIds":[`+ids+`],"after":"24h"}`),
			d.code(`{"instanceIds":[`+ids+`],"cancel":true}`)))
	}
	return l
}

// itemLine: "name (i-1): released [Code]: reason; release-soon: released at T".
func itemLine(it Item, d dialect, s *strs) string {
	var b strings.Builder
	id := d.code(d.esc(clip(it.InstanceID, 64)))
	if it.Name != "" && it.Name != it.InstanceID {
		b.WriteString(d.bold(d.esc(clip(it.Name, maxName))) + " (" + id + ")")
	} else {
		b.WriteString(id)
	}
	var parts []string
	for _, o := range it.Outcomes {
		var p strings.Builder
		p.WriteString(d.esc(s.word(o.Outcome)))
		code := o.Code
		if code == "" && o.Error != nil {
			code = o.Error.Code
		}
		if code != "" {
			p.WriteString(" [" + d.esc(clip(code, 64)) + "]")
		}
		reason := o.Reason
		if o.Error != nil && o.Error.Message != "" && o.Error.Message != reason {
			reason = strings.TrimSpace(reason + " " + o.Error.Message)
		}
		if reason != "" {
			p.WriteString(s.colon + d.esc(clip(reason, maxReason)))
		}
		if o.AutoReleaseTime != "" && o.Outcome != answer.OutcomeAutoReleaseCancelled && o.Outcome != answer.OutcomeWouldCancelAutoRelease {
			p.WriteString(" (" + fmt.Sprintf(s.releaseAt, d.esc(clip(o.AutoReleaseTime, 40))) + ")")
		}
		for _, f := range o.Flags {
			p.WriteString(" [" + d.esc(s.word(f)) + "]")
		}
		parts = append(parts, p.String())
	}
	for _, w := range it.Warnings {
		p := d.bold(d.esc(s.word(w.Code)))
		switch w.Code {
		case answer.WarningReleaseSoon:
			if w.AutoReleaseTime != "" {
				p += s.colon + fmt.Sprintf(s.releaseAt, d.esc(clip(w.AutoReleaseTime, 40)))
			} else {
				p += s.colon + d.esc(clip(w.Message, maxReason))
			}
		case answer.WarningStillBilling:
			var rs []string
			for _, r := range w.Resources {
				rs = append(rs, d.esc(clip(r, 64)))
			}
			if len(rs) > 10 {
				rs = append(rs[:10], fmt.Sprintf(s.more, len(rs)-10))
			}
			p += s.colon + strings.Join(rs, ", ")
			if w.PerHour != nil {
				p += " (" + d.esc(fmt.Sprintf(s.perHour, w.Currency, strconv.FormatFloat(answer.Round(*w.PerHour), 'f', -1, 64))) + ")"
			}
		default:
			p += s.colon + d.esc(clip(w.Message, maxReason))
		}
		parts = append(parts, p)
	}
	if len(parts) > 0 {
		b.WriteString(s.colon + strings.Join(parts, "; "))
	}
	return b.String()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fitted is a layout cut to a limit: keep[i] lines of section i for the
// first shown sections.
type fitted struct {
	l     *layout
	keep  []int
	shown int
}

// fit cuts l's sections so that its text (see text) costs at most limit,
// round-robin across sections so every owner shown keeps some lines; the
// sections that do not fit at all go last-first into one "and N more
// owners" line. fixed is the cost outside the text (a title).
func fit(l *layout, cost func(string) int, limit int) fitted {
	f := fitted{l: l, keep: make([]int, len(l.secs)), shown: len(l.secs)}
	for i, sec := range l.secs {
		f.keep[i] = len(sec.lines)
	}
	if cost(f.text()) <= limit {
		return f
	}
	used := cost(strings.Join(append(append([]string{}, l.top...), l.bottom...), "\n\n"))
	// Each section: separator, head, and a reserve for its "and N more".
	reserve := func(i int) int { return 1 + cost(fmt.Sprintf(l.s.more, len(l.secs[i].lines))) }
	base := func(i int) int {
		c := 2 + cost(l.secs[i].head)
		if len(l.secs[i].lines) > 0 {
			c += reserve(i)
		}
		return c
	}
	total := 0
	for _, sec := range l.secs {
		total += len(sec.lines)
	}
	ownersReserve := 2 + cost(fmt.Sprintf(l.s.moreOwners, len(l.secs), total))
	for i := range l.secs {
		f.keep[i] = 0
		used += base(i)
	}
	for f.shown > 0 && used+ownersReserve > limit {
		f.shown--
		used -= base(f.shown)
	}
	if f.shown < len(l.secs) {
		used += ownersReserve
	}
	for progress := true; progress; {
		progress = false
		for i := 0; i < f.shown; i++ {
			lines := l.secs[i].lines
			if f.keep[i] >= len(lines) {
				continue
			}
			c := 1 + cost(lines[f.keep[i]])
			if f.keep[i]+1 == len(lines) {
				c -= reserve(i)
			}
			if used+c <= limit {
				used += c
				f.keep[i]++
				progress = true
			}
		}
	}
	return f
}

// text joins the fitted layout: paragraphs by blank lines, a section's
// head and lines by newlines.
func (f fitted) text() string { return f.textWith(f.keep, f.shown) }

func (f fitted) textWith(keep []int, shown int) string {
	p := f.piecesWith(keep, shown)
	paras := append(append([]string{}, p.top...), p.secs...)
	if p.moreOwners != "" {
		paras = append(paras, p.moreOwners)
	}
	return strings.Join(append(paras, p.bottom...), "\n\n")
}

// pieces are a fitted layout's paragraphs by kind.
type pieces struct {
	top, secs, bottom []string
	// moreOwners counts the sections not shown ("" when all are).
	moreOwners string
}

func (f fitted) pieces() pieces { return f.piecesWith(f.keep, f.shown) }

func (f fitted) piecesWith(keep []int, shown int) pieces {
	p := pieces{top: f.l.top, bottom: f.l.bottom}
	for i := range shown {
		p.secs = append(p.secs, f.section(i, keep[i]))
	}
	if dropped, items := f.droppedWith(shown); dropped > 0 {
		p.moreOwners = fmt.Sprintf(f.l.s.moreOwners, dropped, items)
	}
	return p
}

// section writes section i with its first k lines.
func (f fitted) section(i, k int) string {
	sec := f.l.secs[i]
	lines := append([]string{sec.head}, sec.lines[:k]...)
	if k < len(sec.lines) {
		lines = append(lines, fmt.Sprintf(f.l.s.more, len(sec.lines)-k))
	}
	return strings.Join(lines, "\n")
}

// droppedWith counts the sections (and their lines) not shown.
func (f fitted) droppedWith(shown int) (secs, items int) {
	for _, sec := range f.l.secs[shown:] {
		secs++
		items += len(sec.lines)
	}
	return secs, items
}

// owners lists the owners of the sections shown.
func (f fitted) owners() []Owner {
	var out []Owner
	for _, sec := range f.l.secs[:f.shown] {
		if sec.owner.Kind != OwnerNone {
			out = append(out, sec.owner)
		}
	}
	return out
}

// truncate cuts s to at most n by cost, on a rune boundary, marking the
// cut: the last resort when even a message's fixed parts do not fit.
func truncate(s string, n int, cost func(string) int) string {
	if cost(s) <= n {
		return s
	}
	const mark = "…"
	budget := n - cost(mark)
	var b strings.Builder
	used := 0
	for _, r := range s {
		c := cost(string(r))
		if used+c > budget {
			break
		}
		b.WriteRune(r)
		used += c
	}
	return b.String() + mark
}

// Text writes the message as plain text, whole.
func (m *Message) Text() string {
	l := write(m, plain)
	f := fitted{l: l, keep: make([]int, len(l.secs)), shown: len(l.secs)}
	for i, sec := range l.secs {
		f.keep[i] = len(sec.lines)
	}
	return m.Title + "\n\n" + f.text()
}
