package main

import (
	"log/slog"
	"os"
	"strings"
)

// logger returns the structured logger for steps and services: text on a
// terminal, JSON otherwise (for log collectors), at the level PIPE_LOG
// names (debug, info, warn, error; default warn), to stderr.
func (c *cli) logger() *slog.Logger {
	level := slog.LevelWarn
	switch strings.ToLower(c.getenv("PIPE_LOG")) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if f, ok := c.stderr.(*os.File); ok && c.color(f) {
		return slog.New(slog.NewTextHandler(c.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(c.stderr, opts))
}
