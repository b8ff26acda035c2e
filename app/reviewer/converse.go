package reviewer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/command"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/pull"
	"github.com/codex-review/codex-review/app/repoconfig"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/prompts"
	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/merge"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/render"
)

// ThreadSource reads the review threads of a pull request.
type ThreadSource interface {
	// ReviewComments lists every review comment, replies included,
	// oldest first.
	ReviewComments(ctx context.Context) ([]pull.ReviewComment, error)
	// Reactors lists who reacted to a review comment with content.
	Reactors(ctx context.Context, commentID int64, content string) ([]string, error)
	// IsBot reports whether a login is the app's own.
	IsBot(login string) bool
}

// ThreadPublisher writes in review threads.
type ThreadPublisher interface {
	// ReactToReviewComment adds a reaction to a review comment.
	ReactToReviewComment(ctx context.Context, commentID int64, content string) error
	// Reply answers in the thread started by threadID.
	Reply(ctx context.Context, threadID int64, body string) error
}

// Memory is what the worker remembers between jobs (store.Memory).
type Memory interface {
	Learnings(ctx context.Context, repo string) ([]store.Learning, error)
	AddLearning(ctx context.Context, l *store.Learning) (created bool, err error)
	Dismissals(ctx context.Context, repo string, pr int) ([]store.Dismissal, error)
	Dismiss(ctx context.Context, d store.Dismissal) error
	RecordFeedback(ctx context.Context, repo string, pr int, fs []store.CommentFeedback) ([]store.CommentFeedback, error)
}

// Limits of a conversation.
const (
	// maxLearningTokens is the share of every review's prompt the
	// repository's learnings may take; the newest come first, and those
	// that do not fit are left out of the prompt (not deleted).
	maxLearningTokens = 2000
	// codeContext is how many lines around a thread's lines the model sees.
	codeContext = 30
	// maxThreadComments bounds the comments of a thread sent to the model:
	// the first (the finding) and the latest ones.
	maxThreadComments = 20
	// maxThreadCommentRunes bounds each of them.
	maxThreadCommentRunes = 4000
)

// react puts a reaction on the job's comment: an issue comment for
// conversation jobs, a review comment for thread jobs.
func (t *task) react(ctx context.Context, content string) error {
	if t.j.Source == job.Thread {
		return t.pr.ReactToReviewComment(ctx, t.j.CommentID, content)
	}
	return t.pr.React(ctx, t.j.CommentID, content)
}

// say answers where the job was asked: in its review thread, or in the
// pull request's conversation.
func (t *task) say(ctx context.Context, body string) error {
	if t.j.Source == job.Thread {
		return t.pr.Reply(ctx, t.j.ThreadID, body)
	}
	return t.pr.Comment(ctx, body)
}

// failConversation tells the person who asked why a conversation job
// could not be done, where they asked.
func (w *Worker) failConversation(ctx context.Context, j job.Job, cause error) error {
	if !j.Post {
		return nil
	}
	pr, err := w.Pulls.Open(ctx, j)
	if err != nil {
		return err
	}
	t := &task{w: w, j: j, pr: pr}
	f := Explain(cause, "ask again")
	what := map[job.Action]string{
		job.Answer: "answer", job.Suggest: "answer", job.Remember: "remember that",
		job.Learnings: "list what I remember", job.Dismiss: "dismiss the finding",
	}[j.Action]
	return t.say(ctx, "**Codex review could not "+what+".**\n\n"+render.EscapeBlock(f.What)+"\n\n"+f.Todo)
}

// thread is a review thread as the worker reads it.
type thread struct {
	root     pull.ReviewComment
	comments []pull.ReviewComment // root first, oldest first
	// posted is the finding the app's own first comment carries, if any.
	posted   render.Posted
	isApp    bool
	answered bool // the app already replied to the job's comment
}

// readThread finds the job's thread among the pull request's review
// comments. ok is false when the thread no longer exists.
func (t *task) readThread(ctx context.Context) (thread, []pull.ReviewComment, bool, error) {
	all, err := t.pr.ReviewComments(ctx)
	if err != nil {
		return thread{}, nil, false, classify(err)
	}
	var th thread
	found := false
	for _, c := range all {
		switch {
		case c.ID == t.j.ThreadID:
			th.root, found = c, true
			th.comments = append([]pull.ReviewComment{c}, th.comments...)
		case c.InReplyTo == t.j.ThreadID:
			if t.pr.IsBot(c.User) && slices.Contains(render.Answers(c.Body), t.j.CommentID) {
				th.answered = true
			}
			// The thread so far: up to the comment being answered.
			if c.ID <= t.j.CommentID {
				th.comments = append(th.comments, c)
			}
		}
	}
	if !found {
		return thread{}, all, false, nil
	}
	if t.pr.IsBot(th.root.User) {
		th.posted, th.isApp = render.ParsePosted(th.root.Body)
	}
	return th, all, true, nil
}

// answer replies in a review thread to a question, with a suggestion when
// one was asked for and fits the thread's lines.
func (t *task) answer(ctx context.Context) error {
	log := zerolog.Ctx(ctx).With().Int64("thread", t.j.ThreadID).Int64("comment", t.j.CommentID).Logger()
	th, _, ok, err := t.readThread(ctx)
	if err != nil {
		return err
	}
	if !ok {
		log.Info().Msg("not answering: the thread is gone")
		return nil
	}
	if th.answered {
		log.Info().Msg("question already answered")
		return nil
	}
	if !t.reacted() {
		if err := t.react(ctx, "eyes"); err != nil {
			return classify(err)
		}
	}
	pr, err := t.pr.PullRequest(ctx)
	if err != nil {
		return classify(err)
	}
	// A broken .codex.yml stops reviews, which say why; a question can
	// still be answered with the defaults (and AGENTS.md's guidelines),
	// which the rules hold then.
	rules, err := t.rules(ctx, pr)
	if ce := (*repoconfig.Error)(nil); err != nil && !errors.As(err, &ce) {
		return err
	}
	cfg := rules.Config
	_, client, _, err := t.w.model(cfg.Model.Name)
	if err != nil {
		return err
	}

	root := th.root
	start, end, ref := root.StartLine, root.Line, pr.HeadSHA
	if root.Outdated() {
		start, end = root.OriginalStartLine, root.OriginalLine
	}
	if start == 0 {
		start = end
	}
	if root.Side == "LEFT" {
		ref = pr.BaseSHA // deleted lines live in the base
	}
	in := prompts.ThreadInput{
		Repository: t.j.Repo, Title: pr.Title, Path: root.Path, Lines: lineLabel(start, end), Outdated: root.Outdated(),
		DiffHunk: root.DiffHunk, Question: t.j.Instructions, Suggest: t.j.Action == job.Suggest,
		Instructions: joinNonEmpty(cfg.Review.Instructions, rules.GuidelinesInstructions(), t.rememberedGuidelines(ctx, cfg.Model.Name)),
	}
	if code, err := t.pr.File(ctx, root.Path, ref); err != nil {
		log.Warn().Err(err).Str("path", root.Path).Msg("answering without the file's code")
	} else {
		in.Code = numbered(string(code), start, end, codeContext)
	}
	if th.isApp {
		in.Finding = root.Body
	}
	in.Comments = threadComments(t.pr, th.comments)
	request, err := prompts.Thread(in)
	if err != nil {
		return permanent(err)
	}
	resp, err := client.Review(ctx, model.Request{Instructions: prompts.ThreadSystem(), Input: []string{request}})
	if resp != nil && t.w.Observe != nil {
		t.w.Observe(t.j.Repo, resp.Usage)
	}
	if err != nil {
		return classify(err)
	}

	reply := render.ThreadReply{Answers: t.j.CommentID, Text: resp.Output.OverallExplanation}
	if t.j.Action == job.Suggest {
		reply.Suggestion, reply.Note = t.suggestion(ctx, root, start, end, resp.Output.Findings)
	}
	if err := t.pr.Reply(ctx, t.j.ThreadID, reply.Reply()); err != nil {
		return classify(err)
	}
	log.Info().Bool("suggestion", reply.Suggestion != "").Msg("answered in the thread")
	return nil
}

// suggestion picks the model's fix for the thread's lines and checks it
// as review suggestions are checked: it must replace exactly those lines,
// on the new side of the pull request's current diff. It returns the
// code, or a note saying why there is none.
func (t *task) suggestion(ctx context.Context, root pull.ReviewComment, start, end int, fs []finding.Finding) (string, string) {
	if len(fs) == 0 || strings.TrimSpace(fs[0].Suggestion) == "" {
		return "", "No committable suggestion: the fix is not a mechanical change of these lines."
	}
	if root.Outdated() || root.Side == "LEFT" {
		return "", "No committable suggestion: this thread's lines are not in the pull request's current version."
	}
	if root.StartLine != 0 && root.StartSide != "" && root.StartSide != root.Side {
		// start_line counts the base's lines: the head lines the range
		// covers, which a suggestion replaces, are not start..end.
		return "", "No committable suggestion: this thread's lines start on the base side of the diff."
	}
	files, err := t.pr.Files(ctx)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("could not read the diff to check the suggestion")
		return "", "No committable suggestion: the pull request's diff could not be read to check it."
	}
	f := fs[0]
	// The fix is for the thread's lines, whatever lines the model named.
	f.CodeLocation = finding.CodeLocation{AbsoluteFilePath: root.Path, LineRange: finding.LineRange{Start: start, End: end}}
	f.Category = string(finding.Bugs)
	if strings.TrimSpace(f.Title) == "" {
		f.Title = "Suggested fix"
	}
	nf, err := merge.NormalizeIn(f, finding.Bugs, "", merge.NewPaths([]string{root.Path}))
	if err != nil {
		return "", "No committable suggestion: the model's fix was malformed."
	}
	if !render.Committable(nf.Suggestion) {
		return "", "No committable suggestion: the model's fix holds control or invisible characters, which are never offered for one-click commit."
	}
	p, keep := anchor.Place(files.Diff, nf, anchor.Options{})
	if !keep || !p.Inline || p.Path != root.Path || p.Line != end || (p.StartLine != 0 && p.StartLine != start) {
		return "", "No committable suggestion: the model's fix does not fit these lines exactly."
	}
	return nf.Suggestion, "Suggestion for " + lineLabel(start, end) + " of " + root.Path + "; check it before committing."
}

// threadComments turns the thread into the prompt's transcript: the
// first comment and the latest ones, each cut to a readable size.
func threadComments(src ThreadSource, cs []pull.ReviewComment) []prompts.ThreadComment {
	if len(cs) > maxThreadComments {
		cs = append(cs[:1:1], cs[len(cs)-maxThreadComments+1:]...)
	}
	out := make([]prompts.ThreadComment, 0, len(cs))
	for _, c := range cs {
		author := c.User
		if src.IsBot(c.User) {
			author = "you (codex-review)"
		}
		body := c.Body
		if r := []rune(body); len(r) > maxThreadCommentRunes {
			body = string(r[:maxThreadCommentRunes]) + " …"
		}
		out = append(out, prompts.ThreadComment{Author: author, Body: body})
	}
	return out
}

// numbered returns the lines of content within around lines of start..end,
// each prefixed with its number.
func numbered(content string, start, end, around int) string {
	lines := strings.Split(strings.ReplaceAll(content, "\r\n", "\n"), "\n")
	from, to := max(1, start-around), min(len(lines), end+around)
	var b strings.Builder
	for n := from; n <= to; n++ {
		fmt.Fprintf(&b, "%5d  %s\n", n, lines[n-1])
	}
	return b.String()
}

func lineLabel(start, end int) string {
	if start == end || start == 0 {
		return fmt.Sprintf("line %d", end)
	}
	return fmt.Sprintf("lines %d-%d", start, end)
}

// rememberedGuidelines are the repository's learnings as instructions,
// newest first, as many as fit in maxLearningTokens. Reading them is best
// effort: a review without them is better than none.
func (t *task) rememberedGuidelines(ctx context.Context, modelName string) string {
	if t.w.Memory == nil {
		return ""
	}
	ls, err := t.w.Memory.Learnings(ctx, t.j.Repo)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("could not read the repository's learnings; reviewing without them")
		return ""
	}
	if len(ls) == 0 {
		return ""
	}
	var counter budget.Counter
	if _, _, c, err := t.w.model(modelName); err == nil {
		counter = c
	}
	var b strings.Builder
	b.WriteString("Guidelines the maintainers asked you to remember for this repository, newest first:")
	used, left := 0, 0
	for _, l := range ls {
		line := "\n- " + strings.Join(strings.Fields(l.Text), " ")
		n := len(line) / 4
		if counter != nil {
			n = counter.Count(line)
		}
		if used+n > maxLearningTokens {
			left++
			continue
		}
		used += n
		b.WriteString(line)
	}
	if left == len(ls) {
		return ""
	}
	if left > 0 {
		zerolog.Ctx(ctx).Info().Int("left_out", left).Msg("learnings over the prompt budget left out")
	}
	return b.String()
}

// remember stores a learning, with 👍 as the receipt.
func (t *task) remember(ctx context.Context) error {
	if t.w.Memory == nil {
		return classify(t.say(ctx, "I cannot remember things on this server: it keeps no database of learnings."))
	}
	l := store.Learning{Repo: t.j.Repo, Text: t.j.Text, Author: t.j.Requester, PRNumber: t.j.PR, CommentID: t.j.CommentID, SourceURL: t.j.CommentURL}
	_, err := t.w.Memory.AddLearning(ctx, &l)
	if errors.Is(err, store.ErrTooManyLearnings) {
		return classify(t.say(ctx, fmt.Sprintf("I already remember %d things for this repository, the most I keep. "+
			"Delete some through the server's REST API (`DELETE /v1/codex/learnings/{id}`; `%s learnings` lists them), then ask again.",
			store.MaxLearningsPerRepo, t.w.mention())))
	}
	if err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Str("learning", l.ID).Str("user", t.j.Requester).Msg("learning stored")
	return classify(t.react(ctx, "+1"))
}

// learnings lists the repository's learnings where they were asked for.
func (t *task) learnings(ctx context.Context) error {
	if t.w.Memory == nil {
		return classify(t.say(ctx, "I cannot list learnings on this server: it keeps no database of learnings."))
	}
	ls, err := t.w.Memory.Learnings(ctx, t.j.Repo)
	if err != nil {
		return err
	}
	items := make([]render.Learning, len(ls))
	for i, l := range ls {
		items[i] = render.Learning{ID: l.ID, Text: l.Text, Author: l.Author, Created: l.CreatedAt}
	}
	return classify(t.say(ctx, render.Learnings(t.j.Repo, t.w.mention(), items)))
}

// mention is the trigger replies name commands with.
func (w *Worker) mention() string {
	if w.Trigger == "" {
		return command.DefaultTrigger
	}
	if !strings.HasPrefix(w.Trigger, "@") {
		return "@" + w.Trigger
	}
	return w.Trigger
}

// dismiss records "@codex ignore" on the app's finding in the thread,
// with 👍 as the receipt.
func (t *task) dismiss(ctx context.Context) error {
	if t.w.Memory == nil {
		return classify(t.say(ctx, "I cannot dismiss findings on this server: it keeps no database of dismissals."))
	}
	th, _, ok, err := t.readThread(ctx)
	if err != nil {
		return err
	}
	if !ok || !th.isApp {
		return classify(t.say(ctx, "`ignore` dismisses one of my findings: reply with it in the thread of my comment. "+
			"This thread was not started by one of my findings, so there is nothing to dismiss."))
	}
	d := store.Dismissal{Repo: t.j.Repo, PR: t.j.PR, CommentID: th.root.ID, Reason: store.DismissIgnored, Actor: t.j.Requester, Fingerprint: th.posted.Fingerprint}
	if err := t.w.Memory.Dismiss(ctx, d); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Int64("comment", th.root.ID).Str("user", t.j.Requester).Msg("finding dismissed with ignore")
	return classify(t.react(ctx, "+1"))
}
