package ecsemu

import "encoding/json"

// rawAnswer is a remembered answer replayed for a repeated ClientToken: the
// first answer's fields with the new call's RequestId.
type rawAnswer map[string]json.RawMessage

func (r rawAnswer) setRequestID(id string) {
	b, _ := json.Marshal(id)
	r["RequestId"] = b
}

// checkToken looks up an earlier call of action with the same ClientToken:
// (nil, false, nil) if there is none, the earlier answer if its parameters
// were the same, IdempotentParameterMismatch if they were not.
func (e *Emulator) checkToken(c *rpc, action, token string) (answer, bool, *apiError) {
	prev, ok := e.st.clientTokens[action+"/"+token]
	if !ok {
		return nil, false, nil
	}
	if prev.fingerprint != fingerprint(c) {
		return nil, true, errf("IdempotentParameterMismatch", "The request uses the same client token as a previous, but non-identical request.")
	}
	var out rawAnswer
	if err := json.Unmarshal(prev.raw, &out); err != nil {
		return nil, true, errf("InternalError", "%s", msgInternal)
	}
	return out, true, nil
}

// rememberToken keeps the answer of a call made with a ClientToken.
func (e *Emulator) rememberToken(c *rpc, action, token string, ans answer) {
	if token == "" {
		return
	}
	raw, err := json.Marshal(ans)
	if err != nil {
		return
	}
	e.st.clientTokens[action+"/"+token] = tokenResult{fingerprint: fingerprint(c), raw: raw}
}
