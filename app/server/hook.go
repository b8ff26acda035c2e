package server

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/google/go-github/v66/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"
)

// hookHandler receives GitHub's webhook deliveries: it reads the body
// once, checks its signature, and hands the payload to the handler of its
// event. It answers as go-githubapp's event dispatcher does (which it
// replaces): 200 once a handler took the delivery, and for a ping; 202 for
// an event no handler takes; what onError decides for a bad signature
// (githubapp.ValidationError) or a handler's error.
//
// It exists for speed. The dispatcher reads the body through io.ReadAll,
// and the size limit in front of it had to read it once before, so each
// delivery was read twice into buffers grown by doubling: at full intake
// those two reads were four fifths of all the bytes the server allocated,
// and the garbage collector's work with them. Here the body is read once,
// into a buffer of the length the request announces.
type hookHandler struct {
	handlers map[string]githubapp.EventHandler
	secret   []byte
	onError  func(http.ResponseWriter, *http.Request, error)
}

func newHookHandler(handlers []githubapp.EventHandler, secret string, onError func(http.ResponseWriter, *http.Request, error)) *hookHandler {
	h := &hookHandler{handlers: map[string]githubapp.EventHandler{}, secret: []byte(secret), onError: onError}
	for _, handler := range handlers {
		for _, event := range handler.Handles() {
			h.handlers[event] = handler
		}
	}
	return h
}

func (h *hookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	event, delivery := r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery")
	invalid := func(err error) {
		h.onError(w, r, githubapp.ValidationError{EventType: event, DeliveryID: delivery, Cause: err})
	}
	if event == "" {
		invalid(errors.New("missing event type"))
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	// The signature covers the body as sent, whatever its format.
	signature := r.Header.Get(github.SHA256SignatureHeader)
	if signature == "" {
		signature = r.Header.Get(github.SHA1SignatureHeader)
	}
	if len(h.secret) > 0 || signature != "" {
		if err := github.ValidateSignature(signature, body, h.secret); err != nil {
			invalid(err)
			return
		}
	}
	payload, err := webhookPayload(r.Header.Get("Content-Type"), body)
	if err != nil {
		invalid(err)
		return
	}

	log := zerolog.Ctx(r.Context()).With().
		Str(githubapp.LogKeyEventType, event).
		Str(githubapp.LogKeyDeliveryID, delivery).
		Logger()
	ctx := log.WithContext(r.Context())
	r = r.WithContext(ctx)
	log.Info().Msg("Received webhook event")

	handler, handled := h.handlers[event]
	if handled {
		if err := handler.Handle(ctx, event, delivery, payload); err != nil {
			h.onError(w, r, err)
			return
		}
	}
	if !handled && event != "ping" {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// webhookPayload is the JSON payload of a delivery: the body itself, or
// its "payload" field when the webhook is set to send a form.
func webhookPayload(contentType string, body []byte) ([]byte, error) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, err
	}
	switch mediaType {
	case "application/json":
		return body, nil
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		return []byte(form.Get("payload")), nil
	}
	return nil, errors.New("webhook request has unsupported Content-Type " + mediaType)
}

// maxPresized is the largest announced length readBody allocates before
// the bytes arrive. The body is read before its signature is checked, so
// the announced length is anyone's word: up to this size (far above a
// usual delivery) the buffer is allocated at once; beyond it, it grows
// with what actually arrives.
const maxPresized = 1 << 20

// readBody reads the request body, at most MaxWebhookBody bytes, into a
// buffer of the announced length when there is one. A larger body gets
// 413, a broken one 400; ok is false when it answered.
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	if r.ContentLength > MaxWebhookBody {
		http.Error(w, "webhook body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	limited := http.MaxBytesReader(w, r.Body, MaxWebhookBody)
	var err error
	if r.ContentLength >= 0 && r.ContentLength <= maxPresized {
		// net/http ends the body at its Content-Length.
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(limited, body)
	} else {
		body, err = io.ReadAll(limited)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "webhook body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "could not read the body", http.StatusBadRequest)
		return nil, false
	}
	return body, true
}
