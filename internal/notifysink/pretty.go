package notifysink

import (
	"regexp"
	"strings"
)

var (
	prettyFeishuAt = regexp.MustCompile(`<at (?:id|email|user_id|open_id)="?([^">\s]+)"?\s*>[^<]*</at>`)
	prettyAt       = regexp.MustCompile(`<@([^>|\s]+)(?:\|[^>]*)?>`)
	prettyHeading  = regexp.MustCompile(`(?m)^#{1,6} `)
	prettyBold     = regexp.MustCompile(`\*\*([^*]*)\*\*`)
	prettySlackB   = regexp.MustCompile(`(^|[\s(])\*([^*\n]+)\*`)
	prettyEscape   = regexp.MustCompile(`\\([\\*_~\x60\[\]#|])`)
)

// Pretty writes the message as plain text, roughly as a team would read
// it: a line naming the channel, then the content without markup,
// mentions as @who, indented.
func (m Message) Pretty() string {
	t := m.Text
	switch m.Channel {
	case DingTalk, Feishu, WeCom:
		t = prettyFeishuAt.ReplaceAllString(t, "@$1")
		t = prettyAt.ReplaceAllString(t, "@$1")
		t = prettyHeading.ReplaceAllString(t, "")
		t = prettyBold.ReplaceAllString(t, "$1")
		t = strings.ReplaceAll(t, "`", "")
		t = prettyEscape.ReplaceAllString(t, "$1")
	case Slack:
		t = prettyAt.ReplaceAllString(t, "@$1")
		t = prettySlackB.ReplaceAllString(t, "$1$2")
		t = strings.ReplaceAll(t, "`", "")
		t = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(t)
	}
	// A title repeated as the text's first line (DingTalk's markdown
	// title, cut at 64 characters) is shown once.
	if title, rest, ok := strings.Cut(t, "\n"); ok {
		first, _, _ := strings.Cut(rest, "\n")
		if p := strings.TrimSuffix(title, "…"); p != "" && strings.HasPrefix(strings.TrimLeft(first, "# "), p) {
			t = rest
		}
	}
	var b strings.Builder
	b.WriteString("── " + m.Channel)
	if len(m.Mentions) > 0 {
		b.WriteString(" (mentions " + strings.Join(m.Mentions, ", ") + ")")
	}
	b.WriteString(" ──\n")
	for line := range strings.SplitSeq(strings.TrimRight(t, "\n"), "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("  " + line + "\n")
	}
	return b.String()
}
