// Package textpages gives back the resident pages of pipe's own
// executable that a long step no longer needs.
//
// pipe's binary is large (it links the clients of Kubernetes, GCS and S3
// beside Arrow, SQLite and the plotting code), and starting it touches a
// little of most of it: every package's initialization runs. The kernel
// maps an executable's pages from the page cache in whole folios (on
// ext4 under Linux 6.18, up to 2 MiB at a time), so by the time a step
// starts, tens of megabytes of code and read-only tables that ran once
// are counted in the process's resident memory, beside the dataset the
// step maps. Release drops the process's mappings of those pages: they
// are clean and read-only, so nothing is lost; they stay in the page
// cache, and the few the step still runs fault back in from there without
// any read from disk (minor faults).
//
// It owns only that; the dataset's own pages are the store's
// (engine/store's Mapping), and when a step starts is engine/steprun's.
package textpages
