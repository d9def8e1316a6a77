package controller

import "sync"

// queue hands out keys to workers, each key to one worker at a time. A key
// added while it is being processed is processed again afterwards; a key
// added while already waiting is not duplicated.
type queue struct {
	mu         sync.Mutex
	cond       *sync.Cond
	order      []string
	waiting    map[string]bool
	processing map[string]bool
	dirty      map[string]bool // added again while processing
	closed     bool
}

func newQueue() *queue {
	q := &queue{waiting: map[string]bool{}, processing: map[string]bool{}, dirty: map[string]bool{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *queue) add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed || q.waiting[key]:
	case q.processing[key]:
		q.dirty[key] = true
	default:
		q.waiting[key] = true
		q.order = append(q.order, key)
		q.cond.Signal()
	}
}

// get blocks until a key is ready or the queue is closed (ok false).
func (q *queue) get() (key string, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.order) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return "", false
	}
	key, q.order = q.order[0], q.order[1:]
	delete(q.waiting, key)
	q.processing[key] = true
	return key, true
}

// done marks key processed, queuing it again if it was added meanwhile.
func (q *queue) done(key string) {
	q.mu.Lock()
	delete(q.processing, key)
	again := q.dirty[key]
	delete(q.dirty, key)
	q.mu.Unlock()
	if again {
		q.add(key)
	}
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}
