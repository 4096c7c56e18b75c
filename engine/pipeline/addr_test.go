package pipeline

import "github.com/pipe-ml/pipe/engine/config"

type configAddr = config.StepAddr

var parseAddr = config.ParseStepAddr
