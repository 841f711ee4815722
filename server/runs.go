package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// storedRun is a finished run kept for replay and moment links.
type storedRun struct {
	ID       string
	Lesson   string
	Scenario string
	Query    url.Values // the parameters, canonical
	Events   map[scenarios.Runtime][]timeline.Event
	Status   map[scenarios.Runtime]string            // finished, failed, unavailable
	Errs     map[scenarios.Runtime]map[string]string // why a side failed, by language (see side.errs)
	Names    map[scenarios.Runtime]string
	Finished time.Time
	size     int
}

// runStore keeps the latest finished runs in memory, bounded both in count
// and in bytes; the oldest go first. It is safe for concurrent use.
type runStore struct {
	mu       sync.Mutex
	maxRuns  int
	maxBytes int
	bytes    int
	order    []string // oldest first
	byID     map[string]*storedRun
}

// Defaults for the run store.
const (
	defaultMaxRuns  = 500
	defaultMaxBytes = 64 << 20
	// eventBytes is what one stored event is counted as: the struct and its
	// strings, roughly.
	eventBytes = 160
)

func newRunStore(maxRuns, maxBytes int) *runStore {
	if maxRuns <= 0 {
		maxRuns = defaultMaxRuns
	}
	if maxBytes <= 0 {
		maxBytes = defaultMaxBytes
	}
	return &runStore{maxRuns: maxRuns, maxBytes: maxBytes, byID: map[string]*storedRun{}}
}

// sizeOf estimates a run's memory.
func sizeOf(r *storedRun) int {
	n := 512
	for _, evs := range r.Events {
		for _, e := range evs {
			n += eventBytes + len(e.Lane) + len(e.Label)
		}
	}
	for _, byLang := range r.Errs {
		for _, e := range byLang {
			n += len(e)
		}
	}
	return n
}

// put stores r under a fresh unguessable id and returns the id. A run larger
// than the whole store is not kept (its id is returned, and Get misses).
func (s *runStore) put(r *storedRun) string {
	var b [9]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	r.ID = hex.EncodeToString(b[:])
	r.size = sizeOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.size > s.maxBytes {
		return r.ID
	}
	for len(s.order) > 0 && (len(s.order) >= s.maxRuns || s.bytes+r.size > s.maxBytes) {
		old := s.order[0]
		s.order = s.order[1:]
		s.bytes -= s.byID[old].size
		delete(s.byID, old)
	}
	s.order = append(s.order, r.ID)
	s.byID[r.ID] = r
	s.bytes += r.size
	return r.ID
}

// get returns the run with id, or nil if it was never stored or has been
// evicted.
func (s *runStore) get(id string) *storedRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}

// stats reports how many runs and bytes are held.
func (s *runStore) stats() (runs, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.order), s.bytes
}
