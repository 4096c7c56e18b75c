package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts the profiles the environment asks for, for
// finding where a real command spends its time and memory (see
// docs/development.md): PIPE_CPUPROFILE names a file for a CPU profile of
// the whole process, PIPE_MEMPROFILE one for a heap profile written at
// exit (its alloc_space view holds every allocation of the run). The
// returned function stops them and writes the files; a profile that
// cannot be written is reported on stderr and never fails the command.
func startProfiles(getenv func(string) string, stderr io.Writer) (stop func()) {
	var stops []func()
	if path := getenv("PIPE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "pipe: PIPE_CPUPROFILE: %v\n", err)
		} else {
			stops = append(stops, func() {
				pprof.StopCPUProfile()
				if err := f.Close(); err != nil {
					fmt.Fprintf(stderr, "pipe: PIPE_CPUPROFILE: %v\n", err)
				}
			})
		}
	}
	if path := getenv("PIPE_MEMPROFILE"); path != "" {
		stops = append(stops, func() {
			if err := writeHeapProfile(path); err != nil {
				fmt.Fprintf(stderr, "pipe: PIPE_MEMPROFILE: %v\n", err)
			}
		})
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

// writeHeapProfile writes the heap profile to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // the in-use figures are those after the last collection
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
