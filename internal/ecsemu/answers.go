package ecsemu

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// answer is what an action returns on success: a typed response struct (one
// per action, in the shape of ECS's answer) that carries the RequestId.
type answer interface{ setRequestID(id string) }

// Response is embedded in every typed answer.
type Response struct {
	RequestId string `json:"RequestId"`
}

func (r *Response) setRequestID(id string) { r.RequestId = id }

// gatewayParams are the common parameters of the RPC protocol: they are
// consumed by the gateway (routing, signature v1) and accepted on every
// action. RegionId is among them because the classic SDK sends the client's
// region on every call, also on actions whose API has no RegionId; where an
// action has none, a RegionId sent still narrows the lookup to that region.
var gatewayParams = []string{
	"Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion",
	"SignatureNonce", "SignatureType", "Timestamp", "SecurityToken", "RegionId",
}

// paramPattern turns a declared parameter name into a matcher: ".N" stands
// for a 1-based index, so "Tag.N.Key" matches Tag.1.Key, Tag.20.Key, ...
func paramPattern(name string) *regexp.Regexp {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		if p == "N" {
			parts[i] = `[1-9][0-9]*`
		} else {
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return regexp.MustCompile(`^` + strings.Join(parts, `\.`) + `$`)
}

// paramChecker knows the parameters one action implements.
type paramChecker struct {
	exact    map[string]bool
	patterns []*regexp.Regexp
}

func newParamChecker(names []string) paramChecker {
	pc := paramChecker{exact: map[string]bool{}}
	for _, n := range slices.Concat(gatewayParams, names) {
		if strings.Contains(n, ".N") {
			pc.patterns = append(pc.patterns, paramPattern(n))
		} else {
			pc.exact[n] = true
		}
	}
	return pc
}

func (pc paramChecker) accepts(name string) bool {
	if pc.exact[name] {
		return true
	}
	for _, re := range pc.patterns {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}

// checkParams refuses, by name, the first parameter (in sorted order) the
// action does not implement: the emulator never ignores a parameter, so an
// answer is never wider than ECS's would be.
func checkParams(action string, p params) *apiError {
	return products[APIVersion].checkParams(action, p)
}

// checkParams is checkParams for an action of the product.
func (pr *product) checkParams(action string, p params) *apiError {
	pc := pr.checkers[action]
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if !pc.accepts(k) {
			return errUnsupported(action, k)
		}
	}
	return nil
}

func errUnsupported(action, name string) *apiError {
	return &apiError{Status: 400, Code: "Emulator.UnsupportedParameter", Message: fmt.Sprintf("The parameter %q of %s is not implemented by the emulator; it refuses the call rather than ignore the parameter and answer wider than ECS would.", name, action)}
}
