package applies

// Follow returns a channel that receives a copy of the apply in progress
// after each of its changes (a step started, made progress or finished),
// and nil when it ends; and a function that stops following. A follower
// that falls behind gets the latest state, not every one: the channel
// holds one value. engine/serve/api streams it to the run's page
// (server-sent events).
func (a *Applier) Follow() (<-chan *Progress, func()) {
	ch := make(chan *Progress, 1)
	a.mu.Lock()
	if a.followers == nil {
		a.followers = map[chan *Progress]bool{}
	}
	a.followers[ch] = true
	a.mu.Unlock()
	return ch, func() {
		a.mu.Lock()
		delete(a.followers, ch)
		a.mu.Unlock()
	}
}

// tell sends every follower the apply in progress, replacing a value it
// has not read yet. The caller holds a.mu.
func (a *Applier) tell() {
	for ch := range a.followers {
		p := a.current.clone()
		select {
		case ch <- p:
			continue
		default:
		}
		select {
		case <-ch:
		default:
		}
		ch <- p
	}
}
