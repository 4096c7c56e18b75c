package page

import (
	"errors"
	"net/http"
	"strings"
)

// signInPage asks for the token.
type signInPage struct {
	frame
	// Next is where to go once signed in.
	Next    string
	Problem string
}

// SignIn answers a page request that lacks the token: 401 and the form
// that asks for it.
func (p *Page) SignIn(w http.ResponseWriter, r *http.Request) {
	p.signIn(w, http.StatusUnauthorized, localPath(r.URL.RequestURI()), "")
}

func (p *Page) signIn(w http.ResponseWriter, code int, next, problem string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="pipe serve"`)
	p.render(w, code, "signin", signInPage{
		frame: frame{Title: "Sign in", Heading: "Sign in"}, Next: next, Problem: problem,
	})
}

// maxSignIn caps the sign-in form's body.
const maxSignIn = 8 << 10

func (p *Page) handleSignIn(w http.ResponseWriter, r *http.Request) {
	if p.opts.Token == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	next := localPath(r.URL.Query().Get("next"))
	if r.Method != http.MethodPost {
		p.signIn(w, http.StatusOK, next, "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSignIn)
	if err := r.ParseForm(); err != nil {
		p.problem(w, http.StatusBadRequest, errors.New("the sign-in form did not arrive whole; try again"), crumb{"the sign-in form", "/login"})
		return
	}
	next = localPath(r.PostForm.Get("next"))
	c, err := p.opts.Token.Cookie(r, r.PostForm.Get("token"))
	if err != nil {
		p.signIn(w, http.StatusUnauthorized, next, err.Error())
		return
	}
	http.SetCookie(w, c)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// localPath returns s when it is a path of this server ("/runs?x=1"),
// else "/": a sign-in never sends anyone elsewhere.
func localPath(s string) string {
	if len(s) > 2048 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || strings.HasPrefix(s, "/login") {
		return "/"
	}
	return s
}
