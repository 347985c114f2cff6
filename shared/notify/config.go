package notify

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
)

// Environment variables.
const (
	EnvDingTalkURL    = "NOTIFY_DINGTALK_URL"
	EnvDingTalkSecret = "NOTIFY_DINGTALK_SECRET"
	EnvFeishuURL      = "NOTIFY_FEISHU_URL"
	EnvFeishuSecret   = "NOTIFY_FEISHU_SECRET"
	EnvWeComURL       = "NOTIFY_WECOM_URL"
	EnvSlackURL       = "NOTIFY_SLACK_URL"
	EnvWebhookURL     = "NOTIFY_WEBHOOK_URL"
	EnvOn             = "NOTIFY_ON"
	EnvLang           = "NOTIFY_LANG"
	EnvOwnerTag       = "OWNER_TAG"
	EnvWarnBefore     = "WARN_BEFORE"
	// EnvProtectTag is read only to tell people how to keep an instance;
	// package config validates it.
	EnvProtectTag = "PROTECT_TAG"
)

// Channels, in the order Send reports them.
const (
	DingTalk = "dingtalk"
	Feishu   = "feishu"
	WeCom    = "wecom"
	Slack    = "slack"
	Webhook  = "webhook"
)

// Channels lists every channel.
var Channels = []string{DingTalk, Feishu, WeCom, Slack, Webhook}

// NOTIFY_ON words.
const (
	OnActions  = "actions"
	OnFailures = "failures"
	OnWarnings = "warnings"
	OnPreviews = "previews"
	OnAll      = "all"
)

// Languages.
const (
	LangEN = "en"
	LangZH = "zh"
)

// Defaults, used when a variable is unset or empty.
const (
	DefaultOn         = "actions,failures,warnings"
	DefaultLang       = LangEN
	DefaultOwnerTag   = "owner"
	DefaultWarnBefore = 24 * time.Hour
	// MaxWarnBefore bounds WARN_BEFORE: ECS's auto-release times reach
	// further, but a warning a month ahead is noise.
	MaxWarnBefore = 30 * 24 * time.Hour
	// DefaultProtectTag mirrors package config's default; it is only
	// shown in messages.
	DefaultProtectTag = "ecs-release:protect=true"
)

// Config is the validated notification configuration.
type Config struct {
	// URLs and secrets by channel; an empty URL leaves the channel off.
	DingTalkURL, DingTalkSecret string
	FeishuURL, FeishuSecret     string
	WeComURL                    string
	SlackURL                    string
	WebhookURL                  string
	// On is the set of NOTIFY_ON words (never "all": it is expanded).
	On map[string]bool
	// Lang is LangEN or LangZH.
	Lang string
	// OwnerTag is the tag key whose value names an instance's owner.
	OwnerTag string
	// WarnBefore: warn of an auto-release this close (0: never).
	WarnBefore time.Duration
	// ProtectTag is shown as the way to keep an instance (key=value).
	ProtectTag string
}

// Error is an invalid variable. Value is empty for the URL and secret
// variables: their values never appear in an error.
type Error struct {
	Variable, Value, Problem string
}

func (e *Error) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("invalid configuration: %s: %s", e.Variable, e.Problem)
	}
	return fmt.Sprintf("invalid configuration: %s=%q: %s", e.Variable, e.Value, e.Problem)
}

// urlRule is what a channel's URL must carry.
type urlRule struct {
	env, secretEnv string
	// param is the query parameter holding the robot's token ("" for
	// none: the token is in the path).
	param string
	// want describes the URL in the error.
	want string
}

var urlRules = []urlRule{
	{EnvDingTalkURL, EnvDingTalkSecret, "access_token", "want an https URL with an access_token parameter"},
	{EnvFeishuURL, EnvFeishuSecret, "", "want an https URL with the hook's token in its path (/open-apis/bot/v2/hook/...)"},
	{EnvWeComURL, "", "key", "want an https URL with a key parameter"},
	{EnvSlackURL, "", "", "want an https URL with the webhook's path (/services/...)"},
	{EnvWebhookURL, "", "", "want an https URL"},
}

// Load reads and validates the configuration; every problem is reported
// (joined), each naming its variable and never a URL's token or a secret.
func Load(getenv func(string) string) (*Config, error) {
	c := &Config{
		Lang:       DefaultLang,
		OwnerTag:   DefaultOwnerTag,
		WarnBefore: DefaultWarnBefore,
		ProtectTag: DefaultProtectTag,
	}
	var errs []error
	bad := func(name, value, problem string) {
		errs = append(errs, &Error{Variable: name, Value: value, Problem: problem})
	}
	get := func(name string) (string, bool) {
		v := strings.TrimSpace(getenv(name))
		return v, v != ""
	}
	urls := map[string]*string{
		EnvDingTalkURL: &c.DingTalkURL, EnvFeishuURL: &c.FeishuURL, EnvWeComURL: &c.WeComURL,
		EnvSlackURL: &c.SlackURL, EnvWebhookURL: &c.WebhookURL,
	}
	secrets := map[string]*string{EnvDingTalkSecret: &c.DingTalkSecret, EnvFeishuSecret: &c.FeishuSecret}
	for _, r := range urlRules {
		u, hasURL := get(r.env)
		if hasURL {
			if problem := checkURL(u, r); problem != "" {
				bad(r.env, "", problem)
			} else {
				*urls[r.env] = u
			}
		}
		if r.secretEnv == "" {
			continue
		}
		s, hasSecret := get(r.secretEnv)
		switch {
		case hasSecret && !hasURL:
			bad(r.secretEnv, "", "set without "+r.env)
		case hasSecret && strings.ContainsFunc(s, unicode.IsSpace):
			bad(r.secretEnv, "", "must not contain spaces")
		case hasSecret:
			*secrets[r.secretEnv] = s
		}
	}

	on := DefaultOn
	if v, ok := get(EnvOn); ok {
		on = v
	}
	c.On = map[string]bool{}
	for w := range strings.SplitSeq(on, ",") {
		w = strings.ToLower(strings.TrimSpace(w))
		switch w {
		case "":
		case OnAll:
			for _, x := range []string{OnActions, OnFailures, OnWarnings, OnPreviews} {
				c.On[x] = true
			}
		case OnActions, OnFailures, OnWarnings, OnPreviews:
			c.On[w] = true
		default:
			bad(EnvOn, on, fmt.Sprintf("unknown word %q: want a comma list of actions, failures, warnings, previews or all", w))
		}
	}
	if len(c.On) == 0 && !slices.ContainsFunc(errs, func(e error) bool { return e.(*Error).Variable == EnvOn }) {
		bad(EnvOn, on, "want a comma list of actions, failures, warnings, previews or all")
	}

	if v, ok := get(EnvLang); ok {
		switch l := strings.ToLower(v); l {
		case LangEN, LangZH:
			c.Lang = l
		default:
			bad(EnvLang, v, "want en or zh")
		}
	}
	if v, ok := get(EnvOwnerTag); ok {
		if v == "" || len(v) > 128 || strings.Contains(v, "=") {
			bad(EnvOwnerTag, v, "want a tag key (1-128 characters, no '=')")
		}
		c.OwnerTag = v
	}
	if v, ok := get(EnvWarnBefore); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > MaxWarnBefore {
			bad(EnvWarnBefore, v, "want a Go duration from 0 (no warnings) to 720h (30 days), e.g. 24h")
		}
		c.WarnBefore = d
	}
	if v, ok := get(EnvProtectTag); ok {
		c.ProtectTag = v
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// checkURL returns what is wrong with a channel's URL, in words that
// never quote it.
func checkURL(s string, r urlRule) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return r.want
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback(u.Hostname()) {
			return r.want + " (http only for a loopback host)"
		}
	default:
		return r.want
	}
	if u.User != nil {
		return r.want + " (no user information)"
	}
	if r.param != "" && u.Query().Get(r.param) == "" {
		return r.want
	}
	if (r.env == EnvFeishuURL || r.env == EnvSlackURL) && strings.Trim(u.Path, "/") == "" {
		return r.want
	}
	return ""
}

// loopback: localhost, 127.0.0.0/8 or ::1.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Enabled reports whether any channel is configured.
func (c *Config) Enabled() bool {
	return c != nil && (c.DingTalkURL != "" || c.FeishuURL != "" || c.WeComURL != "" || c.SlackURL != "" || c.WebhookURL != "")
}

// channels lists the configured channels with their URLs.
func (c *Config) channels() []struct{ name, url string } {
	var out []struct{ name, url string }
	for _, ch := range []struct{ name, url string }{
		{DingTalk, c.DingTalkURL}, {Feishu, c.FeishuURL}, {WeCom, c.WeComURL}, {Slack, c.SlackURL}, {Webhook, c.WebhookURL},
	} {
		if ch.url != "" {
			out = append(out, ch)
		}
	}
	return out
}

// sensitiveParams are query parameters whose values are credentials.
var sensitiveParams = []string{"access_token", "key", "token", "sign", "signature", "secret", "code", "apikey", "api_key", "auth", "password", "sig"}

// Secrets lists every string to mask in logs: the secrets, each URL whole
// and without its query, its path (Slack's and Feishu's tokens are in
// the path) and last path segment, and the values of its credential
// query parameters.
func (c *Config) Secrets() []string {
	if c == nil {
		return nil
	}
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(c.DingTalkSecret)
	add(c.FeishuSecret)
	for _, ch := range c.channels() {
		add(ch.url)
		u, err := url.Parse(ch.url)
		if err != nil {
			continue
		}
		if p := strings.Trim(u.Path, "/"); p != "" {
			add(u.Path)
			add(p)
			if i := strings.LastIndexByte(p, '/'); i >= 0 && len(p)-i-1 >= 8 {
				add(p[i+1:])
			}
			noQuery := *u
			noQuery.RawQuery, noQuery.Fragment = "", ""
			add(noQuery.String())
		}
		q := u.Query()
		for k, vs := range q {
			if !slices.Contains(sensitiveParams, strings.ToLower(k)) {
				continue
			}
			for _, v := range vs {
				add(v)
			}
		}
		if pw, ok := u.User.Password(); ok {
			add(pw)
		}
	}
	return out
}

// EnvSecrets is Secrets for the channel variables as the environment holds
// them, valid or not: a caller masks them from its first log line on, even
// when Load refuses them.
func EnvSecrets(getenv func(string) string) []string {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	raw := &Config{
		DingTalkURL: get(EnvDingTalkURL), DingTalkSecret: get(EnvDingTalkSecret),
		FeishuURL: get(EnvFeishuURL), FeishuSecret: get(EnvFeishuSecret),
		WeComURL: get(EnvWeComURL), SlackURL: get(EnvSlackURL), WebhookURL: get(EnvWebhookURL),
	}
	return raw.Secrets()
}

// Wants reports whether resp is worth a message under NOTIFY_ON. A dry
// run's answer is a preview as a whole.
func (c *Config) Wants(resp *answer.Response) bool {
	if !c.Enabled() || resp == nil {
		return false
	}
	if resp.DryRun {
		return c.On[OnPreviews]
	}
	count := func(pred func(string) bool) bool {
		for _, o := range resp.Instances {
			if pred(o.Outcome) {
				return true
			}
		}
		for k, n := range resp.Summary.Counts {
			if n > 0 && pred(k) {
				return true
			}
		}
		return false
	}
	failed := func(o string) bool { return o == answer.OutcomeFailed }
	switch {
	case c.On[OnActions] && count(answer.Acted):
		return true
	case c.On[OnFailures] && (resp.Failure != nil || count(failed)):
		return true
	case c.On[OnWarnings] && (len(resp.Warnings) > 0 || slices.ContainsFunc(resp.Instances, func(o answer.InstanceOutcome) bool { return len(o.Flags) > 0 })):
		return true
	case c.On[OnPreviews] && count(answer.Preview):
		return true
	}
	return false
}
