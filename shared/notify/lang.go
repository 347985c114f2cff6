package notify

// strs are a message's fixed strings in one language. Reasons, error
// messages and advice come from the answer and stay as they are.
type strs struct {
	product      string
	dryRun       string
	function     string
	region       string
	trigger      string
	requestID    string
	dryRunBy     string
	counts       string
	savings      string
	stillBilling string
	perHour      string
	instances    string
	owner        string
	noOwner      string
	releaseAt    string
	keepHow      string
	resources    string
	failure      string
	condition    string
	attempts     string
	errorWord    string
	instanceIDs  string
	request      string
	advice       string
	more         string // fmt: count
	moreOwners   string // fmt: owners, instances
	cont         string // fmt: part, parts
	nothing      string
	sep          string // between counts in a title
	colon        string
	outcomes     map[string]string
}

var table = map[string]*strs{
	LangEN: {
		product:      "ecs-release",
		dryRun:       "[dry run] ",
		function:     "Function",
		region:       "Region",
		trigger:      "Trigger",
		requestID:    "Request",
		dryRunBy:     "Dry run (asked by %s): nothing was changed",
		counts:       "Counts",
		savings:      "Estimated savings",
		stillBilling: "Still billing",
		perHour:      "%s %s/hour",
		instances:    "instances",
		owner:        "Owner",
		noOwner:      "No owner",
		releaseAt:    "released at %s",
		keepHow:      "To keep an instance: call the autorelease HTTP trigger now with %[3]s (cancel) or %[2]s (postpone), then add the tag %[1]s so that no sweep sets a time again.",
		resources:    "keeps billing",
		failure:      "Invocation failed",
		condition:    "Condition",
		attempts:     "Attempts",
		errorWord:    "Error",
		instanceIDs:  "Instances",
		request:      "Request",
		advice:       "Advice",
		more:         "… and %d more",
		moreOwners:   "… and %d more owners (%d instances)",
		cont:         "(part %d of %d)",
		nothing:      "nothing to report",
		sep:          ", ",
		colon:        ": ",
		outcomes: map[string]string{
			"failed": "failed", "stopped-still-charging": "stopped, still charging",
		},
	},
	LangZH: {
		product:      "ecs-release",
		dryRun:       "【演练】",
		function:     "函数",
		region:       "地域",
		trigger:      "触发方式",
		requestID:    "请求",
		dryRunBy:     "演练模式（由 %s 开启）：未做任何更改",
		counts:       "统计",
		savings:      "预计节省",
		stillBilling: "仍在计费",
		perHour:      "%s %s/小时",
		instances:    "个实例",
		owner:        "负责人",
		noOwner:      "无负责人",
		releaseAt:    "将于 %s 释放",
		keepHow:      "如需保留实例：请立即调用 autorelease HTTP 触发器，请求体 %[3]s（取消）或 %[2]s（推迟），然后添加标签 %[1]s，此后的巡检不会再为其设置释放时间。",
		resources:    "仍在计费",
		failure:      "调用失败",
		condition:    "条件",
		attempts:     "尝试次数",
		errorWord:    "错误",
		instanceIDs:  "实例",
		request:      "请求",
		advice:       "建议",
		more:         "… 另有 %d 项",
		moreOwners:   "… 另有 %d 位负责人（%d 项）",
		cont:         "（第 %d/%d 部分）",
		nothing:      "无可报告内容",
		sep:          "，",
		colon:        "：",
		outcomes: map[string]string{
			"stopping": "停止中", "already-stopped": "已是停止状态", "released": "已释放", "already-released": "已不存在",
			"auto-release-set": "已设置自动释放", "auto-release-cancelled": "已取消自动释放", "skipped": "已跳过", "failed": "失败",
			"would-stop": "将停止", "would-release": "将释放", "would-set-auto-release": "将设置自动释放",
			"would-cancel-auto-release": "将取消自动释放", "status": "状态", "stopped-still-charging": "已停止但仍计费",
			"release-soon": "即将释放", "still-billing": "仍在计费",
		},
	},
}

func lang(l string) *strs {
	if s, ok := table[l]; ok {
		return s
	}
	return table[LangEN]
}

// word names an outcome, flag or warning code in the language.
func (s *strs) word(code string) string {
	if w, ok := s.outcomes[code]; ok {
		return w
	}
	return code
}
