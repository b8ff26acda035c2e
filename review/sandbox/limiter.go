package sandbox

import (
	"context"
	"fmt"
)

// Limiter bounds how many sandboxes run at once. It is separate from the
// review workers' count: a sandbox holds memory and CPU for minutes while
// a review mostly waits on the model.
type Limiter struct {
	slots chan struct{}
}

// NewLimiter allows n sandboxes at once; n below 1 means 1.
func NewLimiter(n int) *Limiter {
	return &Limiter{slots: make(chan struct{}, max(n, 1))}
}

// Acquire waits for a free slot or for ctx to end. The returned function
// frees the slot; call it exactly once.
func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("sandbox: wait for a free sandbox slot: %w", ctx.Err())
	}
}

// InUse is the number of slots taken now.
func (l *Limiter) InUse() int { return len(l.slots) }

// TryAcquire takes a free slot if there is one, without waiting: for work
// worth starting early only when it delays nobody.
func (l *Limiter) TryAcquire() (release func(), ok bool) {
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, true
	default:
		return nil, false
	}
}

// Run is Run under the limiter: it waits for a slot (the wait does not
// count against cfg.Timeout) and frees it when the run ends.
func (l *Limiter) Run(ctx context.Context, dir string, cfg Config) (Result, error) {
	release, err := l.Acquire(ctx)
	if err != nil {
		return Result{Status: StatusError, Command: cfg.Command, ExitCode: -1, Reason: err.Error()}, err
	}
	defer release()
	return Run(ctx, dir, cfg)
}
