package engine

// ModelOptions returns opts with the cache steps on the pure-Go model of
// the cache that exploration uses.
func ModelOptions(opts Options) Options {
	opts.model = true
	return opts
}
