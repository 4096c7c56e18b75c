// Package rss reads and resets the peak resident memory of this process,
// for the benchmark commands of steps/shared/logreg, steps/search and
// steps/load, which report memory against the feature matrix. It works on
// Linux (/proc/self); elsewhere Peak returns 0 and Reset does nothing.
package rss
