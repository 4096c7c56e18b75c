package kubernetes

import (
	"bufio"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pipe-ml/pipe/engine/executor"
)

// maxLogLine is the longest log line passed on whole; a longer one is cut.
const maxLogLine = 64 << 10

// follow streams the worker's log of pod p, line by line, as Log events
// stamped with the time the container wrote each line, from its start
// until its container ends (the API server's follow=true stream closes
// then).
func (r *jobRun) follow(p *corev1.Pod, shard int) {
	r.logs.Add(1)
	go func() {
		defer r.logs.Done()
		req := r.c.client.CoreV1().Pods(r.ns).GetLogs(p.Name, &corev1.PodLogOptions{Container: containerName, Follow: true, Timestamps: true})
		s, err := req.Stream(r.logCtx)
		if err != nil {
			return // the pod went; its end is reported from its status
		}
		defer s.Close()
		rd := bufio.NewReaderSize(s, maxLogLine)
		where := "pod/" + p.Name
		for {
			line, err := readLine(rd)
			if line != "" || err == nil {
				at, text := stamped(line)
				r.emit(executor.Event{Type: executor.Log, Time: at, Shard: shard, Where: where, Line: text})
			}
			if err != nil {
				return
			}
		}
	}()
}

// stamped splits a line of a log read with timestamps into the time the
// container wrote it and the line itself; a line with no timestamp is
// stamped now.
func stamped(line string) (time.Time, string) {
	ts, text, ok := strings.Cut(line, " ")
	if ok {
		if at, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			return at, text
		}
	}
	return time.Now(), line
}

// readLine reads a line, without its end, cut to maxLogLine bytes.
func readLine(rd *bufio.Reader) (string, error) {
	line, more, err := rd.ReadLine()
	s := string(line)
	for more && err == nil {
		_, more, err = rd.ReadLine() // the rest of a line too long
	}
	return s, err
}

// drainLogs waits a while for the log streams to reach the end of the
// pods' logs, then stops them.
func (r *jobRun) drainLogs() {
	done := make(chan struct{})
	go func() {
		r.logs.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(logDrain):
	}
	r.stopLog()
	<-done
}
