package fault

import (
	"cmp"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Error is a memory fault on mapped bytes: the file under them shrank
// while they were read.
type Error struct {
	// Address is the address that faulted.
	Address uintptr
	// Name names the mapping that holds Address (e.g. "dataset
	// sha256:..."), or is "" when none registered holds it.
	Name string
	// Where is the function that read the address, e.g.
	// github.com/pipe-ml/pipe/steps/shared/logreg.dotAxpyAVX2.
	Where string
}

func (e *Error) Error() string {
	what := "a memory-mapped file"
	if e.Name != "" {
		what = e.Name
	}
	return fmt.Sprintf("fault: %s changed size while it was read (another process truncated or rewrote its file in place; address %#x in %s): run again, and keep other programs from writing the store's files", what, e.Address, e.Where)
}

// Addr is the address that faulted, as the runtime's own fault errors
// tell it.
func (e *Error) Addr() uintptr { return e.Address }

// Guard makes a memory fault in the calling goroutine a panic instead of
// a crash, and returns a function to defer that recovers such a panic
// into *errp as an *Error (and restores the goroutine's setting). Any
// other panic passes through:
//
//	func work(...) (err error) {
//		defer fault.Guard(&err)()
//		...
//	}
func Guard(errp *error) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		debug.SetPanicOnFault(old)
		if p := recover(); p != nil {
			e := From(p)
			if e == nil {
				panic(p)
			}
			*errp = e
		}
	}
}

// From returns the *Error a recovered panic value stands for, or nil when
// it is no memory fault.
func From(p any) *Error {
	switch v := p.(type) {
	case *Error:
		return v
	case interface{ Addr() uintptr }:
		if _, ok := p.(error); !ok {
			return nil
		}
		return &Error{Address: v.Addr(), Name: lookup(v.Addr()), Where: faulted()}
	}
	return nil
}

// faulted names the function that faulted: on the stack of a goroutine
// that recovers a fault, the frame below runtime.sigpanic.
func faulted() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	for {
		f, more := frames.Next()
		if f.Function == "runtime.sigpanic" {
			if g, _ := frames.Next(); g.Function != "" {
				return g.Function
			}
		}
		if !more {
			return "?"
		}
	}
}

// Go runs f(0), ..., f(n-1) on up to workers goroutines, each guarded,
// and waits for them. A fault in any of them is raised again, as a panic
// of *Error, in the calling goroutine, for its Guard to recover; so the
// caller needs no error to return.
func Go(workers, n int, f func(worker, i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			f(0, i)
		}
		return
	}
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		mu    sync.Mutex
		first error
	)
	for w := range workers {
		wg.Go(func() {
			var err error
			defer func() {
				if err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					next.Store(int64(n)) // the others stop at their next item
				}
			}()
			defer Guard(&err)()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(w, i)
			}
		})
	}
	wg.Wait()
	if first != nil {
		panic(first)
	}
}

// span is a registered mapping.
type span struct {
	lo, hi uintptr
	name   string
}

var (
	mu    sync.Mutex
	spans []span // oldest first; no two overlap
)

// maxSpans bounds the registry; past it the oldest registrations go.
const maxSpans = 1024

// Track registers b, mapped bytes, under name, so that a fault on them is
// reported with it. There is nothing to undo: a registration that b's
// addresses are mapped again later replaces it, since one address is
// mapped once at a time.
func Track(b []byte, name string) {
	if len(b) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	s := span{lo, lo + uintptr(len(b)), name}
	mu.Lock()
	defer mu.Unlock()
	kept := spans[:0]
	for _, t := range spans {
		if t.hi <= s.lo || t.lo >= s.hi {
			kept = append(kept, t)
		}
	}
	if len(kept) >= maxSpans {
		kept = kept[1:]
	}
	spans = append(kept, s)
}

// lookup names the registered mapping that holds addr.
func lookup(addr uintptr) string {
	mu.Lock()
	defer mu.Unlock()
	for _, s := range spans {
		if s.lo <= addr && addr < s.hi {
			return s.name
		}
	}
	return ""
}
