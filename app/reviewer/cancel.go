package reviewer

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// cancelPoll is how often a running job asks whether its review is still
// wanted. Cancelling a running review must stop it whatever the queue's
// database can signal (SQLite has no notifications), and a read of one
// row a second per running API review costs nothing.
const cancelPoll = time.Second

// Checker is the optional interface of a Reporter whose audience can
// withdraw the job while it runs (the REST API's cancel): Wanted returns
// ErrNotWanted once it has. reporters.wanted asks it before posting; a
// running review also asks it every cancelPoll (watchCancel).
type Checker interface {
	Wanted(ctx context.Context) error
}

// cancellable reports whether some reporter can withdraw the job.
func (rs reporters) cancellable() bool {
	for _, r := range rs {
		if _, ok := r.(Checker); ok {
			return true
		}
	}
	return false
}

// watchCancel returns a context that is cancelled, with cause
// ErrCancelled, when a reporter withdraws the job while it runs; stop ends
// the watch and waits for it.
func (t *task) watchCancel(ctx context.Context) (context.Context, func()) {
	if !t.reps.cancellable() {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(cancelPoll)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				err := t.reps.wanted(ctx)
				if errors.Is(err, ErrNotWanted) {
					zerolog.Ctx(ctx).Info().Str("review", t.j.ReviewID).Msg("review cancelled while it ran; stopping it")
					cancel(ErrCancelled)
					return
				}
			}
		}
	}()
	return ctx, func() {
		close(done)
		wg.Wait()
		cancel(nil)
	}
}

// cancelled reports whether the job ended because it was withdrawn.
func cancelled(ctx context.Context, err error) bool {
	return errors.Is(err, ErrNotWanted) || errors.Is(context.Cause(ctx), ErrCancelled)
}
