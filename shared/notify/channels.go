package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
)

// Channel limits. A message is cut to fit; it never goes over.
const (
	// DingTalkMaxText bounds a DingTalk markdown text in bytes.
	// UNCONFIRMED: DingTalk documents no figure for markdown; 20000 bytes
	// is the figure commonly reported for its text messages.
	DingTalkMaxText = 20000
	// FeishuMaxBody bounds a Feishu request body in bytes. UNCONFIRMED:
	// Feishu documents 20 KB for a custom bot's request body in places
	// and 30 KB for a card in others; 30 KB is the figure asked for.
	FeishuMaxBody = 30 * 1024
	// WeComMaxContent bounds one WeCom markdown content in bytes (UTF-8),
	// as WeCom documents; longer text goes in up to WeComMaxMessages
	// messages, then is cut.
	WeComMaxContent  = 4096
	WeComMaxMessages = 5
	// Slack: Block Kit's documented limits.
	SlackMaxSection = 3000 // characters of a section's text
	SlackMaxBlocks  = 50
	SlackMaxText    = 40000 // characters of the top-level text
	slackMaxHeader  = 150
)

var errBadURL = errors.New("bad URL")

// post is one request of a channel.
type post struct {
	url  string
	body []byte
}

// Payload is one channel's rendering of an answer: the bodies it posts,
// in order (WeCom may need several).
type Payload struct {
	Channel string
	Bodies  [][]byte
}

// Render writes resp for every configured channel as Send would post it
// at now (signatures included).
func Render(cfg *Config, resp *answer.Response, now time.Time) []Payload {
	m := Compose(resp, cfg)
	var out []Payload
	for _, ch := range cfg.channels() {
		posts, err := render(cfg, ch.name, ch.url, m, resp, now)
		if err != nil {
			continue
		}
		p := Payload{Channel: ch.name}
		for _, x := range posts {
			p.Bodies = append(p.Bodies, x.body)
		}
		out = append(out, p)
	}
	return out
}

func render(cfg *Config, channel, u string, m *Message, resp *answer.Response, now time.Time) ([]post, error) {
	posts, err := renderBodies(cfg, channel, u, m, resp, now)
	for i := range posts {
		if posts[i].url == "" {
			posts[i].url = u
		}
	}
	return posts, err
}

func renderBodies(cfg *Config, channel, u string, m *Message, resp *answer.Response, now time.Time) ([]post, error) {
	switch channel {
	case DingTalk:
		return renderDingTalk(cfg, u, m, now)
	case Feishu:
		return renderFeishu(cfg, u, m, now)
	case WeCom:
		return renderWeCom(u, m)
	case Slack:
		return renderSlack(u, m)
	case Webhook:
		return renderWebhook(u, m, resp)
	}
	return nil, fmt.Errorf("unknown channel %q", channel)
}

// marshal writes JSON without HTML escaping ('<' stays '<': mentions).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// --- DingTalk ---

type dingTalkMessage struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
	At struct {
		AtMobiles []string `json:"atMobiles"`
		AtUserIDs []string `json:"atUserIds"`
		IsAtAll   bool     `json:"isAtAll"`
	} `json:"at"`
}

// dingTalkDialect: markdown; a mention is "@mobile" or "@userid" in the
// text and in the at lists. Emails cannot be mentioned.
var dingTalkDialect = dialect{
	esc:  escMarkdown,
	bold: func(s string) string { return "**" + s + "**" },
	code: func(s string) string { return s },
	mention: func(o Owner) string {
		if o.Kind == OwnerMobile || o.Kind == OwnerUserID {
			return "@" + o.Value
		}
		return escMarkdown(o.Value)
	},
	bullet: "- ",
	head:   func(s string) string { return "#### " + s },
	cost:   bytesLen,
}

func renderDingTalk(cfg *Config, u string, m *Message, now time.Time) ([]post, error) {
	var msg dingTalkMessage
	msg.MsgType = "markdown"
	msg.Markdown.Title = clip(m.Title, 64)
	head := "### " + escMarkdown(m.Title) + "\n\n"
	f := fit(write(m, dingTalkDialect), bytesLen, DingTalkMaxText-len(head))
	msg.Markdown.Text = truncate(head+f.text(), DingTalkMaxText, bytesLen)
	msg.At.AtMobiles, msg.At.AtUserIDs = []string{}, []string{}
	for _, o := range f.owners() {
		switch o.Kind {
		case OwnerMobile:
			msg.At.AtMobiles = append(msg.At.AtMobiles, o.Value)
		case OwnerUserID:
			msg.At.AtUserIDs = append(msg.At.AtUserIDs, o.Value)
		}
	}
	body, err := marshal(msg)
	if err != nil {
		return nil, err
	}
	signed, err := dingTalkURL(u, cfg.DingTalkSecret, now)
	if err != nil {
		return nil, err
	}
	return []post{{signed, body}}, nil
}

// --- Feishu ---

type feishuText struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

type feishuElement struct {
	Tag      string       `json:"tag"`
	Text     *feishuText  `json:"text,omitempty"`
	Elements []feishuText `json:"elements,omitempty"`
}

type feishuMessage struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Card      struct {
		Config struct {
			WideScreenMode bool `json:"wide_screen_mode"`
		} `json:"config"`
		Header struct {
			Title    feishuText `json:"title"`
			Template string     `json:"template"`
		} `json:"header"`
		Elements []feishuElement `json:"elements"`
	} `json:"card"`
}

// feishuDialect: lark_md; a mention is <at id=...></at> for a user ID
// (open_id or user_id) and <at email=...></at> for an email. Mobiles are
// written plainly.
var feishuDialect = dialect{
	esc:  escMarkdown,
	bold: func(s string) string { return "**" + s + "**" },
	code: func(s string) string { return s },
	mention: func(o Owner) string {
		switch o.Kind {
		case OwnerUserID:
			return "<at id=" + o.Value + "></at>"
		case OwnerEmail:
			// UNCONFIRMED: the email form of a lark_md mention.
			return "<at email=" + o.Value + "></at>"
		}
		return escMarkdown(o.Value)
	},
	bullet: "- ",
	head:   func(s string) string { return s },
	cost:   bytesLen,
}

// template colours the card's header by what it reports.
func (m *Message) template() string {
	warn := false
	for _, sec := range m.Sections {
		for _, it := range sec.Items {
			for _, o := range it.Outcomes {
				if o.Outcome == answer.OutcomeFailed {
					return "red"
				}
			}
			warn = warn || len(it.Warnings) > 0
		}
	}
	switch {
	case m.Failure != nil:
		return "red"
	case warn:
		return "orange"
	case m.DryRun:
		return "blue"
	}
	return "green"
}

func renderFeishu(cfg *Config, _ string, m *Message, now time.Time) ([]post, error) {
	var msg feishuMessage
	if cfg.FeishuSecret != "" {
		sec := now.Unix()
		msg.Timestamp = strconv.FormatInt(sec, 10)
		msg.Sign = feishuSign(cfg.FeishuSecret, sec)
	}
	msg.MsgType = "interactive"
	msg.Card.Config.WideScreenMode = true
	msg.Card.Header.Title = feishuText{"plain_text", clip(m.Title, 100)}
	msg.Card.Header.Template = m.template()
	l := write(m, feishuDialect)
	limit := FeishuMaxBody - 2048
	for range 20 {
		f := fit(l, bytesLen, limit)
		p := f.pieces()
		div := func(s string) feishuElement {
			return feishuElement{Tag: "div", Text: &feishuText{"lark_md", truncate(s, limit, bytesLen)}}
		}
		msg.Card.Elements = []feishuElement{}
		if len(p.top) > 0 {
			msg.Card.Elements = append(msg.Card.Elements, div(strings.Join(p.top, "\n\n")))
		}
		if len(p.secs) > 0 || p.moreOwners != "" {
			msg.Card.Elements = append(msg.Card.Elements, feishuElement{Tag: "hr"})
		}
		for _, s := range p.secs {
			msg.Card.Elements = append(msg.Card.Elements, div(s))
		}
		if p.moreOwners != "" {
			msg.Card.Elements = append(msg.Card.Elements, div(p.moreOwners))
		}
		if len(p.bottom) > 0 {
			msg.Card.Elements = append(msg.Card.Elements, feishuElement{Tag: "note", Elements: []feishuText{{"lark_md", strings.Join(p.bottom, "\n")}}})
		}
		body, err := marshal(msg)
		if err != nil {
			return nil, err
		}
		if len(body) <= FeishuMaxBody {
			return []post{{"", body}}, nil
		}
		limit -= len(body) - FeishuMaxBody + limit/10
	}
	return nil, errors.New("message does not fit")
}

// --- WeCom ---

type wecomMessage struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

// wecomDialect: markdown; a mention is <@userid>. Mobiles and emails
// cannot be mentioned in markdown: they are written plainly.
var wecomDialect = dialect{
	esc:  escMarkdown,
	bold: func(s string) string { return "**" + s + "**" },
	code: func(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" },
	mention: func(o Owner) string {
		if o.Kind == OwnerUserID {
			return "<@" + o.Value + ">"
		}
		return escMarkdown(o.Value)
	},
	bullet: "- ",
	head:   func(s string) string { return "**" + s + "**" },
	cost:   bytesLen,
}

// wecomReserve is room for a part's "(part 2 of 5)" line.
const wecomReserve = 48

func renderWeCom(_ string, m *Message) ([]post, error) {
	s := lang(m.Lang)
	head := "### " + escMarkdown(m.Title) + "\n\n"
	l := write(m, wecomDialect)
	per := WeComMaxContent - wecomReserve
	limit := WeComMaxMessages*per - len(head)
	var parts []string
	for range 50 {
		f := fit(l, bytesLen, limit)
		parts = splitLines(head+f.text(), per)
		if len(parts) <= WeComMaxMessages || limit <= 0 {
			break
		}
		limit -= per / 4
	}
	if len(parts) > WeComMaxMessages {
		parts = parts[:WeComMaxMessages]
	}
	var out []post
	for i, p := range parts {
		if len(parts) > 1 {
			p = fmt.Sprintf(s.cont, i+1, len(parts)) + "\n" + p
		}
		var msg wecomMessage
		msg.MsgType = "markdown"
		msg.Markdown.Content = truncate(p, WeComMaxContent, bytesLen)
		body, err := marshal(msg)
		if err != nil {
			return nil, err
		}
		out = append(out, post{"", body})
	}
	return out, nil
}

// splitLines cuts text into parts of at most max bytes at line ends; a
// line longer than max is cut between runes. Blank lines at a part's
// edges are dropped.
func splitLines(text string, max int) []string {
	var parts []string
	var cur strings.Builder
	flush := func() {
		if s := strings.Trim(cur.String(), "\n"); s != "" {
			parts = append(parts, s)
		}
		cur.Reset()
	}
	for line := range strings.SplitSeq(text, "\n") {
		for len(line) > max {
			flush()
			cut := max
			for cut > 0 && !runeStart(line[cut]) {
				cut--
			}
			parts = append(parts, line[:cut])
			line = line[cut:]
		}
		if cur.Len() > 0 && cur.Len()+1+len(line) > max {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
	}
	flush()
	return parts
}

func runeStart(b byte) bool { return b&0xC0 != 0x80 }

// --- Slack ---

// slackEscape: Slack's documented escapes for mrkdwn, after neutral.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escSlack(s string) string { return slackEscape.Replace(neutral.Replace(s)) }

// slackUserID: U or W, then capitals and digits.
func slackUserID(v string) bool {
	if len(v) < 3 || len(v) > 32 || (v[0] != 'U' && v[0] != 'W') {
		return false
	}
	return strings.IndexFunc(v, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) < 0
}

// slackDialect: mrkdwn; a mention is <@U...> for a Slack user ID, any
// other owner is written plainly.
var slackDialect = dialect{
	esc:  escSlack,
	bold: func(s string) string { return "*" + s + "*" },
	code: func(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" },
	mention: func(o Owner) string {
		if o.Kind == OwnerUserID && slackUserID(o.Value) {
			return "<@" + o.Value + ">"
		}
		return escSlack(o.Value)
	},
	bullet: "• ",
	head:   func(s string) string { return "*" + s + "*" },
	cost:   utf16Len,
}

func slackSection(text string) slack.Block {
	// verbatim: Slack parses no mention or link the text does not spell
	// out in <...>.
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncate(text, SlackMaxSection, utf16Len), false, true), nil, nil)
}

func renderSlack(_ string, m *Message) ([]post, error) {
	l := write(m, slackDialect)
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(m.Title, slackMaxHeader, utf16Len), false, false)),
	}
	if len(l.top) > 0 {
		blocks = append(blocks, slackSection(strings.Join(l.top, "\n\n")))
	}
	if len(l.secs) > 0 {
		blocks = append(blocks, slack.NewDividerBlock())
	}
	tail := 0
	if len(l.bottom) > 0 {
		tail++
	}
	// Room for owner sections, one block each, keeping one for "and N
	// more owners".
	room := SlackMaxBlocks - len(blocks) - tail
	shown := len(l.secs)
	if shown > room {
		shown = room - 1
	}
	for _, sec := range l.secs[:shown] {
		one := &layout{s: l.s, secs: []secText{sec}}
		blocks = append(blocks, slackSection(fit(one, utf16Len, SlackMaxSection).text()))
	}
	if shown < len(l.secs) {
		items := 0
		for _, sec := range l.secs[shown:] {
			items += len(sec.lines)
		}
		blocks = append(blocks, slackSection(fmt.Sprintf(l.s.moreOwners, len(l.secs)-shown, items)))
	}
	if len(l.bottom) > 0 {
		blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, truncate(strings.Join(l.bottom, "\n"), SlackMaxSection, utf16Len), false, true)))
	}
	msg := slack.WebhookMessage{
		Text:   truncate(escSlack(m.Title), SlackMaxText, utf16Len),
		Blocks: &slack.Blocks{BlockSet: blocks},
	}
	body, err := marshal(msg)
	if err != nil {
		return nil, err
	}
	return []post{{"", body}}, nil
}

// --- generic webhook ---

func renderWebhook(_ string, m *Message, resp *answer.Response) ([]post, error) {
	body, err := marshal(struct {
		Summary string           `json:"summary"`
		Answer  *answer.Response `json:"answer"`
	}{m.Text(), resp})
	if err != nil {
		return nil, err
	}
	return []post{{"", body}}, nil
}

// --- answers ---

// serviceError is a channel's refusal, as its answer tells.
type serviceError struct {
	status    int
	code      int
	msg       string
	retryable bool
}

func (e *serviceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.status)
	if e.code != 0 {
		fmt.Fprintf(&b, ", code %d", e.code)
	}
	if e.msg != "" {
		fmt.Fprintf(&b, ": %s", clip(strings.Join(strings.Fields(e.msg), " "), 200))
	}
	return b.String()
}

// Service codes worth another attempt. DingTalk: -1 busy, 130101 sent too
// fast; WeCom: -1 busy, 45009 frequency limit; Feishu: 11232 frequency
// limit (UNCONFIRMED: Feishu's code for a bot sending too fast).
var retryCodes = map[string][]int{
	DingTalk: {-1, 130101},
	WeCom:    {-1, 45009},
	Feishu:   {11232},
}

// check reads a channel's answer: nil when the message was taken.
func check(channel string, status int, body []byte) *serviceError {
	e := &serviceError{status: status, retryable: status == 429 || status >= 500}
	if status < 200 || status > 299 {
		e.msg = string(body)
		return e
	}
	switch channel {
	case Slack:
		if t := strings.TrimSpace(string(body)); t != "ok" {
			e.msg = t
			return e
		}
		return nil
	case Webhook:
		return nil
	}
	var a struct {
		ErrCode    *int   `json:"errcode"`
		ErrMsg     string `json:"errmsg"`
		Code       *int   `json:"code"`
		Msg        string `json:"msg"`
		StatusCode *int   `json:"StatusCode"`
		StatusMsg  string `json:"StatusMessage"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		e.msg = "unreadable answer"
		return e
	}
	code, msg := a.ErrCode, a.ErrMsg
	if channel == Feishu {
		code, msg = a.Code, a.Msg
		if code == nil {
			code, msg = a.StatusCode, a.StatusMsg
		}
	}
	if code == nil {
		e.msg = "answer without a code"
		return e
	}
	if *code == 0 {
		return nil
	}
	e.code, e.msg = *code, msg
	e.retryable = slices.Contains(retryCodes[channel], *code)
	return e
}
