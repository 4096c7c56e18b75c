//go:build !pipetest

package main

import (
	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/builtin"
)

func stepKinds() *steps.Catalog { return builtin.Catalog() }
