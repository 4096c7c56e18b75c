// Package examples holds no code: its tests run the examples in this
// folder the way a user would, with the real pipe binary and the real step
// kinds, so that what the README and the CI workflow promise stays true.
//
//	quickstart/   a small pipeline over generated data (make demo)
//	ci/pipe.yml   a GitHub Actions workflow that plans pull requests and
//	              applies the reviewed plan on main
//
// The production pipeline the Kubernetes manifests ship is
// pipelines/privacy-intent.pipe.hcl; its tests are here too.
package examples
