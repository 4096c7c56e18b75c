// Package metrics is what pipe serve's /metrics shows Prometheus, on a
// private prometheus.Registry with the Go runtime and process collectors.
//
// Run and step metrics are read from the registry (through
// engine/serve/resources), so runs made by the CronJob or by a person
// count as well as serve's own; they are brought up to date on every
// scrape and after every apply. At start, every run already recorded is
// counted once, so the counters equal the registry's totals and do not
// fall back to zero across restarts.
//
//	pipe_runs_total{pipeline,status,trigger}          counter, ended runs
//	pipe_run_duration_seconds{pipeline,status}        histogram
//	pipe_step_duration_seconds{pipeline,kind,result}  histogram; result is
//	                                                  ran, cached or failed
//	pipe_cache_hits_total{pipeline,kind}              executions from the cache
//	pipe_cache_misses_total{pipeline,kind}            executions that ran
//	                                                  (successfully or not)
//	pipe_last_success_timestamp_seconds{pipeline}     end of the last
//	                                                  successful run
//	pipe_run_in_progress{pipeline}                    1 while serve applies or
//	                                                  another apply holds the
//	                                                  state lock
//	pipe_pipeline_valid{pipeline}                     1 when the last load had
//	                                                  no errors
//	pipe_model_metric{model,alias,version,metric}     each aliased version's
//	                                                  metrics, read on scrape
//
// Names lists them for the deployment's alerts and dashboards, which
// deploy/ tests against. engine/serve mounts the Handler at /metrics and
// tells the metrics of each load (SetValid, EnsureSeries) and each apply
// (Sync).
package metrics
