package reviewer

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/review/sandbox"
)

// testHeadAndBase runs the test command on the head's tree in headDir and,
// when it fails there, the same command with the same limits on the base
// commit, so that the review can tell the failures this change causes from
// those it found (Result.Base). When the limiter has a second slot free
// as the head's run starts, the base runs at the same time and its result
// is dropped if head passes; otherwise it runs after head, and only if
// head failed. The slots come from the server's limit (CODEX_SANDBOXES).
func (t *task) testHeadAndBase(ctx context.Context, headDir string, sc sandbox.Config, baseSHA string) (sandbox.Result, error) {
	lim := t.w.Sandbox
	release, err := lim.Acquire(ctx)
	if err != nil {
		return sandbox.Result{Status: sandbox.StatusError, Command: sc.Command, ExitCode: -1, Reason: err.Error()}, err
	}
	// The early base run stops when head passes, or when this returns.
	bctx, cancelBase := context.WithCancel(ctx)
	defer cancelBase()
	var early chan sandbox.Result
	if baseSHA != "" {
		if releaseBase, ok := lim.TryAcquire(); ok {
			early = make(chan sandbox.Result, 1)
			go func() {
				defer releaseBase()
				early <- t.runAt(bctx, baseSHA, sc)
			}()
		}
	}
	head, err := sandbox.Run(ctx, headDir, sc)
	release()
	if !head.Failed() || baseSHA == "" || ctx.Err() != nil {
		cancelBase()
		if early != nil {
			<-early
		}
		return head, err
	}
	var base sandbox.Result
	if early != nil {
		base = <-early
	} else {
		releaseBase, aerr := lim.Acquire(ctx)
		if aerr != nil {
			return head, err
		}
		base = t.runAt(ctx, baseSHA, sc)
		releaseBase()
	}
	if ctx.Err() != nil {
		return head, ctx.Err()
	}
	head.Base = sandbox.CompareBase(head, base, baseSHA)
	zerolog.Ctx(ctx).Info().Str("base", baseSHA).Str("status", string(base.Status)).Str("blame", string(head.Base.Blame)).
		Strs("broken", head.Base.Broken).Bool("parallel", early != nil).Msg("tests ran on the base commit")
	return head, err
}

// runAt fetches the repository at sha and runs the command on it; the
// caller holds a sandbox slot.
func (t *task) runAt(ctx context.Context, sha string, sc sandbox.Config) sandbox.Result {
	tree, err := t.pr.Tarball(ctx, sha)
	if err != nil {
		return sandbox.Result{Status: sandbox.StatusError, Command: sc.Command, ExitCode: -1, Reason: "could not fetch the base commit: " + err.Error()}
	}
	defer tree.Remove()
	res, err := sandbox.Run(ctx, tree.Dir, sc)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("sha", sha).Msg("tests on the base commit")
	}
	return res
}
