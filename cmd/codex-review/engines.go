package main

import (
	"sync"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/model"
)

// engines builds review engines from one set of model settings, one per
// model name (a repository's .codex.yml may name its own model), and
// shares them between the reviews that use the same one.
type engines struct {
	cfg model.Config
	mu  sync.Mutex
	by  map[string]*review.Engine
}

func newEngines(cfg model.Config) *engines {
	return &engines{cfg: cfg, by: map[string]*review.Engine{}}
}

// get returns the engine for the named model, or for the configured one
// when name is empty.
func (e *engines) get(name string) (*review.Engine, error) {
	cfg := e.cfg
	if name != "" {
		cfg.Model = name
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if eng, ok := e.by[cfg.Model]; ok {
		return eng, nil
	}
	client, err := model.New(cfg)
	if err != nil {
		return nil, err
	}
	counter, err := budget.NewCounter(cfg.Model)
	if err != nil {
		return nil, err
	}
	eng := review.New(client, counter, cfg.Model)
	e.by[cfg.Model] = eng
	return eng, nil
}
