package request

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// httpEvent is what the three HTTP shapes have in common.
type httpEvent struct {
	source     Source
	info       HTTPInfo
	body       string
	base64     bool
	queryField string // "queryParameters" (FC) or "queryStringParameters" (AWS)
}

const methodField = "requestContext.http.method"

// decodeHTTPEvent turns an HTTP-shaped event into an invocation:
// POST/PUT carry the request JSON in the body; GET is a status query; any
// other method is MethodNotAllowed.
func decodeHTTPEvent(ev httpEvent) (*Invocation, error) {
	method := strings.ToUpper(strings.TrimSpace(ev.info.Method))
	info := ev.info
	info.Method = method
	info.Headers = redactHeaders(info.Headers)
	inv := &Invocation{Source: ev.source, HTTP: &info}
	switch method {
	case http.MethodPost, http.MethodPut:
		r, err := decodeHTTPBody(ev.body, ev.base64)
		if err != nil {
			return nil, err
		}
		inv.Requests = []Request{r}
	case http.MethodGet:
		q, err := decodeStatusQuery(ev.info.Query, ev.queryField)
		if err != nil {
			return nil, err
		}
		inv.Query = q
		inv.Requests = []Request{{Region: q.Region, InstanceIDs: slices.Clone(q.InstanceIDs)}}
	case "":
		return nil, invalid(methodField, "missing HTTP method")
	default:
		return nil, &Error{Code: CodeMethodNotAllowed, Field: methodField, Message: fmt.Sprintf(
			"method %s is not allowed; POST (or PUT) a JSON request, or GET ?instanceId=… for a status query", quote(method))}
	}
	return inv, nil
}

func decodeHTTPBody(body string, isBase64 bool) (Request, error) {
	data := []byte(body)
	if isBase64 {
		var err error
		if data, err = base64.StdEncoding.DecodeString(strings.TrimSpace(body)); err != nil {
			return Request{}, invalid("body", "isBase64Encoded is true but the body is not valid base64")
		}
		if !utf8.Valid(data) {
			return Request{}, invalid("body", "the base64-decoded body is not valid UTF-8")
		}
	}
	if strings.TrimSpace(string(data)) == "" {
		return Request{}, invalid("body", "empty body; a POST must carry the request JSON ({} for the default request)")
	}
	r, err := decodeRequest(data)
	if err != nil {
		return Request{}, within("body", err)
	}
	return r, nil
}

// decodeStatusQuery reads ?instanceId=i-a,i-b[&region=r]; other keys are refused.
func decodeStatusQuery(query map[string]string, field string) (*StatusQuery, error) {
	for k := range query {
		if k != "instanceId" && k != "region" {
			return nil, invalid(field+"."+k, "unknown query parameter (a status query takes instanceId and region)")
		}
	}
	idField := field + ".instanceId"
	raw := strings.TrimSpace(query["instanceId"])
	if raw == "" {
		return nil, invalid(idField, "a GET is a status query and needs ?instanceId=i-… (comma-separated for several)")
	}
	parts := strings.Split(raw, ",")
	if len(parts) > MaxInstanceIDs {
		return nil, invalid(idField, fmt.Sprintf("%d instance IDs; at most %d", len(parts), MaxInstanceIDs))
	}
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
		f := idField
		if len(parts) > 1 {
			f = fmt.Sprintf("%s[%d]", idField, i)
		}
		if err := checkInstanceRef(f, parts[i]); err != nil {
			return nil, err
		}
	}
	r := Request{Region: strings.TrimSpace(query["region"]), InstanceIDs: parts}
	if err := prepare(&r); err != nil {
		if e, ok := AsError(err); ok && e.Field == "region" {
			return nil, invalid(field+".region", e.Message)
		}
		return nil, within(field, err)
	}
	return &StatusQuery{Region: r.Region, InstanceIDs: r.InstanceIDs}, nil
}

// sensitiveHeaders are replaced by "REDACTED" in HTTPInfo.Headers so that
// logging the invocation never leaks credentials.
var sensitiveHeaders = []string{"authorization", "proxy-authorization", "cookie",
	"x-fc-security-token", "x-acs-security-token", "x-fc-access-key-secret", "x-amz-security-token"}

func redactHeaders(h map[string]string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		if slices.Contains(sensitiveHeaders, strings.ToLower(k)) {
			v = "REDACTED"
		}
		out[k] = v
	}
	return out
}
