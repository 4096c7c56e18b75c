package views

import "fmt"

// ForceUnlock prints what pipe force-unlock removed.
type ForceUnlock struct{ *View }

// NewForceUnlock returns pipe force-unlock's view.
func NewForceUnlock(v *View) *ForceUnlock { return &ForceUnlock{v} }

// Removed says whose lock was removed: holder describes it (its ID,
// operation, host and process).
func (v *ForceUnlock) Removed(holder fmt.Stringer) {
	fmt.Fprintf(v.Stdout, "Removed the lock held by %s.\n", holder)
}
