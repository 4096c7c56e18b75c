// Package models is the model registry: the versions of each model, their
// metrics, and the aliases (champion, staging) that point at them, with
// every move of every alias.
//
// It reads the local index (engine/registry/index) and decides the
// registry's changes to models: the number a new version gets, whether
// promote_if moves an alias, which move a rollback undoes. A decision is
// a fact for the log (engine/registry/txlog), which engine/registry
// appends with put-if-absent, so that version numbers and alias moves are
// one history for every machine: a decision made on a stale view loses
// the race for its entry and is made again on the new one.
//
// engine/registry/lineage walks from a version to what made it.
package models
