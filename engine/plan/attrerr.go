package plan

import (
	"errors"

	"github.com/pipe-ml/pipe/steps"
)

func asAttrError(err error) (*steps.AttrError, bool) {
	var ae *steps.AttrError
	if errors.As(err, &ae) {
		return ae, true
	}
	return nil, false
}
