package fcruntime

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"time"
)

// The runtime API as fc-runtime-go-sdk v0.3.1 uses it (fc/runtime_api_client.go):
//
//	GET  /2020-11-11/runtime/invocation/next           long poll, no client timeout;
//	     200 with the payload as body, the request id in x-fc-request-id and
//	     the context in the other x-fc-* headers. Any other status makes the
//	     SDK log and poll again immediately.
//	POST /2020-11-11/runtime/invocation/{id}/response  body: the handler's
//	     JSON result, Content-Type application/json (x-fc-http-params only in
//	     HTTP-function mode, which is not supported and ignored). Expects 200.
//	POST /2020-11-11/runtime/invocation/{id}/error     body:
//	     {"errorMessage","errorType","stackTrace"?}, Content-Type
//	     application/json. Expects 200.
//
// The SDK sends each GET next after handing the previous invocation to a
// goroutine, so it polls again while earlier invocations still run.

// handleNext hands the oldest pending invocation to the caller, waiting for
// one if needed. The first call from a process marks it ready.
func (p *process) handleNext(w http.ResponseWriter, r *http.Request) {
	i := p.inst
	i.mu.Lock()
	if !p.ready {
		p.ready = true
		p.coldStart = time.Since(p.started)
		if p.seq == 1 {
			i.coldStart = p.coldStart
		}
		close(p.readyCh)
	}
	for {
		if p.exited || p.discarded || i.stopped {
			// Nobody will read an answer: hold the poll until the process
			// is gone rather than make the SDK spin on errors.
			i.mu.Unlock()
			select {
			case <-r.Context().Done():
			case <-p.exitedCh:
			}
			http.Error(w, "instance is shutting down", http.StatusServiceUnavailable)
			return
		}
		if len(i.queue) > 0 {
			inv := i.queue[0]
			i.queue[0] = nil
			i.queue = i.queue[1:]
			inv.proc = p
			inv.dispatched = time.Now()
			i.mu.Unlock()
			h := w.Header()
			maps.Copy(h, inv.header)
			w.WriteHeader(http.StatusOK)
			// If this write fails the process is going away; its exit
			// reports the invocation.
			_, _ = w.Write(inv.payload)
			return
		}
		wake := i.wake
		i.mu.Unlock()
		select {
		case <-wake:
		case <-r.Context().Done():
			return
		case <-p.exitedCh:
			return
		}
		i.mu.Lock()
	}
}

func (p *process) handleResponse(w http.ResponseWriter, r *http.Request) {
	p.answer(w, r, false)
}

func (p *process) handleError(w http.ResponseWriter, r *http.Request) {
	p.answer(w, r, true)
}

// answer completes the invocation named in the path with the POSTed body.
func (p *process) answer(w http.ResponseWriter, r *http.Request, isError bool) {
	i := p.inst
	id := r.PathValue("id")
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var res Result
	status := http.StatusOK
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(readErr, &tooLarge):
		res.Err = &FunctionError{ErrorType: ErrorTypeResponseTooLarge, ErrorMessage: "the function's answer exceeds the size limit"}
		res.Synthesized = true
		status = http.StatusRequestEntityTooLarge
	case readErr != nil:
		// The process went away mid-request; its exit reports the invocation.
		return
	case isError:
		fe := &FunctionError{}
		if err := json.Unmarshal(body, fe); err != nil {
			fe = &FunctionError{ErrorType: ErrorTypeInvalidErrorPayload, ErrorMessage: string(body)}
		}
		res.Err = fe
	default:
		res.Payload = body
	}

	i.mu.Lock()
	inv := i.active[id]
	if inv == nil && i.abandoned[id] == p {
		// The late answer of an invocation whose caller gave up.
		delete(i.abandoned, id)
		i.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	if inv == nil || inv.proc != p {
		// Unknown, already answered, timed out, or taken by another process.
		i.mu.Unlock()
		http.Error(w, "unknown request id", http.StatusNotFound)
		return
	}
	i.finishLocked(inv, res, nil)
	i.mu.Unlock()
	w.WriteHeader(status)
}
