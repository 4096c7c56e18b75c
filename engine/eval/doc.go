// Package eval evaluates the parts of a pipeline that users write as
// expressions: variable values (from defaults, PIPE_VAR_NAME, -var and
// -var-file, in Terraform's order of precedence, then checked against
// their types and validation rules), local values (ordered by their
// references), settings, and each step's attributes (converted to the
// types its kind's schema declares, checked against the schema's
// constraints, see [Constraints], and its paths, see [Paths], then by the
// kind's Validate). [AllowedPaths] decides, from settings.allowed_paths
// and the command line, which folders those paths may lead into
// (engine/confine).
//
// Values not known yet, the outputs of steps that have not run, are
// cty unknowns: evaluating a step at validate or plan time with unknown
// inputs still checks everything that can be checked.
//
// engine/config decodes the blocks; engine/lang provides the functions and
// the evaluation context; engine/plan decides which values to put in it.
package eval
