package views

import "fmt"

// Serve prints what pipe serve says on stdout: where it listens, and that
// it stopped. Its log goes to stderr through the logger, not here.
type Serve struct{ *View }

// NewServe returns pipe serve's view.
func NewServe(v *View) *Serve { return &Serve{v} }

// Listening says where the server can be reached.
func (v *Serve) Listening(url string) {
	fmt.Fprintf(v.Stdout, "Serving on http://%s (status page /, metrics /metrics). Stop with Ctrl-C or SIGTERM.\n", url)
}

// Stopped says the server stopped.
func (v *Serve) Stopped() { fmt.Fprintln(v.Stdout, "Stopped.") }
