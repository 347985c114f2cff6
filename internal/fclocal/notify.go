package fclocal

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fc-ecs-release/fc-ecs-release/internal/notifysink"
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/notify"
)

// Notification channels, as --notify-sink and package notify name them,
// with the variables that configure each.
var notifyChannels = []notifyChannel{
	{notify.DingTalk, notify.EnvDingTalkURL, notify.EnvDingTalkSecret},
	{notify.Feishu, notify.EnvFeishuURL, notify.EnvFeishuSecret},
	{notify.WeCom, notify.EnvWeComURL, ""},
	{notify.Slack, notify.EnvSlackURL, ""},
	{notify.Webhook, notify.EnvWebhookURL, ""},
}

type notifyChannel struct{ name, urlVar, secretVar string }

// DemoNotifySink is the channel the demo shows by default: a signed
// DingTalk robot.
const DemoNotifySink = notify.DingTalk

// ParseNotifySink reads --notify-sink: a comma-separated list of channels
// (dingtalk, feishu, wecom, slack, webhook), "all", or "none" / "".
func ParseNotifySink(s string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		switch part {
		case "", "none":
			continue
		case "all":
			for _, c := range notifyChannels {
				out = append(out, c.name)
			}
			continue
		}
		if !slices.ContainsFunc(notifyChannels, func(c notifyChannel) bool { return c.name == part }) {
			return nil, fmt.Errorf("--notify-sink: %q is not a channel: want dingtalk, feishu, wecom, slack, webhook, all or none", part)
		}
		if !slices.Contains(out, part) {
			out = append(out, part)
		}
	}
	return out, nil
}

// NotifySink is a local stand-in for the chat services: every channel the
// functions are configured with (a NOTIFY_*_URL in s.yaml or --set), plus
// the ones asked for, is pointed at it, so no message leaves the machine
// and the report can show what a team would see.
type NotifySink struct {
	Sink     *notifysink.Sink
	Channels []string
	// Env is what to add to the functions' environment.
	Env map[string]string
}

// StartNotifySink starts the sink for the channels configured in the
// project's functions (their environment with overrides applied) and the
// extra ones. It returns nil when there is no channel to stand in for.
func StartNotifySink(p *Project, overrides map[string]string, extra []string) (*NotifySink, error) {
	lookup := func(k string) string {
		if v, ok := overrides[k]; ok {
			return v
		}
		for _, f := range p.Functions {
			if v := f.Env[k]; v != "" {
				return v
			}
		}
		return ""
	}
	var chosen []string
	secrets := map[string]string{}
	configured := map[string]bool{}
	for _, c := range notifyChannels {
		if strings.TrimSpace(lookup(c.urlVar)) != "" {
			chosen = append(chosen, c.name)
			configured[c.name] = true
			if c.secretVar != "" {
				secrets[c.name] = strings.TrimSpace(lookup(c.secretVar))
			}
		} else if slices.Contains(extra, c.name) {
			chosen = append(chosen, c.name)
		}
	}
	if len(chosen) == 0 {
		return nil, nil
	}
	sink, err := notifysink.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("notification sink: %w", err)
	}
	// A configured robot keeps its own secret (or none): the sink checks
	// the signature the functions compute with it.
	for ch, sec := range secrets {
		sink.SetSecret(ch, sec)
	}
	all := sink.Env()
	env := map[string]string{}
	for _, c := range notifyChannels {
		if !slices.Contains(chosen, c.name) {
			// A channel not stood in for is off locally: nothing leaves
			// the machine.
			env[c.urlVar] = ""
			if c.secretVar != "" {
				env[c.secretVar] = ""
			}
			continue
		}
		env[c.urlVar] = all[c.urlVar]
		if c.secretVar != "" {
			env[c.secretVar] = all[c.secretVar]
		}
	}
	return &NotifySink{Sink: sink, Channels: chosen, Env: env}, nil
}

// Close stops the sink.
func (n *NotifySink) Close() {
	if n != nil {
		n.Sink.Close()
	}
}

// notificationsText renders the messages the sink took, under a heading.
func notificationsText(ns *NotifySink, msgs []notifysink.Message) string {
	if ns == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nNotifications (%s received by the local sink standing in for %s)\n", Plural(len(msgs), "message"), strings.Join(ns.Channels, ", "))
	if len(msgs) == 0 {
		b.WriteString("  none\n")
	}
	for _, m := range msgs {
		for line := range strings.SplitSeq(strings.TrimRight(m.Pretty(), "\n"), "\n") {
			b.WriteString("  " + line + "\n")
		}
	}
	return b.String()
}

// moneyText sums the answers' hourly figures: "1.2345 CNY/hour saved,
// 0.05 CNY/hour still billing" (empty when no answer carries one).
func moneyText(answers []*answer.Response) string {
	var saved, still float64
	currency := ""
	seen := false
	for _, a := range answers {
		for _, m := range []*answer.Money{a.Summary.EstimatedSavings, a.Summary.StillBilling} {
			if m == nil {
				continue
			}
			if currency != "" && m.Currency != currency {
				return "not summed: answers in more than one currency"
			}
			currency, seen = m.Currency, true
		}
		if m := a.Summary.EstimatedSavings; m != nil {
			saved += m.PerHour
		}
		if m := a.Summary.StillBilling; m != nil {
			still += m.PerHour
		}
	}
	if !seen {
		return ""
	}
	return fmt.Sprintf("%.4g %s/hour estimated savings, %.4g %s/hour still billing (DescribePrice, pay-as-you-go)", answer.Round(saved), currency, answer.Round(still), currency)
}
