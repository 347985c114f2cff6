// Package notifysink is a local HTTP server that stands in for every chat
// service package notify posts to — DingTalk, Feishu, WeCom, Slack and a
// generic webhook — at distinct paths. It checks what the real service
// would check (the robot's token, the signature and its timestamp, the
// size limits), answers in the service's own format, and records each
// message it takes. Faults can be set per channel: down (the connection
// is closed unanswered), slow (an answer after a delay, or never if the
// client gives up first), an HTTP error status, a service error code.
//
// Tests and the local runner use it; nothing in a function links it.
package notifysink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Channels, as package notify names them.
const (
	DingTalk = "dingtalk"
	Feishu   = "feishu"
	WeCom    = "wecom"
	Slack    = "slack"
	Webhook  = "webhook"
)

// Credentials the sink expects; Env hands them out.
const (
	DingTalkToken  = "dtTOKEN0123456789abcdef"
	DingTalkSecret = "SECdingtalk0123456789abcdef"
	FeishuToken    = "fs-hook-0123456789abcdef"
	FeishuSecret   = "feishuSecret0123456789"
	WeComKey       = "wc-key-0123456789abcdef"
	SlackPath      = "/services/T0SINK/B0SINK/slackSecret0123456789"
	WebhookToken   = "wh-token-0123456789abcdef"
)

// Limits the sink enforces, the services' (see package notify).
const (
	dingTalkMaxText = 20000
	feishuMaxBody   = 30 * 1024
	wecomMaxContent = 4096
	slackMaxSection = 3000
	slackMaxHeader  = 150
	slackMaxBlocks  = 50
	slackMaxText    = 40000
	// maxSkew is how far a signature's timestamp may be from now.
	maxSkew = time.Hour
)

// Message is one message a service took.
type Message struct {
	Channel string
	Body    json.RawMessage
	// Text is the message's content as the service renders it (still in
	// its markup): the title and every text of a card or blocks, joined
	// by newlines.
	Text string
	// Mentions are whom the message mentions, as the service would ping
	// them ("all" for everyone).
	Mentions []string
	At       time.Time
}

// Fault makes a channel misbehave.
type Fault struct {
	// Down closes the connection without an answer.
	Down bool
	// Delay waits before answering (or until the client gives up).
	Delay time.Duration
	// Status answers this HTTP status (429, 500, ...) in the service's
	// form.
	Status int
	// Code answers HTTP 200 with this service error code (DingTalk,
	// Feishu, WeCom).
	Code int
	// Times limits the fault to the next Times requests (0: until
	// cleared).
	Times int
}

// Sink is the stand-in server.
type Sink struct {
	srv  *http.Server
	ln   net.Listener
	base string

	mu       sync.Mutex
	msgs     []Message
	requests map[string]int
	faults   map[string]*Fault
	now      func() time.Time
	done     chan struct{}
	// secrets by channel (DingTalk, Feishu); "" for an unsigned robot.
	secrets map[string]string
}

// Start listens on addr (":0" or "127.0.0.1:0" for a free port) and
// serves until Close.
func Start(addr string) (*Sink, error) {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Sink{ln: ln, base: "http://" + ln.Addr().String(), requests: map[string]int{}, faults: map[string]*Fault{}, now: time.Now, done: make(chan struct{}),
		secrets: map[string]string{DingTalk: DingTalkSecret, Feishu: FeishuSecret}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /dingtalk/robot/send", s.handle(DingTalk, s.dingTalk))
	mux.HandleFunc("POST /feishu/open-apis/bot/v2/hook/{token}", s.handle(Feishu, s.feishu))
	mux.HandleFunc("POST /wecom/cgi-bin/webhook/send", s.handle(WeCom, s.wecom))
	mux.HandleFunc("POST /slack/services/{rest...}", s.handle(Slack, s.slack))
	mux.HandleFunc("POST /webhook/{token}", s.handle(Webhook, s.webhook))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server: later posts are refused.
func (s *Sink) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	_ = s.srv.Close()
}

// URL is the sink's base URL.
func (s *Sink) URL() string { return s.base }

// Env returns the NOTIFY_* variables that point every channel at the
// sink, signed where the service signs.
func (s *Sink) Env() map[string]string {
	env := map[string]string{
		"NOTIFY_DINGTALK_URL": s.base + "/dingtalk/robot/send?access_token=" + DingTalkToken,
		"NOTIFY_FEISHU_URL":   s.base + "/feishu/open-apis/bot/v2/hook/" + FeishuToken,
		"NOTIFY_WECOM_URL":    s.base + "/wecom/cgi-bin/webhook/send?key=" + WeComKey,
		"NOTIFY_SLACK_URL":    s.base + "/slack" + SlackPath,
		"NOTIFY_WEBHOOK_URL":  s.base + "/webhook/" + WebhookToken,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := s.secrets[DingTalk]; sec != "" {
		env["NOTIFY_DINGTALK_SECRET"] = sec
	}
	if sec := s.secrets[Feishu]; sec != "" {
		env["NOTIFY_FEISHU_SECRET"] = sec
	}
	return env
}

// SetSecret sets the signing secret DingTalk's or Feishu's robot checks
// ("": the robot is unsigned and takes unsigned posts only).
func (s *Sink) SetSecret(channel, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[channel] = secret
}

func (s *Sink) secret(channel string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.secrets[channel]
}

// Secrets lists the credentials in Env, for tests that look for leaks.
func Secrets() []string {
	return []string{DingTalkToken, DingTalkSecret, FeishuToken, FeishuSecret, WeComKey, SlackPath, "slackSecret0123456789", WebhookToken}
}

// SetNow sets the sink's clock (signature timestamps are checked against
// it; default time.Now).
func (s *Sink) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetFault makes channel misbehave; a zero Fault clears it.
func (s *Sink) SetFault(channel string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == (Fault{}) {
		delete(s.faults, channel)
		return
	}
	s.faults[channel] = &f
}

// Messages returns the messages taken so far, in order.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// Requests counts the posts a channel received, taken or not.
func (s *Sink) Requests(channel string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[channel]
}

// Reset forgets the messages, request counts and faults.
func (s *Sink) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs, s.requests, s.faults = nil, map[string]int{}, map[string]*Fault{}
}

// fault returns the channel's fault for this request, counting it down.
func (s *Sink) fault(channel string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[channel]++
	f, ok := s.faults[channel]
	if !ok {
		return Fault{}, false
	}
	out := *f
	if f.Times > 0 {
		if f.Times--; f.Times == 0 {
			delete(s.faults, channel)
		}
	}
	return out, true
}

// verdict is a service's answer to one post.
type verdict struct {
	status int
	// code and msg: the service's error (code 0: taken).
	code int
	msg  string
	// taken: the message to record.
	taken *Message
}

func (s *Sink) handle(channel string, serve func(r *http.Request, body []byte, now time.Time) verdict) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, faulty := s.fault(channel)
		if faulty && f.Down {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if faulty && f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			case <-s.done:
				t.Stop()
				return
			}
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			return
		}
		s.mu.Lock()
		now := s.now()
		s.mu.Unlock()
		var v verdict
		switch {
		case faulty && f.Status != 0:
			v = verdict{status: f.Status, code: f.Status, msg: http.StatusText(f.Status)}
		case faulty && f.Code != 0:
			v = verdict{status: http.StatusOK, code: f.Code, msg: "fault injected"}
		default:
			v = serve(r, body, now)
		}
		if v.status == 0 {
			v.status = http.StatusOK
		}
		if v.taken != nil {
			v.taken.Channel, v.taken.Body, v.taken.At = channel, json.RawMessage(slices.Clone(body)), now
			s.mu.Lock()
			s.msgs = append(s.msgs, *v.taken)
			s.mu.Unlock()
		}
		answer(w, channel, v)
	}
}

// answer writes v in the channel's form.
func answer(w http.ResponseWriter, channel string, v verdict) {
	switch channel {
	case DingTalk, WeCom:
		msg := v.msg
		if v.code == 0 {
			msg = "ok"
		}
		writeJSON(w, v.status, map[string]any{"errcode": v.code, "errmsg": msg})
	case Feishu:
		if v.code == 0 {
			writeJSON(w, v.status, map[string]any{"code": 0, "msg": "success", "data": map[string]any{}})
			return
		}
		writeJSON(w, v.status, map[string]any{"code": v.code, "msg": v.msg, "data": map[string]any{}})
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(v.status)
		if v.code == 0 {
			_, _ = io.WriteString(w, "ok")
		} else {
			_, _ = io.WriteString(w, v.msg)
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// withinSkew parses a timestamp (unit: its scale to seconds) and checks
// it is within an hour of now.
func withinSkew(ts string, perSecond int64, now time.Time) (int64, bool) {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, false
	}
	t := time.UnixMilli(n * 1000 / perSecond)
	d := now.Sub(t)
	return n, d <= maxSkew && d >= -maxSkew
}

func hmacB64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// DingTalk: token, signature (timestamp in ms, within an hour), markdown.
func (s *Sink) dingTalk(r *http.Request, body []byte, now time.Time) verdict {
	q := r.URL.Query()
	if q.Get("access_token") != DingTalkToken {
		return verdict{code: 300001, msg: "token is not exist"}
	}
	if secret := s.secret(DingTalk); secret != "" {
		ts, ok := withinSkew(q.Get("timestamp"), 1000, now)
		if !ok {
			return verdict{code: 310000, msg: "sign not match: timestamp missing or more than an hour off"}
		}
		if q.Get("sign") != hmacB64(secret, strconv.FormatInt(ts, 10)+"\n"+secret) {
			return verdict{code: 310000, msg: "sign not match"}
		}
	} else if q.Has("sign") {
		return verdict{code: 310000, msg: "sign not match: the robot has no secret"}
	}
	var m struct {
		MsgType  string `json:"msgtype"`
		Markdown *struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
		At struct {
			AtMobiles []string `json:"atMobiles"`
			AtUserIDs []string `json:"atUserIds"`
			IsAtAll   bool     `json:"isAtAll"`
		} `json:"at"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "markdown" || m.Markdown == nil || m.Markdown.Title == "" || m.Markdown.Text == "" {
		return verdict{code: 40035, msg: "missing or bad parameter: want msgtype markdown with title and text"}
	}
	if len(m.Markdown.Text) > dingTalkMaxText {
		return verdict{code: 460101, msg: "message too long"}
	}
	var mentions []string
	for _, who := range append(slices.Clone(m.At.AtMobiles), m.At.AtUserIDs...) {
		// DingTalk pings only whom the text names as @who.
		if strings.Contains(m.Markdown.Text, "@"+who) {
			mentions = append(mentions, who)
		}
	}
	if m.At.IsAtAll {
		mentions = append(mentions, "all")
	}
	return verdict{taken: &Message{Text: m.Markdown.Title + "\n" + m.Markdown.Text, Mentions: mentions}}
}

var (
	feishuAt = regexp.MustCompile(`<at (?:id|email|user_id|open_id)="?([^">\s]+)"?\s*>`)
	wecomAt  = regexp.MustCompile(`<@([^>\s]+)>`)
	slackAt  = regexp.MustCompile(`<@([A-Z0-9]+)(?:\|[^>]*)?>|<!(channel|here|everyone)(?:\|[^>]*)?>`)
)

// Feishu: token, signature in the body (timestamp in s), a card.
func (s *Sink) feishu(r *http.Request, body []byte, now time.Time) verdict {
	if r.PathValue("token") != FeishuToken {
		return verdict{code: 19001, msg: "param invalid: incoming webhook access token invalid"}
	}
	if len(body) > feishuMaxBody {
		return verdict{code: 9499, msg: "request body too large"}
	}
	var m struct {
		Timestamp string          `json:"timestamp"`
		Sign      string          `json:"sign"`
		MsgType   string          `json:"msg_type"`
		Card      json.RawMessage `json:"card"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return verdict{code: 9499, msg: "Bad Request"}
	}
	if secret := s.secret(Feishu); secret != "" {
		if _, ok := withinSkew(m.Timestamp, 1, now); !ok || m.Sign != hmacB64(m.Timestamp+"\n"+secret, "") {
			return verdict{code: 19021, msg: "sign match fail or timestamp is not within one hour from current time"}
		}
	}
	if m.MsgType != "interactive" || len(m.Card) == 0 {
		return verdict{code: 9499, msg: "Bad Request: want msg_type interactive with a card"}
	}
	var card struct {
		Header struct {
			Title struct {
				Content string `json:"content"`
			} `json:"title"`
		} `json:"header"`
		Elements []cardElement `json:"elements"`
	}
	if err := json.Unmarshal(m.Card, &card); err != nil || card.Header.Title.Content == "" {
		return verdict{code: 9499, msg: "Bad Request: card without a title"}
	}
	texts := []string{card.Header.Title.Content}
	for _, e := range card.Elements {
		texts = append(texts, e.texts()...)
	}
	text := strings.Join(texts, "\n")
	var mentions []string
	for _, sm := range feishuAt.FindAllStringSubmatch(text, -1) {
		mentions = append(mentions, sm[1])
	}
	return verdict{taken: &Message{Text: text, Mentions: mentions}}
}

type cardElement struct {
	Tag  string `json:"tag"`
	Text *struct {
		Content string `json:"content"`
	} `json:"text"`
	Elements []cardElement `json:"elements"`
	Content  string        `json:"content"`
}

func (e cardElement) texts() []string {
	var out []string
	if e.Text != nil {
		out = append(out, e.Text.Content)
	}
	if e.Content != "" {
		out = append(out, e.Content)
	}
	for _, c := range e.Elements {
		out = append(out, c.texts()...)
	}
	return out
}

// WeCom: key, markdown content of at most 4096 bytes.
func (s *Sink) wecom(r *http.Request, body []byte, _ time.Time) verdict {
	if r.URL.Query().Get("key") != WeComKey {
		return verdict{code: 93000, msg: "invalid webhook url"}
	}
	var m struct {
		MsgType  string `json:"msgtype"`
		Markdown *struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return verdict{code: 40016, msg: "invalid json"}
	}
	if m.MsgType != "markdown" || m.Markdown == nil || m.Markdown.Content == "" {
		return verdict{code: 40008, msg: "invalid message type"}
	}
	if len(m.Markdown.Content) > wecomMaxContent {
		return verdict{code: 40058, msg: fmt.Sprintf("markdown.content exceed max length %d", wecomMaxContent)}
	}
	var mentions []string
	for _, sm := range wecomAt.FindAllStringSubmatch(m.Markdown.Content, -1) {
		mentions = append(mentions, sm[1])
	}
	return verdict{taken: &Message{Text: m.Markdown.Content, Mentions: mentions}}
}

// Slack: path, text or blocks within Block Kit's limits.
func (s *Sink) slack(r *http.Request, body []byte, _ time.Time) verdict {
	if "/services/"+r.PathValue("rest") != SlackPath {
		return verdict{status: http.StatusNotFound, code: 404, msg: "no_service"}
	}
	var m struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text *struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"text"`
			Elements []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	bad := verdict{status: http.StatusBadRequest, code: 400, msg: "invalid_payload"}
	if err := json.Unmarshal(body, &m); err != nil || (m.Text == "" && len(m.Blocks) == 0) {
		return bad
	}
	if utf16Len(m.Text) > slackMaxText || len(m.Blocks) > slackMaxBlocks {
		bad.msg = "invalid_blocks"
		return bad
	}
	texts := []string{}
	for _, b := range m.Blocks {
		if b.Text != nil {
			max := slackMaxSection
			if b.Type == "header" {
				max = slackMaxHeader
			}
			if utf16Len(b.Text.Text) > max {
				bad.msg = "invalid_blocks"
				return bad
			}
			texts = append(texts, b.Text.Text)
		}
		for _, e := range b.Elements {
			if utf16Len(e.Text) > slackMaxSection {
				bad.msg = "invalid_blocks"
				return bad
			}
			texts = append(texts, e.Text)
		}
	}
	if len(texts) == 0 {
		texts = append(texts, m.Text)
	}
	text := strings.Join(texts, "\n")
	var mentions []string
	for _, sm := range slackAt.FindAllStringSubmatch(text+"\n"+m.Text, -1) {
		who := sm[1]
		if who == "" {
			who = "all"
		}
		if !slices.Contains(mentions, who) {
			mentions = append(mentions, who)
		}
	}
	return verdict{taken: &Message{Text: text, Mentions: mentions}}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// Webhook: token in the path, a JSON object with a summary.
func (s *Sink) webhook(r *http.Request, body []byte, _ time.Time) verdict {
	if r.PathValue("token") != WebhookToken {
		return verdict{status: http.StatusUnauthorized, code: 401, msg: "unauthorized"}
	}
	var m struct {
		Summary string          `json:"summary"`
		Answer  json.RawMessage `json:"answer"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Summary == "" {
		return verdict{status: http.StatusBadRequest, code: 400, msg: "want a JSON object with a summary"}
	}
	return verdict{taken: &Message{Text: m.Summary}}
}
