package request

import (
	"encoding/json"
	"fmt"
)

var (
	requestFields = []string{
		"region", "instanceIds", "selector", "stoppedMode", "forceStop", "force", "snapshot", "then",
		"keepOnFailure", "autoReleaseTime", "after", "cancel", "sweep", "dryRun", "maxInstances",
		"reason", "originRequestId", "jobStatus", "stoppedAt",
		"autoScaling", "stoppedModeFallback", "spotInterruption",
	}
	selectorFields = []string{"tags", "name", "status", "olderThan", "expired", "chargeType", "idle"}
)

// decodeRequest decodes one request object strictly: exact field names only
// (no case folding, no unknown or repeated fields), JSON types as declared,
// then normalize + Validate + dedupe. Errors name fields relative to the
// request object; callers re-root them with within.
func decodeRequest(raw json.RawMessage) (Request, error) {
	if isNull(raw) {
		return Request{}, invalid("", "null is not a request; send a JSON object ({} for the default request)")
	}
	obj, err := parseObject(raw)
	if err != nil {
		return Request{}, err
	}
	if err := checkFields(obj, requestFields, "a request"); err != nil {
		return Request{}, err
	}
	if sel := obj["selector"]; sel != nil && !isNull(sel) {
		selObj, err := parseObject(sel)
		if err != nil {
			return Request{}, within("selector", err)
		}
		if err := checkFields(selObj, selectorFields, "a selector"); err != nil {
			return Request{}, within("selector", err)
		}
		if idle := selObj["idle"]; idle != nil && !isNull(idle) {
			idleObj, err := parseObject(idle)
			if err != nil {
				return Request{}, within("selector.idle", err)
			}
			if err := checkFields(idleObj, idleFields, "an idle selector"); err != nil {
				return Request{}, within("selector.idle", err)
			}
		}
		if tags := selObj["tags"]; tags != nil && !isNull(tags) {
			if _, err := parseObject(tags); err != nil {
				if e, ok := AsError(err); ok && e.Field != "" { // a repeated tag key
					return Request{}, invalid(fmt.Sprintf("selector.tags[%s]", quote(e.Field)), e.Message)
				}
				return Request{}, within("selector.tags", err)
			}
		}
	}
	var r Request
	if err := strictUnmarshal(raw, &r); err != nil {
		return Request{}, err
	}
	if err := prepare(&r); err != nil {
		return Request{}, err
	}
	return r, nil
}
