package request

// fcHTTPEvent holds the fields of an FC 3.0 HTTP trigger event (version
// "v1") that this package uses. Other fields are ignored, so metadata the
// platform adds or types differently (timeEpoch, triggerId, ...) cannot
// break decoding.
type fcHTTPEvent struct {
	Version         string            `json:"version"`
	RawPath         string            `json:"rawPath"`
	Headers         map[string]string `json:"headers"`
	QueryParameters map[string]string `json:"queryParameters"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  struct {
		RequestID string `json:"requestId"`
		HTTP      struct {
			Method   string `json:"method"`
			Path     string `json:"path"`
			SourceIP string `json:"sourceIp"`
		} `json:"http"`
	} `json:"requestContext"`
}

func decodeFCHTTP(raw []byte) (*Invocation, error) {
	var ev fcHTTPEvent
	if err := looseUnmarshal(raw, &ev); err != nil {
		return nil, err
	}
	return decodeHTTPEvent(httpEvent{
		source: SourceHTTP,
		info: HTTPInfo{
			Method:    ev.RequestContext.HTTP.Method,
			Path:      pathOr(ev.RequestContext.HTTP.Path, ev.RawPath),
			Query:     ev.QueryParameters,
			Headers:   ev.Headers,
			RequestID: ev.RequestContext.RequestID,
			SourceIP:  ev.RequestContext.HTTP.SourceIP,
		},
		body:       ev.Body,
		base64:     ev.IsBase64Encoded,
		queryField: "queryParameters",
	})
}
