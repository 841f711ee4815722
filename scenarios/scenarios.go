// Package scenarios is the set of runnable scenarios asyncplay ships and the
// runner that starts a scenario's Go and Python sides at once. Each scenario
// lives in its own package (scenarios/semaphore, ...); the types they share
// are in scenarios/scenario.
package scenarios

import (
	"fmt"

	"github.com/asyncplay/asyncplay/scenarios/ascompleted"
	"github.com/asyncplay/asyncplay/scenarios/blocking"
	"github.com/asyncplay/asyncplay/scenarios/cancellation"
	"github.com/asyncplay/asyncplay/scenarios/coroutines"
	"github.com/asyncplay/asyncplay/scenarios/cpubound"
	"github.com/asyncplay/asyncplay/scenarios/errorsgather"
	"github.com/asyncplay/asyncplay/scenarios/event"
	"github.com/asyncplay/asyncplay/scenarios/gather"
	"github.com/asyncplay/asyncplay/scenarios/httpclient"
	"github.com/asyncplay/asyncplay/scenarios/limitpatterns"
	"github.com/asyncplay/asyncplay/scenarios/lock"
	"github.com/asyncplay/asyncplay/scenarios/pipeline"
	"github.com/asyncplay/asyncplay/scenarios/queue"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/semaphore"
	"github.com/asyncplay/asyncplay/scenarios/taskgroup"
	"github.com/asyncplay/asyncplay/scenarios/tasks"
	"github.com/asyncplay/asyncplay/scenarios/timeouts"
)

// all lists every scenario asyncplay ships.
func all() []*scenario.Scenario {
	return []*scenario.Scenario{
		&coroutines.Scenario,
		&tasks.Scenario,
		&gather.Scenario,
		&ascompleted.Scenario,
		&taskgroup.Scenario,
		&errorsgather.Scenario,
		&timeouts.Scenario,
		&cancellation.Scenario,
		&semaphore.Scenario,
		&limitpatterns.FirstCompleted,
		&limitpatterns.Pool,
		&limitpatterns.Gather,
		&limitpatterns.AcquireFirst,
		&lock.Unsafe,
		&lock.Scenario,
		&event.Scenario,
		&queue.Scenario,
		&blocking.Scenario,
		&blocking.ToThread,
		&cpubound.Scenario,
		&pipeline.Scenario,
		&httpclient.Scenario,
	}
}

// Registry is the set of scenarios, by id.
type Registry struct {
	byID map[string]*scenario.Scenario
}

// New builds a registry and validates every scenario in it.
func New(list ...*scenario.Scenario) (*Registry, error) {
	r := &Registry{byID: map[string]*scenario.Scenario{}}
	for _, s := range list {
		if r.byID[s.ID] != nil {
			return nil, fmt.Errorf("scenario %s: defined twice", s.ID)
		}
		if err := s.Validate(); err != nil {
			return nil, err
		}
		r.byID[s.ID] = s
	}
	return r, nil
}

// Default is the registry of every scenario asyncplay ships.
func Default() *Registry {
	r, err := New(all()...)
	if err != nil {
		panic(err) // a bug in a scenario package, caught by this package's tests
	}
	return r
}

// Get returns the scenario with id, or nil.
func (r *Registry) Get(id string) *scenario.Scenario { return r.byID[id] }

// Has reports whether id is registered.
func (r *Registry) Has(id string) bool { return r.byID[id] != nil }

// All returns every scenario, in no particular order.
func (r *Registry) All() []*scenario.Scenario {
	out := make([]*scenario.Scenario, 0, len(r.byID))
	for _, s := range r.byID {
		out = append(out, s)
	}
	return out
}
