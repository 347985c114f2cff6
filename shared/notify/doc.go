// Package notify tells people what a function did: it writes an answer
// (package answer) as a chat message and posts it to the robots the
// deployment configures — DingTalk, Feishu, WeCom, Slack — and to a
// generic JSON webhook.
//
// Configuration comes from the environment (Load): one URL per channel
// (NOTIFY_DINGTALK_URL, NOTIFY_FEISHU_URL, NOTIFY_WECOM_URL,
// NOTIFY_SLACK_URL, NOTIFY_WEBHOOK_URL), the signing secrets of the
// DingTalk and Feishu robots, which answers are worth a message
// (NOTIFY_ON), the language of the fixed strings (NOTIFY_LANG), the owner
// tag (OWNER_TAG) and how early a coming release is warned of
// (WARN_BEFORE). No error and no log line ever holds a URL's token or a
// secret; Config.Secrets lists them for the caller's redactor.
//
// A message (Compose) says what ran, the counts and the money, and lists
// the instances worth a word — actions, failures, previews, warnings —
// grouped by owner: one section per owner, mentioned at its head in the
// channel's form, the owner-less section last. Each channel's rendering
// is cut to the channel's limits (see the constants) with "and N more"
// lines, owner by owner; text from the answer (names, reasons) is
// escaped so that it can neither format nor mention.
//
// Send posts to every channel at once within a time budget, retrying
// what may succeed again, and never fails the invocation: it returns a
// Result per channel.
//
// The posts are written by hand (net/http and encoding/json): the
// DingTalk, Feishu and WeCom Go libraries are thin and not well kept.
// Slack's payload uses github.com/slack-go/slack's typed WebhookMessage
// and Block Kit blocks, measured to cost little: a release function built
// with GOOS=linux CGO_ENABLED=0 and a Slack post was 12,767,420 bytes
// written by hand and 13,050,059 bytes with slack-go (+282,639 bytes;
// +208,896 stripped with -s -w), under the 1.5 MB allowed. The post
// itself is still this package's (slack-go's PostWebhook quotes the URL,
// which holds Slack's secret, in its errors).
//
// UNCONFIRMED choices (not settled by the services' documentation at
// hand):
//   - DingTalk's markdown text limit (DingTalkMaxText, 20000 bytes) and
//     Feishu's request body limit (FeishuMaxBody, 30 KB);
//   - Feishu's email mention form in lark_md, <at email=...></at>;
//   - that DingTalk's, Feishu's and WeCom's markdown honour CommonMark's
//     backslash escapes (names and reasons are escaped that way; '@', '<'
//     and '>' are replaced with full-width look-alikes on every channel,
//     so no text from an answer can open a mention);
//   - that DingTalk takes a mobile with a +86 or + prefix in atMobiles as
//     written;
//   - Feishu's rate-limit code (11232) as retryable.
package notify
