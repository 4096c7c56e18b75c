package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal cancels the work, a second one kills the
		// process at once, as in Terraform.
		<-ctx.Done()
		stop()
	}()
	stopProfiles := startProfiles(os.Getenv, os.Stderr)
	code := newCLI(os.Stdin, os.Stdout, os.Stderr, os.Environ()).run(ctx, os.Args[1:])
	stop()
	stopProfiles()
	os.Exit(code)
}
